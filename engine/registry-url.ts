/**
 * Which URL an image reference's registry is spoken to at. A reference names its registry
 * in its first component (`registry.example.com/team/app:1`, `10.0.0.1:5000/app`: a dot,
 * a colon or `localhost`, as Docker decides) but carries no scheme, so the scheme is
 * chosen here, as Docker's daemon chooses it:
 *
 *   1. an explicit `http://` or `https://` before the reference wins (the scheduler puts
 *      PAAS_REGISTRY_URL's own scheme in the jobs it sends, so hosts pull the way the
 *      builder pushed);
 *   2. a registry whose host:port is that of a configured URL (PAAS_REGISTRY_URL) takes
 *      that URL's scheme;
 *   3. one on the insecure list (PAAS_INSECURE_REGISTRIES, host or host:port) is plain HTTP;
 *   4. loopback (localhost, 127.0.0.0/8, ::1) is plain HTTP;
 *   5. everything else, private IP addresses included, is HTTPS.
 */

export interface RegistryPolicy {
  /** Registry URLs with their scheme (PAAS_REGISTRY_URL): references to their host use that scheme. */
  urls?: readonly string[];
  /** host or host:port spoken to over plain HTTP (PAAS_INSECURE_REGISTRIES). */
  insecure?: readonly string[];
}

const SCHEME = /^(https?):\/\//i;

/** True when the reference's first component is a registry host (not a Docker Hub-style namespace). */
export function namesRegistry(ref: string): boolean {
  const bare = ref.replace(SCHEME, '');
  const slash = bare.indexOf('/');
  if (slash <= 0) return false;
  const first = bare.slice(0, slash);
  return /[.:[]/.test(first) || first === 'localhost' || bare !== ref;
}

function isLoopback(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** `host[:port]` without its port, for matching an insecure entry that names no port. */
function hostname(host: string): string {
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
}

export function registryOf(ref: string, policy: RegistryPolicy = {}): { registryUrl: string; repository: string } {
  if (!namesRegistry(ref)) {
    throw new Error(`${ref} is not in this host's image store and names no registry (use registry.example.com/repo:tag)`);
  }
  const explicit = SCHEME.exec(ref)?.[1]?.toLowerCase();
  const bare = ref.replace(SCHEME, '');
  const slash = bare.indexOf('/');
  const host = bare.slice(0, slash).toLowerCase();
  const repository = bare.slice(slash + 1);
  if (explicit) return { registryUrl: `${explicit}://${host}`, repository };
  const configured = (policy.urls ?? []).map((u) => new URL(u)).find((u) => u.host.toLowerCase() === host);
  if (configured) return { registryUrl: `${configured.protocol}//${host}`, repository };
  const insecure = (policy.insecure ?? []).map((h) => h.trim().toLowerCase()).filter(Boolean);
  const plain = insecure.includes(host) || insecure.includes(hostname(host)) || isLoopback(host);
  return { registryUrl: `${plain ? 'http' : 'https'}://${host}`, repository };
}
