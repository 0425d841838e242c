/**
 * Picks the OCI runtime: crun when it can actually run a container here, else runc.
 * "Can run" is tested, not assumed: crun 1.8 installs fine but refuses cgroup v1 hybrid
 * hosts at container start. The probe runs /bin/true from the host's /usr, read-only,
 * with the same kind of config (cgroups, limits) real containers get.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RuntimeName } from './types';
import { execRaw } from './exec';
import { RuntimeUnavailableError } from './errors';
import { buildOciSpec, nofileLimit } from './oci-spec';
import { OciRuntime } from './runtime';

/** Tries one runtime; returns undefined when it works, else why not. */
export async function probeRuntime(name: RuntimeName, root: string, scratch: string): Promise<string | undefined> {
  const id = `paas-probe-${process.pid}-${randomBytes(3).toString('hex')}`;
  const bundle = join(scratch, id);
  const rootfs = join(bundle, 'rootfs');
  await mkdir(join(rootfs, 'usr'), { recursive: true });
  for (const l of ['bin', 'lib', 'lib64']) await symlink(`usr/${l}`, join(rootfs, l));
  await writeFile(join(bundle, 'empty'), '');
  const spec = buildOciSpec({
    args: ['/bin/true'],
    env: ['PATH=/usr/bin:/bin'],
    cwd: '/',
    user: { uid: 65534, gid: 65534 },
    hostname: 'probe',
    pidsLimit: 16,
    nofile: nofileLimit(await readFile('/proc/self/limits', 'utf8')),
    memoryBytes: 64 * 1024 * 1024,
    cgroupsPath: `/paas/${id}`,
    mounts: [{ source: '/usr', destination: '/usr', readonly: true }],
    resolvConf: join(bundle, 'empty'),
    hostsFile: join(bundle, 'empty'),
  });
  await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
  const runtime = new OciRuntime(name, root);
  try {
    const r = await execRaw(name, runtime.args('run', '--bundle', bundle, id), { timeoutMs: 20_000 });
    return r.code === 0 ? undefined : (r.stderr || r.stdout || `exit ${r.code}`).trim();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await runtime.delete(id).catch(() => undefined);
    await rm(bundle, { recursive: true, force: true });
  }
}

/** The runtime to use for `preference`; throws RuntimeUnavailableError when none works. */
export async function detectRuntime(
  preference: 'auto' | RuntimeName,
  root: string,
  scratch: string,
): Promise<RuntimeName> {
  const candidates: RuntimeName[] = preference === 'auto' ? ['crun', 'runc'] : [preference];
  const failures: string[] = [];
  for (const name of candidates) {
    const why = await probeRuntime(name, root, scratch);
    if (why === undefined) return name;
    failures.push(`${name}: ${why.split('\n').slice(-3).join(' ')}`);
  }
  throw new RuntimeUnavailableError(`no OCI runtime can run containers here (${failures.join('; ')})`);
}
