/**
 * Images on hosts that did not build them: a job whose image this host lacks is pulled
 * from the registry its spec names (JobSpec.pullFrom, `http://host:port/repo:tag` with
 * the scheme of the scheduler's PAAS_REGISTRY_URL, or a bare `host:port/repo:tag` whose
 * scheme the host's own policy picks: registry-url.ts) before the
 * container is created. Layers the host already has (the stack's, an earlier release's)
 * are never fetched again (registry-client.ts). Concurrent jobs of one image share one
 * pull. The registry's credential is the host's configuration (PAAS_REGISTRY_USER and
 * PAAS_REGISTRY_TOKEN), given once per engine with `setPullCredentials`, with the
 * host's scheme policy (PAAS_REGISTRY_URL, PAAS_INSECURE_REGISTRIES).
 */
import type { JobSpec, Logger } from '../shared';
import { registryOf, type RegistryPolicy } from './registry-url';
import type { EngineApi, RegistryCredentials } from './types';

const credentialsOf = new WeakMap<EngineApi, RegistryCredentials>();
const policyOf = new WeakMap<EngineApi, RegistryPolicy>();
const inFlight = new WeakMap<EngineApi, Map<string, Promise<void>>>();

/** The credential this engine's pulls send (the embedded registry takes any user name). */
export function setPullCredentials(engine: EngineApi, credentials: RegistryCredentials | undefined, policy?: RegistryPolicy): void {
  if (credentials) credentialsOf.set(engine, credentials);
  else credentialsOf.delete(engine);
  if (policy) policyOf.set(engine, policy);
  else policyOf.delete(engine);
}

/** Resolves once `job.image` is in the host's store: at once when it is, after a pull otherwise. */
export async function ensureJobImage(engine: EngineApi, job: Pick<JobSpec, 'image' | 'pullFrom' | 'id'>, log: Logger): Promise<void> {
  if (await engine.image(job.image)) return;
  if (!job.pullFrom) {
    throw new Error(`image ${job.image} is not on this host and the job names no registry to pull it from (is PAAS_REGISTRY_URL set on the scheduler's node?)`);
  }
  let pulls = inFlight.get(engine);
  if (!pulls) inFlight.set(engine, (pulls = new Map()));
  let pull = pulls.get(job.image);
  if (!pull) {
    const { registryUrl, repository } = registryOf(job.pullFrom, policyOf.get(engine));
    const started = Date.now();
    pull = engine
      .pull(registryUrl, repository, job.image, credentialsOf.get(engine))
      .then((t) => log.info('image pulled', { image: job.image, from: job.pullFrom, ms: Date.now() - started, transfer: t }))
      .catch((err: unknown) => {
        throw new Error(`could not pull ${job.pullFrom} for job ${job.id}: ${err instanceof Error ? err.message : String(err)}. Check that this host reaches the registry, that PAAS_REGISTRY_USER and PAAS_REGISTRY_TOKEN are its credentials, and that plain-HTTP registries are in PAAS_INSECURE_REGISTRIES.`, { cause: err });
      })
      .finally(() => pulls.delete(job.image));
    pulls.set(job.image, pull);
  }
  await pull;
}
