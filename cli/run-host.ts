/**
 * `paas host` in the foreground until Ctrl-C (shared by `paas host`, `paas host --upgrade`
 * and `paas host:join --start`).
 */
import type { Command } from '@oclif/core';
import { startEngineHost } from '../daemon/host';
import { prepareHandover } from '../daemon/host-upgrade';
import { createLogger, errorMessage, loadConfig } from '../shared';

export async function runHostInForeground(cmd: Command, options: { upgrade?: boolean } = {}): Promise<void> {
  if (process.getuid && process.getuid() !== 0) cmd.error('paas host runs containers and must run as root. Try: sudo paas host', { exit: 1 });
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    cmd.error(options.upgrade ? `Upgrade refused: ${errorMessage(err)}\nThe running agent was not stopped.` : errorMessage(err), { exit: 1 });
  }
  const log = createLogger('paas-host', { level: config.logLevel });
  let lockWaitMs = 0;
  if (options.upgrade) {
    // Checked as it will run: the host role only (startEngineHost).
    const handover = await prepareHandover({ ...config, roles: ['host'] });
    if (!handover.ok) cmd.error(handover.message, { exit: 1 });
    cmd.log(handover.message);
    lockWaitMs = handover.lockWaitMs;
  }
  let host;
  try {
    host = await startEngineHost(config, log, { lockWaitMs });
  } catch (err) {
    cmd.error(`paas host could not start: ${errorMessage(err)}`, { exit: 1 });
  }
  cmd.log(`paas host ${config.hostId} is up (${host.engine.runtime}): containers ${host.subnet} reached via ${host.address}, NATS ${config.natsUrl}`);
  cmd.log(`Other nodes route ${host.subnet} via ${host.address} by themselves once they hear this host (paas keeps those routes).`);
  cmd.log('Press Ctrl-C to stop (containers keep running and are found again at the next start).');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  cmd.log('Stopping paas host...');
  await host.stop();
  cmd.log('paas host stopped.');
}
