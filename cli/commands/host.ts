import { Command, Flags } from '@oclif/core';
import { startEngineHost } from '../../daemon/host';
import { prepareHandover } from '../../daemon/host-upgrade';
import { createLogger, errorMessage, loadConfig } from '../../shared';

export default class Host extends Command {
  static override description = `run this machine as an engine host of a paas cluster: the engine and its agent only
Joins the cluster's NATS (NATS_URL) and takes the jobs its scheduler places here; images are pulled from the
cluster's registry with PAAS_REGISTRY_TOKEN. Other nodes must reach PAAS_BRIDGE_CIDR's subnet via PAAS_HOST_ADDRESS.
With --upgrade, this paas binary takes over from the agent running on the same data dir once it passed its
self-check (paas host:check); if it fails, it exits and the running agent is never stopped.`;
  static override examples = [
    '$ sudo NATS_URL=nats://10.0.0.1:4222 PAAS_HOST_ID=host-2 PAAS_HOST_ADDRESS=10.0.0.2 PAAS_BRIDGE_CIDR=10.87.2.1/24 PAAS_REGISTRY_TOKEN=... paas host',
    '$ sudo /opt/paas-new/bin/paas host --upgrade       # same settings: the new release replaces the running agent',
  ];
  static override flags = {
    upgrade: Flags.boolean({ description: 'take over from the agent running on this data dir, after checking this binary can' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Host);
    if (process.getuid && process.getuid() !== 0) this.error('paas host runs containers and must run as root. Try: sudo paas host', { exit: 1 });
    let config;
    try {
      config = loadConfig();
    } catch (err) {
      this.error(flags.upgrade ? `Upgrade refused: ${errorMessage(err)}\nThe running agent was not stopped.` : errorMessage(err), { exit: 1 });
    }
    const log = createLogger('paas-host', { level: config.logLevel });
    let lockWaitMs = 0;
    if (flags.upgrade) {
      // Checked as it will run: the host role only (startEngineHost).
      const handover = await prepareHandover({ ...config, roles: ['host'] });
      if (!handover.ok) this.error(handover.message, { exit: 1 });
      this.log(handover.message);
      lockWaitMs = handover.lockWaitMs;
    }
    let host;
    try {
      host = await startEngineHost(config, log, { lockWaitMs });
    } catch (err) {
      this.error(`paas host could not start: ${errorMessage(err)}`, { exit: 1 });
    }
    this.log(`paas host ${config.hostId} is up (${host.engine.runtime}): containers ${host.subnet} reached via ${host.address}, NATS ${config.natsUrl}`);
    this.log(`Other nodes need the route: ip route add ${host.subnet} via ${host.address}`);
    this.log('Press Ctrl-C to stop (containers keep running and are found again at the next start).');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    this.log('Stopping paas host...');
    await host.stop();
    this.log('paas host stopped.');
  }
}
