/**
 * The log drain forwarder: runs one DrainWorker per drain in the database. It reloads
 * the drain table every 2 s (and at once when this controller's API changes a drain),
 * so drains added or removed through any controller are picked up; with several
 * controllers one of them at a time forwards a drain (drain-lease.ts). Each reload also
 * deletes consumers whose drain is gone (a drain removed while a controller was down).
 */
import fs from 'node:fs';
import type { KV, NatsConnection } from 'nats';
import { coalesce, errorMessage, InvalidInputError, subjects, type Logger } from '../../shared';
import { App } from '../models';
import { DrainConsumers } from './drain-consumers';
import { DrainLease, openLeaseBucket } from './drain-lease';
import { LogDrain } from './drain-model';
import type { DrainStatus } from './drain-status';
import { parseDrainUrl } from './drain-url';
import { DrainWorker, type DrainSpec } from './drain-worker';
import { HttpsTransport } from './https-transport';
import { SyslogTransport } from './syslog-transport';
import type { DrainTls, DrainTransport } from './transport';

const RELOAD_MS = 2_000;

export class DrainForwarder {
  private readonly workers = new Map<string, DrainWorker>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly reloads = coalesce(() => this.sync(), {
    onError: (err) => this.log.warn('could not reload the log drains', { err: errorMessage(err) }),
    stopped: () => this.stopped,
  });

  private constructor(
    private readonly nc: NatsConnection,
    readonly consumers: DrainConsumers,
    private readonly leases: KV,
    private readonly trust: DrainTls,
    private readonly log: Logger,
  ) {}

  /** `caFile`: PEM CAs trusted for drains besides the system's (PAAS_DRAINS_CA_FILE). */
  static async open(nc: NatsConnection, log: Logger, caFile?: string): Promise<DrainForwarder> {
    return new DrainForwarder(nc, await DrainConsumers.open(nc), await openLeaseBucket(nc), { ca: caFile ? [readCa(caFile)] : undefined }, log);
  }

  start(): void {
    this.timer = setInterval(() => this.reload(), RELOAD_MS);
    this.reload();
  }

  /** What this controller knows of the drain's deliveries. */
  status(drainId: string): DrainStatus | undefined {
    return this.workers.get(drainId)?.status;
  }

  /** Brings the workers in line with the drain table; calls during a reload run one more after it. */
  reload(): void {
    void this.reloads.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.reloads.idle();
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    this.workers.clear();
  }

  private async sync(): Promise<void> {
    // Consumers first, then rows: a drain created in between has its row committed before its consumer.
    const consumerSubjects = await this.consumers.drainSubjects();
    const drains = await LogDrain.findAll();
    const apps = new Map((await App.findAll({ where: { id: [...new Set(drains.map((d) => d.appId))] } })).map((a) => [a.id, a.name]));
    const wanted = new Map<string, DrainSpec>();
    for (const d of drains) {
      const app = apps.get(d.appId);
      if (app) wanted.set(d.id, { id: d.id, app, url: d.url, token: d.token });
    }
    for (const [id, w] of this.workers) {
      if (wanted.has(id) || this.stopped) continue;
      this.workers.delete(id);
      await w.stop();
      this.log.info('log drain stopped', { drain: id, app: w.drain.app });
    }
    for (const id of consumerSubjects.keys()) if (!wanted.has(id)) await this.consumers.remove(id);
    for (const spec of wanted.values()) {
      if (this.stopped) continue;
      try {
        // The app was renamed (`paas apps:rename`): the drain reads the new name from now on.
        const subject = consumerSubjects.get(spec.id);
        if (subject !== undefined && subject !== subjects.appLog.name(spec.app)) {
          await this.consumers.remove(spec.id);
          consumerSubjects.delete(spec.id);
        }
        // A lost consumer (the stream was recreated) is made again, starting now; a running worker finds it at its next fetch.
        if (!consumerSubjects.has(spec.id)) await this.consumers.ensure(spec.id, spec.app);
        const running = this.workers.get(spec.id);
        if (running?.drain.app === spec.app) continue;
        if (running) {
          this.workers.delete(spec.id);
          await running.stop();
        }
        const w = new DrainWorker(spec, this.nc.jetstream(), this.transport(spec), new DrainLease(this.leases, spec.id, this.log), this.log);
        this.workers.set(spec.id, w);
        w.start();
        this.log.info('log drain started', { drain: spec.id, app: spec.app });
      } catch (err) {
        // One drain that cannot start must not keep the others from starting; the next reload tries again.
        this.log.warn('could not start a log drain', { drain: spec.id, app: spec.app, err: errorMessage(err) });
      }
    }
  }

  private transport(spec: DrainSpec): DrainTransport {
    const target = parseDrainUrl(spec.url);
    return target.kind === 'https' ? new HttpsTransport(target, spec.token, this.trust) : new SyslogTransport(target, this.trust);
  }
}

function readCa(file: string): string {
  try {
    const pem = fs.readFileSync(file, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('it holds no PEM certificate');
    return pem;
  } catch (err) {
    throw new InvalidInputError(`PAAS_DRAINS_CA_FILE=${file} cannot be used: ${errorMessage(err)}. Point it at a PEM file of CA certificates, or unset it.`, 'bad_config');
  }
}
