/**
 * The controller alone, as its own process: `node dist/controller/main.js`, configured
 * by the same environment as `paas up` (PAAS_DATA_DIR, PAAS_API_PORT, DATABASE_URL,
 * NATS_URL, ...). Used by the crash tests and by multi-node layouts.
 */
import { connectNats, createLogger, errorMessage, loadConfig, useJetStreamReplicas } from '../shared';
import { startController } from './start';

async function main(): Promise<void> {
  const config = loadConfig();
  useJetStreamReplicas(config.natsReplicas);
  const log = createLogger('controller', { level: config.logLevel });
  const nc = config.natsUrl ? await connectNats(config.natsUrl, `paas-controller-${config.hostId}`, log) : undefined;
  const portSuffix = config.routerPort === 80 ? '' : `:${config.routerPort}`;
  const controller = await startController({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    adminEmail: config.adminEmail,
    domain: config.domain,
    urls: { web: (a) => `http://${a}.${config.domain}${portSuffix}/`, git: (a) => `http://${config.publicHost}:${config.gitPort}/${a}.git` },
    port: config.apiPort,
    bindAddress: config.bindAddress,
    nc,
    drainsCaFile: config.drainsCaFile,
    log,
  });
  // The first start's admin password, for whoever started this process.
  process.stdout.write(JSON.stringify({ url: controller.url, adminEmail: controller.adminEmail, adminPassword: controller.adminPassword ?? null }) + '\n');
  const stop = async (): Promise<void> => {
    await controller.close();
    await nc?.drain();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`paas controller: ${errorMessage(err)}\n`);
  process.exit(1);
});
