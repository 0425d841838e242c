/**
 * One scheduler leads at a time: the leader holds the key `leader` of the JetStream KV
 * bucket `paas_scheduler`, whose entries expire after `ttlMs` (10 s). The holder
 * renews it every `renewMs` (3 s) with a compare-and-set on its revision; a follower
 * tries to create the key at the same pace and wins once the old leader's entry has
 * expired. A leader that cannot renew (NATS away) steps down before its entry can
 * expire, so two leaders never act at once. The instance id is stable across restarts
 * of the same scheduler, so a restarted leader takes its own key back at once.
 *
 * Without JetStream (a NATS server started without -js) there is no lock: the
 * scheduler leads alone and says so in its log.
 */
import type { KV, NatsConnection } from 'nats';
import { errorMessage, jetStreamReplicas, type Logger } from '../shared';

export interface LeaderOptions {
  nc: NatsConnection;
  /** Stable per scheduler instance (host id), so a restart reclaims its own lock. */
  instanceId: string;
  log: Logger;
  bucket?: string;
  ttlMs?: number;
  renewMs?: number;
  /** Called when this instance becomes leader or stops being one. */
  onChange?: (leader: boolean) => void;
}

export interface LeaderLock {
  isLeader(): boolean;
  /** Resolves after the first attempt to take the lock. */
  readonly ready: Promise<void>;
  /** Gives the lock up (deletes the key when held) and stops trying. */
  stop(): Promise<void>;
}

const KEY = 'leader';

export function startLeaderElection(o: LeaderOptions): LeaderLock {
  const ttlMs = o.ttlMs ?? 10_000;
  const renewMs = o.renewMs ?? 3_000;
  let kv: KV | undefined;
  let noJetStream = false;
  let revision: number | undefined;
  let renewedAt = 0;
  let stopped = false;
  let wasLeader = false;

  const leading = (): boolean => noJetStream || (revision !== undefined && Date.now() - renewedAt < ttlMs - renewMs);

  const notify = (): void => {
    const now = leading();
    if (now !== wasLeader) {
      wasLeader = now;
      o.log.info(now ? 'scheduler is the leader' : 'scheduler is no longer the leader', { instance: o.instanceId });
      o.onChange?.(now);
    }
  };

  const attempt = async (): Promise<void> => {
    try {
      if (!kv) kv = await o.nc.jetstream().views.kv(o.bucket ?? 'paas_scheduler', { ttl: ttlMs, history: 1, replicas: jetStreamReplicas() });
    } catch (err) {
      const message = errorMessage(err);
      if (/jetstream not enabled|503/i.test(message)) {
        if (!noJetStream) o.log.warn('NATS has no JetStream: this scheduler leads without a lock; run only one (start nats-server with -js)', { err: message });
        noJetStream = true;
      } else o.log.warn('leader lock unavailable; retrying', { err: message });
      return;
    }
    try {
      if (revision !== undefined) {
        revision = await kv.update(KEY, o.instanceId, revision);
        renewedAt = Date.now();
        return;
      }
      const entry = await kv.get(KEY);
      if (entry && entry.operation === 'PUT' && entry.string() === o.instanceId) revision = await kv.update(KEY, o.instanceId, entry.revision);
      else if (!entry || entry.operation !== 'PUT') revision = await kv.create(KEY, o.instanceId);
      else return; // someone else leads until their entry expires
      renewedAt = Date.now();
    } catch (err) {
      // Lost a race, or the key moved on: follow until the next attempt.
      if (revision !== undefined) o.log.warn('leader lock renewal failed', { err: errorMessage(err) });
      revision = undefined;
    }
  };

  let loop: Promise<void> = Promise.resolve();
  const tick = (): void => {
    loop = loop.then(attempt).then(notify);
  };
  tick();
  const ready = loop;
  const timer = setInterval(tick, renewMs);
  // A leader whose renewals hang (NATS away) must notice that its time is up.
  const watch = setInterval(notify, 500);

  return {
    isLeader: () => !stopped && leading(),
    ready,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearInterval(watch);
      await loop;
      if (kv && revision !== undefined) await kv.delete(KEY, { previousSeq: revision }).catch(() => undefined);
      revision = undefined;
    },
  };
}
