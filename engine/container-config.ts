/**
 * Turns a ContainerSpec plus its image into the files of the container's bundle:
 * config.json (via oci-spec.ts), and the /etc/resolv.conf and /etc/hosts it will see.
 * Defaults come from the image (Entrypoint+Cmd, Env, WorkingDir, User), and app code
 * never runs as root unless the spec asks for uid 0 explicitly.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { InvalidInputError } from '../shared';
import type { ContainerSpec, ImageInfo } from './types';
import type { ContainerPaths } from './container-paths';
import { mergeEnv, parseUser } from './image-config';
import { buildOciSpec } from './oci-spec';
import { cpuResources, type CgroupVersion } from './lifecycle-limits';
import { writeJsonAtomic } from './fs-util';
import { validatePorts } from './ports-rules';
import { resolveMounts, type VolumeMounter } from './volume-mounts';

export const DEFAULT_USER = { uid: 1000, gid: 1000 };
export const DEFAULT_PIDS_LIMIT = 4096;

export interface HostSettings {
  nofile: number;
  limitSwap: boolean;
  /** Named volumes (volume-store.ts); mounts with `volume` are refused without it. */
  volumes?: VolumeMounter;
  /** Which cgroup files limits are written as (default 1: v1 and hybrid hosts). */
  cgroupVersion?: CgroupVersion;
}

/** Where the init appears in the container: /dev is runc's own tmpfs, so the image is untouched (Podman's choice too). */
export const INIT_PATH = '/dev/init';
const TINI = '/usr/bin/tini-static';

/** The static tini from Debian's package: it runs in any image, whatever libc it has. */
function initBinary(): string {
  if (!existsSync(TINI)) throw new InvalidInputError(`${TINI} is missing: install Debian's tini package (apt-get install tini, or scripts/install-deps.sh)`);
  return TINI;
}

export function cgroupPathOf(id: string): string {
  return `/paas/${id}`;
}

/** resolv.conf for the container: the host's, unless that points at a loopback stub resolver. */
export async function containerResolvConf(): Promise<string> {
  const host = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  const servers = host.split('\n').filter((l) => /^\s*nameserver\s/.test(l));
  if (servers.length > 0 && servers.every((l) => /nameserver\s+(127\.|::1)/.test(l))) {
    // systemd-resolved's stub (127.0.0.53) is unreachable from a container: use its upstreams.
    const upstream = await readFile('/run/systemd/resolve/resolv.conf', 'utf8').catch(() => '');
    if (upstream) return upstream;
  }
  return host;
}

export function hostsFile(hostname: string, ip: string | undefined): string {
  return `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${ip ?? '127.0.1.1'}\t${hostname}\n`;
}

export function hostnameOf(spec: ContainerSpec): string {
  return (spec.hostname ?? spec.id).slice(0, 63);
}

/** Writes config.json, resolv.conf and hosts into the container's directory. */
export async function writeBundleFiles(
  paths: ContainerPaths,
  spec: ContainerSpec,
  image: ImageInfo,
  net: { netnsPath?: string; ip?: string },
  host: HostSettings,
): Promise<void> {
  const command = spec.cmd ?? [...(image.config.Entrypoint ?? []), ...(image.config.Cmd ?? [])];
  if (command.length === 0) throw new InvalidInputError(`no command given and image ${image.ref} has none`);
  const args = spec.init ? [INIT_PATH, '-g', '--', ...command] : command;
  const hostname = hostnameOf(spec);
  validatePorts(spec.ports ?? [], spec.network ?? 'bridge');
  const user = spec.user ?? parseUser(image.config.User) ?? DEFAULT_USER;
  const mounts = await resolveMounts(spec.mounts ?? [], host.volumes, user);
  if (spec.init) mounts.push({ source: initBinary(), destination: INIT_PATH, readonly: true });
  await writeFile(paths.etc(spec.id, 'resolv.conf'), await containerResolvConf());
  await writeFile(paths.etc(spec.id, 'hosts'), hostsFile(hostname, net.ip));
  const config = buildOciSpec({
    args,
    env: mergeEnv(
      image.config.Env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      [`HOSTNAME=${hostname}`],
      Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    ),
    cwd: spec.workingDir ?? image.config.WorkingDir ?? '/',
    user,
    hostname,
    netnsPath: net.netnsPath,
    memoryBytes: spec.memoryBytes,
    limitSwap: host.limitSwap,
    ...cpuResources(spec.cpu, host.cgroupVersion ?? 1),
    pidsLimit: spec.pidsLimit ?? DEFAULT_PIDS_LIMIT,
    nofile: host.nofile,
    cgroupsPath: cgroupPathOf(spec.id),
    mounts,
    resolvConf: paths.etc(spec.id, 'resolv.conf'),
    hostsFile: paths.etc(spec.id, 'hosts'),
  });
  await writeJsonAtomic(`${paths.bundle(spec.id)}/config.json`, config);
}
