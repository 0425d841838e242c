/**
 * A router worker (workers.ts): waits for its settings from the primary, connects to
 * the controller and NATS itself, runs a whole router (startRouter), and reports its
 * port. It stops when told to, and exits when the primary goes away, so a killed paas
 * leaves no router behind holding the port.
 */
import { ControllerClient } from '../controller';
import { connectNats, createLogger, errorMessage } from '../shared';
import { startRouter, type RunningRouter } from './start';
import type { FromWorker, ToWorker } from './workers';

const send = (m: FromWorker): void => void process.send?.(m);
let running: RunningRouter | undefined;
let closeNats: (() => Promise<void>) | undefined;

// Ctrl-C reaches the whole process group: the primary decides when workers stop.
process.on('SIGINT', () => undefined);
process.on('disconnect', () => process.exit(0));

process.on('message', (m: ToWorker) => {
  if (m.type === 'stop') {
    void (async () => {
      await running?.close().catch(() => undefined);
      await closeNats?.().catch(() => undefined);
      process.exit(0);
    })();
    return;
  }
  if (m.type !== 'start') return;
  const { connection, index, ...settings } = m.settings;
  const log = createLogger(`router.${index}`, { level: connection.logLevel });
  void (async () => {
    try {
      const nc = connection.natsUrl ? await connectNats(connection.natsUrl, `paas-router-${settings.hostId ?? 'router'}-${index}`, log) : undefined;
      closeNats = nc ? async () => void (await nc.drain()) : undefined;
      const client = new ControllerClient(connection.controllerUrl, connection.controllerToken);
      running = await startRouter({ ...settings, client, nc, log });
      send({ type: 'listening', port: running.port, httpsPort: running.httpsPort });
      void running.ready.then(() => send({ type: 'ready' }));
      void running.tlsReady.then(() => send({ type: 'tlsReady' }));
    } catch (err) {
      log.error('router worker could not start', { err: errorMessage(err) });
      send({ type: 'failed', message: errorMessage(err) });
      process.exit(1);
    }
  })();
});
