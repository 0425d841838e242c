import { Command, Flags } from '@oclif/core';
import { startPlatform } from '../../daemon';
import { createLogger, errorMessage, loadConfig } from '../../shared';

export default class Up extends Command {
  static override description = 'start paas on this host: API, git, builder, scheduler, router, engine and NATS';
  static override examples = ['$ sudo paas up', '$ sudo PAAS_DATA_DIR=/srv/paas DATABASE_URL=mysql://root@127.0.0.1/paas paas up'];
  static override flags = {
    'prepare-stack': Flags.boolean({ description: 'bootstrap the build stack now rather than on the first push', default: true, allowNo: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Up);
    if (process.getuid && process.getuid() !== 0) this.error('paas up runs containers and must run as root. Try: sudo paas up', { exit: 1 });
    let config;
    try {
      config = loadConfig();
    } catch (err) {
      this.error(errorMessage(err), { exit: 1 });
    }
    const log = createLogger('paas', { level: config.logLevel });
    if (config.env?.PAAS_ROLES) log.warn('PAAS_ROLES is for paas node; paas up runs every role', { roles: config.env.PAAS_ROLES });
    const platform = await startPlatform(config, log);
    const api = platform.controller.url.replace('127.0.0.1', config.publicHost);
    this.log('');
    this.log(`paas is up on ${config.hostId} (${config.natsUrl ? 'external NATS' : 'embedded NATS'}, ${config.databaseUrl ? 'external database' : 'SQLite'}, ${platform.engine.runtime})`);
    this.log(`  API     ${api}`);
    this.log(`  git     http://${config.publicHost}:${config.gitPort}/APP.git`);
    this.log(`  router  http://*.${config.domain}:${platform.router.port}/`);
    if (platform.router.httpsPort) this.log(`          https://*.${config.domain}:${platform.router.httpsPort}/ (self-signed default certificate; paas certs:add for yours)`);
    this.log(`  images  ${platform.registryUrl} (OCI registry)`);
    this.log(`  data    ${config.dataDir}`);
    this.log('');
    if (platform.controller.adminPassword) {
      this.log(`Admin login (shown once): ${platform.controller.adminEmail} / ${platform.controller.adminPassword}`);
    } else {
      this.log(`Admin login: ${platform.controller.adminEmail} (password shown at the first start)`);
    }
    this.log('Next:');
    this.log(`  paas login --api ${api}`);
    this.log('  cd your-app && paas apps:create myapp');
    this.log('  git push paas main');
    this.log('');
    this.log('Press Ctrl-C to stop paas (running apps keep running and are found again at the next start).');
    if (flags['prepare-stack']) {
      void platform.engine.ensureStack().then(
        () => log.info('build stack ready'),
        (err: unknown) => log.warn('build stack preparation failed; the first push will retry', { err: errorMessage(err) }),
      );
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    this.log('Stopping paas...');
    await platform.stop();
    this.log('paas stopped.');
  }
}
