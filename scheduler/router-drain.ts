/**
 * Routers, as the scheduler knows them: each announces itself every 2 s on
 * `paas.router.heartbeat`. Before a web job gets SIGTERM, the scheduler asks every
 * live router to drop it (`paas.router.<id>.unroute`) and waits for the replies, so no
 * new request reaches a process that is about to exit. A router that does not answer
 * within `timeoutMs` is logged and not waited for: it also drops the job on its next
 * route sync, and a stuck router must not stall every deploy.
 */
import type { NatsConnection } from 'nats';
import { errorMessage, request, subjects, type Logger } from '../shared';

export class RouterRegistry {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly deadAfterMs = 6_000,
    private readonly now: () => number = Date.now,
  ) {}

  heartbeat(routerId: string): void {
    this.seen.set(routerId, this.now());
  }

  alive(): string[] {
    const cutoff = this.now() - this.deadAfterMs;
    for (const [id, at] of this.seen) if (at < cutoff) this.seen.delete(id);
    return [...this.seen.keys()];
  }
}

export interface UnrouteResult {
  answered: string[];
  silent: string[];
}

/** Asks every live router to drop `jobIds`; resolves when all answered or timed out. */
export async function unrouteEverywhere(nc: NatsConnection, routers: RouterRegistry, jobIds: string[], log: Logger, timeoutMs = 2_000): Promise<UnrouteResult> {
  const result: UnrouteResult = { answered: [], silent: [] };
  if (jobIds.length === 0) return result;
  await Promise.all(
    routers.alive().map(async (id) => {
      try {
        await request(nc, subjects.routerUnroute.name(id), subjects.routerUnroute.schema.parse({ jobIds }), timeoutMs);
        result.answered.push(id);
      } catch (err) {
        result.silent.push(id);
        log.warn('router did not confirm it dropped the jobs; stopping them anyway', { router: id, jobs: jobIds, err: errorMessage(err) });
      }
    }),
  );
  return result;
}
