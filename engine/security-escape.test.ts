/**
 * T20, the escape regression suite: known container breakouts replayed against the
 * engine's containers (runc, as the engine configures it). Every attempt must fail, and
 * the host must not change: a canary file outside any container, the runtime binaries,
 * the cgroup release agents. Root only; needs gcc for the attack program.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineApi, Mount } from './types';
import { collector, skipReason, testEngine, type TestEngineSetup } from './integration-fixture';
import { STACK_REF } from './stack';
import { execRaw } from './exec';
import { pollFor } from './launcher';
import { buildProbe, probeBuildSkipReason } from './security-probe-build';
import { hostFingerprint, runtimeBinary, type HostFingerprint } from './security-host';

const uniq = (name: string): string => `${name}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
const ROOT = { uid: 0, gid: 0 };
const EPERM = 1;
const ENOENT = 2;
const EACCES = 13;
const EROFS = 30;

interface ExeVerdict {
  planted: boolean;
  seen: { pid: number; exe: string; openErrno: number; dev: number; ino: number; reopenErrnos: number; wrote: boolean; writeErrno: number }[];
}

test('T20 escape regression suite', { skip: skipReason(), timeout: 300_000 }, async (t) => {
  const noGcc = await probeBuildSkipReason();
  if (noGcc) return t.skip(noGcc);
  const setup: TestEngineSetup = await testEngine('paash6', '10.237.0.1/16');
  const work = await mkdtemp(join(tmpdir(), 'paas-escape-'));
  const canaryDir = join(work, 'canary');
  const canary = join(canaryDir, 'canary');
  const token = randomBytes(16).toString('hex');
  await mkdir(canaryDir);
  await writeFile(canary, `${token}\n`);
  await chmod(canary, 0o666); // even a world-writable host file stays out of reach
  let before: HostFingerprint | undefined;
  try {
    const engine: EngineApi = await setup.open();
    await engine.ensureStack();
    const attack = await buildProbe('security-attack', work);
    const attackMount: Mount = { source: attack, destination: '/paas-attack', readonly: true };
    const runtime = await runtimeBinary(engine.runtime);
    const runtimeArgs = (...rest: string[]): string[] => ['--root', join(setup.options.dataDir, 'runtime'), ...rest];
    before = await hostFingerprint(canaryDir, [runtime]);

    /** A root container that sleeps, for exec-based attacks; removed afterwards. */
    const withSleeper = async (fn: (id: string) => Promise<void>, extra: Mount[] = []): Promise<void> => {
      const id = uniq('sleeper');
      await engine.create({ id, image: STACK_REF, user: ROOT, cmd: ['sleep', '120'], mounts: [attackMount, ...extra], network: 'none' });
      try {
        await engine.start(id);
        await fn(id);
      } finally {
        await engine.remove(id);
      }
    };

    await t.test('CVE-2019-5736: a process exec-ed into the container cannot rewrite the runtime through /proc/self/exe', async () => {
      const out = await mkdtemp(join(work, 'exe-'));
      const id = uniq('exe');
      await engine.create({
        id, image: STACK_REF, user: ROOT, network: 'none',
        cmd: ['/paas-attack', 'exe', '5', '/out'],
        mounts: [attackMount, { source: out, destination: '/out' }],
      });
      try {
        await engine.start(id);
        assert.ok(await pollFor(() => readFile(join(out, 'ready'), 'utf8').catch(() => undefined), 10_000), 'attacker ready');
        // `#!/proc/self/exe` makes the runtime's own binary the interpreter of what it execs.
        for (let i = 0; i < 4; i++) {
          const evil = await execRaw(runtime, runtimeArgs('exec', id, '/usr/local/bin/paas-evil'));
          assert.notEqual(evil.code, null);
          await execRaw(runtime, runtimeArgs('exec', id, '/bin/sleep', '0.2'));
        }
        const verdict = await pollFor(async () => {
          const text = await readFile(join(out, 'result.json'), 'utf8').catch(() => '');
          return text.trim().endsWith('}') ? (JSON.parse(text) as ExeVerdict) : undefined;
        }, 20_000);
        assert.ok(verdict, 'attacker finished');
        assert.equal(verdict.planted, true);
        // runc 1.1 re-executes itself from a read-only bind mount of its binary ("bindfd"), else
        // from a sealed memfd copy: the attacker may get hold of that, never of a writable host binary.
        const rt = await stat(runtime);
        const isHostRuntime = (s: ExeVerdict['seen'][number]): boolean => s.dev === rt.dev && s.ino === rt.ino;
        const grabbed = verdict.seen.filter((s) => isHostRuntime(s) || s.exe.startsWith('/memfd:'));
        assert.ok(grabbed.length > 0, `the attack never got hold of the runtime's executable: ${JSON.stringify(verdict.seen)}`);
        for (const s of grabbed) {
          assert.equal(s.wrote, false, `wrote to the runtime via pid ${s.pid} (${s.exe})`);
          if (isHostRuntime(s)) assert.equal(s.reopenErrnos & 1, 0, `reopened the host runtime for writing via pid ${s.pid}`);
        }
        const errnos = [...new Set(grabbed.flatMap((s) => [...Array(31).keys()].filter((e) => e > 0 && s.reopenErrnos & (1 << e))))];
        t.diagnostic(`runtime executable grabbed ${grabbed.length} times (${[...new Set(grabbed.map((g) => g.exe))].join(', ')}); reopening it for writing failed with errno ${errnos.join(', ')}`);
      } finally {
        await engine.remove(id);
      }
    });

    await t.test('CVE-2024-21626: exec with cwd /proc/self/fd/N is refused or stays inside', async () => {
      await withSleeper(async (id) => {
        const outcomes = new Set<string>();
        for (let fd = 3; fd <= 12; fd++) {
          const r = await execRaw(runtime, runtimeArgs('exec', '--cwd', `/proc/self/fd/${fd}`, id, '/paas-attack', 'cwd', canary));
          if (r.code === 0) assert.match(r.stdout, /"escaped":false/, `fd ${fd}: ${r.stdout}`);
          else assert.doesNotMatch(r.stdout, /"escaped":true/);
          outcomes.add(r.code === 0 ? `ran in ${/"cwdLink":"([^"]*)"/.exec(r.stdout)?.[1]}` : r.stderr.trim().replace(/^.*?msg="/, '').replace(/"$/, '').replace(/\\"/g, '"').replace(/fd\/\d+/g, 'fd/N'));
        }
        t.diagnostic(`runtime exec with cwd /proc/self/fd/N: ${[...outcomes].join('; ')}`);
        // The engine's own exec, where it exists, passes the cwd to the runtime the same way.
        const engineExec = (engine as Partial<{ exec: (id: string, argv: string[], o: object) => Promise<number> }>).exec;
        if (typeof engineExec === 'function') {
          for (const fd of [4, 5, 6, 7, 8, 9]) {
            const out = collector();
            await engineExec.call(engine, id, ['/paas-attack', 'cwd', canary], { cwd: `/proc/self/fd/${fd}`, stdout: out.stream }).catch(() => 1);
            assert.doesNotMatch(out.text(), /"escaped":true/);
          }
        }
      });
      assert.equal(await readFile(canary, 'utf8'), `${token}\n`);
    });

    await t.test('CVE-2024-21626: a working directory /proc/self/fd/N in the spec (a hostile image) does not escape', async () => {
      const out = await mkdtemp(join(work, 'cwd-'));
      for (let fd = 3; fd <= 9; fd++) {
        const id = uniq('cwd');
        const result = `/out/${fd}.json`;
        await engine.create({
          id, image: STACK_REF, user: ROOT, workingDir: `/proc/self/fd/${fd}`, network: 'none',
          cmd: ['/paas-attack', 'cwd', canary, result],
          mounts: [attackMount, { source: out, destination: '/out' }],
        });
        try {
          // Started detached: the shim reports a runtime that refuses at once without delay.
          const started = await engine.start(id).catch((err: Error) => err);
          await pollFor(async () => ((await engine.inspect(id))?.state === 'running' ? undefined : true), 10_000);
          const verdict = await readFile(join(out, `${fd}.json`), 'utf8').catch(() => 'did not run');
          assert.doesNotMatch(verdict, /"escaped":true/, `fd ${fd}: ${verdict} ${String(started)}`);
        } finally {
          await engine.remove(id);
        }
      }
      assert.equal(await readFile(canary, 'utf8'), `${token}\n`);
    });

    await t.test('CVE-2021-30465: a bind mount whose destination is a symlink lands inside the container', async () => {
      const layer = await mkdtemp(join(work, 'layer-'));
      await mkdir(join(layer, 'app'));
      await symlink('/', join(layer, 'app/rootlink'));
      await symlink(canaryDir, join(layer, 'app/abslink'));
      await symlink(`${'../'.repeat(12)}${canaryDir.slice(1)}`, join(layer, 'app/rellink'));
      await engine.commit(STACK_REF, layer, {}, 'test/symlinks:1');
      const source = await mkdtemp(join(work, 'source-'));
      await writeFile(join(source, 'planted'), 'PLANTED\n');
      for (const dest of ['/app/abslink', '/app/rellink', '/app/rootlink']) {
        const out = collector();
        const script = `ls ${canaryDir} 2>&1; cat ${canary} 2>&1; ls -la ${dest}/ 2>&1; echo finished`;
        const r = await engine
          .run({ id: uniq('symlink'), image: 'test/symlinks:1', user: ROOT, cmd: ['/bin/sh', '-c', script], mounts: [{ source, destination: dest }], network: 'none' }, { output: out.stream, stderr: out.stream })
          .catch((err: Error) => ({ exitCode: -1, error: err.message }));
        assert.ok(!out.text().includes(token), `${dest}: the host canary was readable: ${out.text()}`);
        assert.deepEqual(await hostListing(canaryDir), ['canary'], `${dest}: ${JSON.stringify(r)}`);
        assert.equal(await hostMountedAt(canaryDir), false);
        t.diagnostic(`${dest}: ${JSON.stringify(r)} ${out.text().trim().split('\n').slice(-3).join(' | ')}`);
      }
    });

    await t.test('CVE-2021-30465 (restart): a symlink the app put where its volume goes lands inside the container', async () => {
      const source = await mkdtemp(join(work, 'volume-'));
      const out = await mkdtemp(join(work, 'out-'));
      await writeFile(join(source, 'planted'), 'PLANTED\n');
      const id = uniq('restart');
      // First run: move the mount point's directory away (it exists only in the container's
      // upper layer, so it can be renamed) and leave a symlink to the host canary dir in its place.
      const script =
        `if [ -L /data/vol ]; then ls /data/vol/ > /out/second.txt 2>&1; cat ${canary} >> /out/second.txt 2>&1; ` +
        `else mv /data /data.old && mkdir /data && ln -s ${canaryDir} /data/vol && echo planted > /out/first.txt; fi`;
      await engine.create({ id, image: STACK_REF, user: ROOT, cmd: ['/bin/sh', '-c', script], network: 'none', mounts: [{ source, destination: '/data/vol' }, { source: out, destination: '/out' }] });
      try {
        for (let run = 0; run < 2; run++) {
          await engine.start(id).catch(() => undefined);
          await pollFor(async () => ((await engine.inspect(id))?.state === 'running' ? undefined : true), 10_000);
        }
        assert.equal(await readFile(join(out, 'first.txt'), 'utf8'), 'planted\n');
        const second = await readFile(join(out, 'second.txt'), 'utf8').catch(() => '(did not run)');
        assert.ok(!second.includes(token), `host canary readable after restart: ${second}`);
        t.diagnostic(`after restart the container saw at /data/vol: ${second.trim().replace(/\n/g, ' ')}`);
        assert.deepEqual(await hostListing(canaryDir), ['canary']);
        assert.equal(await hostMountedAt(canaryDir), false);
      } finally {
        await engine.remove(id);
      }
    });

    await t.test('CVE-2022-0492: no cgroup mount, no user/cgroup namespace, release_agent not writable', async () => {
      const out = collector();
      const r = await engine.run({ id: uniq('cgroup'), image: STACK_REF, user: ROOT, cmd: ['/paas-attack', 'cgroup'], mounts: [attackMount], network: 'none' }, { output: out.stream });
      assert.equal(r.exitCode, 0);
      const v = JSON.parse(out.text()) as { unshare: number; mountRdma: number; mountMemory: number; mkdirCgroup: number; releaseAgents: Record<string, number> };
      assert.equal(v.unshare, EPERM);
      assert.equal(v.mountRdma, EPERM);
      assert.equal(v.mountMemory, EPERM);
      assert.ok([EROFS, ENOENT].includes(v.mkdirCgroup), `mkdir in the cgroup fs: errno ${v.mkdirCgroup}`);
      for (const [path, errno] of Object.entries(v.releaseAgents)) assert.ok([EROFS, EACCES, EPERM, ENOENT].includes(errno), `${path}: errno ${errno}`);
    });

    await t.test('the host is unchanged: canary, runtime binaries, release agents', async () => {
      assert.deepEqual(await hostFingerprint(canaryDir, [runtime]), before);
    });
  } finally {
    await setup.cleanup();
    await rm(work, { recursive: true, force: true });
  }
});

async function hostListing(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

async function hostMountedAt(dir: string): Promise<boolean> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').map((l) => l.split(' ')[1] ?? '');
  return mounts.some((m) => m === dir || m.startsWith(`${dir}/`));
}
