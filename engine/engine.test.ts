/**
 * Integration tests against the real thing: debootstrapped stack (from the host cache
 * after the first run), runc/crun, overlayfs, netns, the bridge. Root only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineApi } from './types';
import { collector, httpGet, skipReason, testEngine, type TestEngineSetup } from './integration-fixture';
import { STACK_REF } from './stack';
import { pollFor } from './launcher';

const skip = skipReason();
const uniq = (name: string): string => `${name}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
const NODE_MOUNT = { source: process.execPath, destination: '/usr/local/bin/node', readonly: true };

test('engine integration', { skip, timeout: 600_000 }, async (t) => {
  const setup: TestEngineSetup = await testEngine('paast0', '10.78.0.1/16');
  let engine: EngineApi;
  try {
    engine = await setup.open();

    await t.test('bootstraps the stack once and shares the in-flight creation', async () => {
      const lines: string[] = [];
      const [a, b] = await Promise.all([engine.ensureStack((l) => lines.push(l)), engine.ensureStack()]);
      assert.equal(a.ref, STACK_REF);
      assert.deepEqual(a, b);
      assert.equal(a.layers.length, 1);
      assert.equal(a.config.User, '1000:1000');
      assert.ok(lines.length > 0, 'progress lines streamed');
    });

    await t.test('commits an image: base layers plus one, shared on disk', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'paas-layer-'));
      try {
        await mkdir(join(dir, 'app'));
        await writeFile(join(dir, 'app/hello.txt'), 'hello from a layer\n');
        const img = await engine.commit(STACK_REF, dir, { Env: ['GREETING=hi'] }, 'test/app:v1');
        const stack = await engine.image(STACK_REF);
        assert.equal(img.layers.length, 2);
        assert.equal(img.layers[0], stack!.layers[0]);
        assert.ok(img.config.Env!.includes('GREETING=hi'));
        assert.ok(img.config.Env!.some((e) => e.startsWith('PATH=')));
        assert.deepEqual((await engine.images()).map((i) => i.ref).sort(), [STACK_REF, 'test/app:v1'].sort());
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    await t.test('runs a one-shot container: output, uid, hostname, pid ns, memory limit, exit code', async () => {
      const out = collector();
      const script = [
        'id -u; id -g; hostname',
        'tr "\\0" " " < /proc/1/cmdline', 'echo',
        'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max',
        'cat /app/hello.txt; echo "$GREETING"; pwd',
        'echo to-stderr >&2; exit 7',
      ].join('; ');
      const r = await engine.run(
        { id: uniq('oneshot'), image: 'test/app:v1', cmd: ['/bin/bash', '-c', script], hostname: 'buildbox', memoryBytes: 128 * 1024 * 1024 },
        { output: out.stream },
      );
      assert.deepEqual(r, { exitCode: 7, oomKilled: false });
      // stdout and stderr are separate pipes: their relative order is not guaranteed.
      const lines = out.text().split('\n').filter((l) => l !== 'to-stderr');
      assert.equal(lines[0], '1000');
      assert.equal(lines[1], '1000');
      assert.equal(lines[2], 'buildbox');
      assert.match(lines[3]!, /^\/bin\/bash -c id -u/);
      assert.equal(lines[4], String(128 * 1024 * 1024));
      assert.equal(lines[5], 'hello from a layer');
      assert.equal(lines[6], 'hi');
      assert.equal(lines[7], '/app');
      assert.ok(out.text().includes('to-stderr'));
      assert.deepEqual(await engine.list(), [], 'one-shot containers are removed');
    });

    await t.test('seccomp and capabilities: no namespaces, no mounts for app code', async () => {
      const out = collector();
      const script = 'unshare -r true 2>/dev/null && echo unshare-ok || echo unshare-denied; grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status; grep Seccomp: /proc/self/status';
      const r = await engine.run({ id: uniq('sec'), image: STACK_REF, cmd: ['/bin/bash', '-c', script] }, { output: out.stream });
      assert.equal(r.exitCode, 0);
      assert.match(out.text(), /unshare-denied/);
      assert.match(out.text(), /CapEff:\s+0000000000000000/);
      assert.match(out.text(), /NoNewPrivs:\s+1/);
      assert.match(out.text(), /Seccomp:\s+2/);
    });

    await t.test('an aborted one-shot run is killed, removed and rejects', async () => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 300);
      await assert.rejects(engine.run({ id: uniq('abort'), image: STACK_REF, cmd: ['sleep', '30'] }, { signal: ac.signal }), {
        code: 'run_aborted',
      });
      assert.deepEqual(await engine.list(), []);
    });

    await t.test('concurrent creates get distinct addresses (IPAM)', async () => {
      const ids = Array.from({ length: 6 }, (_, i) => uniq(`ipam${i}`));
      const infos = await Promise.all(ids.map((id) => engine.create({ id, image: STACK_REF, cmd: ['true'] })));
      const ips = infos.map((i) => i.ip);
      assert.equal(new Set(ips).size, ips.length, ips.join(','));
      for (const id of ids) await engine.remove(id);
      // Freed addresses are reused once their veths are gone: the lowest one comes back.
      await engine.settled();
      const again = await engine.create({ id: uniq('ipam-again'), image: STACK_REF, cmd: ['true'] });
      assert.equal(again.ip, '10.78.0.2');
      await engine.remove(again.id);
    });

    await t.test('one-shot timeout kills with 137 and cleans up', async () => {
      const started = Date.now();
      const r = await engine.run({ id: uniq('timeout'), image: STACK_REF, cmd: ['sleep', '30'] }, { timeoutMs: 500 });
      assert.equal(r.exitCode, 137);
      assert.ok(Date.now() - started < 10_000);
      assert.deepEqual(await engine.list(), []);
    });

    await t.test('reports an OOM kill', async () => {
      const strayMarker = join(process.cwd(), 'oom');
      const hadMarker = existsSync(strayMarker);
      const r = await engine.run({
        id: uniq('oom'),
        image: STACK_REF,
        cmd: ['/bin/bash', '-c', 'x=a; while true; do x="$x$x"; done'],
        memoryBytes: 32 * 1024 * 1024,
      });
      assert.equal(r.oomKilled, true);
      assert.equal(r.exitCode, 137);
      // conmon's own OOM marker stays in the container's directory, not the daemon's working directory.
      if (!hadMarker) assert.equal(existsSync(strayMarker), false, `conmon left an 'oom' file in ${process.cwd()}`);
    });

    await t.test('a server on the bridge: reachable, stop TERM then KILL, exit code, re-adoption', async () => {
      const id = uniq('web');
      const c = await engine.create({
        id,
        image: STACK_REF,
        cmd: ['node', '-e', "require('http').createServer((q,s)=>s.end('ok '+process.getuid())).listen(5000)"],
        mounts: [NODE_MOUNT],
        memoryBytes: 256 * 1024 * 1024,
        labels: { role: 'web' },
      });
      assert.equal(c.state, 'created');
      assert.match(c.ip!, /^10\.78\.\d+\.\d+$/);
      const running = await engine.start(id);
      assert.equal(running.state, 'running');
      assert.ok(running.pid && running.pid > 0);
      const body = await pollFor(() => httpGet(`http://${c.ip}:5000/`).catch(() => undefined), 10_000, 100);
      assert.equal(body, 'ok 1000');

      // A second engine on the same data dir (a restarted daemon) adopts the running container.
      const again = await setup.open();
      const adopted = await again.inspect(id);
      assert.equal(adopted?.state, 'running');
      assert.equal(adopted?.ip, c.ip);
      assert.deepEqual(adopted?.labels, { role: 'web' });
      assert.equal(await httpGet(`http://${c.ip}:5000/`), 'ok 1000');

      // node as pid 1 has no SIGTERM handler, so TERM is ignored and KILL follows after the grace.
      const exits: number[] = [];
      again.onExit((info) => exits.push(info.exitCode ?? -1));
      const t0 = Date.now();
      const stopped = await again.stop(id, 700);
      assert.ok(Date.now() - t0 >= 600, 'waited for the grace period');
      assert.equal(stopped.state, 'stopped');
      assert.equal(stopped.exitCode, 137);
      assert.deepEqual(exits, [137]);
      await assert.rejects(httpGet(`http://${c.ip}:5000/`, 1000));
      await again.remove(id);
      assert.equal(await again.inspect(id), undefined);
      await again.close();
      // The first engine still has it in memory; drop it without touching anything.
    });

    await t.test('notices a container that exits on its own; a TERM handler exits quickly', async () => {
      const id = uniq('worker');
      await engine.create({ id, image: STACK_REF, cmd: ['/bin/bash', '-c', 'trap "exit 42" TERM; echo started; while true; do sleep 0.1; done'] });
      const exited = new Promise<number | null | undefined>((resolve) => {
        const off = engine.onExit((info) => {
          if (info.id === id) {
            off();
            resolve(info.exitCode);
          }
        });
      });
      await engine.start(id);
      await pollFor(async () => ((await readFile(engine.logPath(id), 'utf8')).includes('started') ? true : undefined), 5000);
      const t0 = Date.now();
      const stopped = await engine.stop(id, 10_000);
      assert.ok(Date.now() - t0 < 5000);
      assert.equal(stopped.exitCode, 42);
      assert.equal(await exited, 42);
      // Restart (stopped → running), then let it exit by itself.
      await engine.start(id);
      await engine.remove(id);

      const id2 = uniq('short');
      await engine.create({ id: id2, image: STACK_REF, cmd: ['/bin/bash', '-c', 'sleep 0.3; exit 5'], network: 'none' });
      await engine.start(id2);
      const info = await pollFor(async () => {
        const i = await engine.inspect(id2);
        return i?.state === 'stopped' ? i : undefined;
      }, 5000);
      assert.equal(info?.exitCode, 5);
      assert.equal(info?.oomKilled, false);
      await engine.remove(id2);
    });

    await t.test('an exit that happened while no engine watched is picked up at open', async () => {
      const first = await setup.open();
      const id = uniq('offline');
      await first.create({ id, image: STACK_REF, cmd: ['/bin/bash', '-c', 'sleep 0.5; exit 9'], network: 'none' });
      await first.start(id);
      await first.close(); // the daemon goes away; the shim stays
      await new Promise((r) => setTimeout(r, 1500));
      const second = await setup.open();
      const info = await second.inspect(id);
      assert.equal(info?.state, 'stopped');
      assert.equal(info?.exitCode, 9);
      await second.remove(id);
      await second.close();
    });

    await t.test('a create the daemon died in (a directory without a state file) is removed at open, and its id is free again', async () => {
      const id = uniq('halfmade');
      const dir = join(setup.options.dataDir, 'containers', id);
      await mkdir(join(dir, 'rootfs'), { recursive: true });
      await writeFile(join(dir, 'config.json'), '{}');
      const reopened = await setup.open();
      assert.equal(existsSync(dir), false, 'the half-made container directory is gone');
      assert.equal(await reopened.inspect(id), undefined);
      await reopened.create({ id, image: STACK_REF, cmd: ['true'], network: 'none' });
      await reopened.remove(id);
      await reopened.close();
    });

    await t.test('network modes: host sees the host interfaces, none only lo', async () => {
      const host = collector();
      await engine.run({ id: uniq('host'), image: STACK_REF, cmd: ['cat', '/proc/net/dev'], network: 'host' }, { output: host.stream });
      assert.match(host.text(), /paast0:/);
      const none = collector();
      await engine.run({ id: uniq('none'), image: STACK_REF, cmd: ['cat', '/proc/net/dev'], network: 'none' }, { output: none.stream });
      const ifaces = none.text().split('\n').slice(2).filter(Boolean).map((l) => l.trim().split(':')[0]);
      assert.deepEqual(ifaces, ['lo']);
    });

    await t.test('invalid transitions are typed errors', async () => {
      const id = uniq('trans');
      await engine.create({ id, image: STACK_REF, cmd: ['true'], network: 'host' });
      await assert.rejects(engine.create({ id, image: STACK_REF, cmd: ['true'] }), { code: 'container_exists' });
      await engine.remove(id);
      await assert.rejects(engine.start(id), { code: 'container_not_found' });
      await assert.rejects(engine.create({ id: 'Bad_Id', image: STACK_REF }), { code: 'invalid_params' });
      await assert.rejects(engine.create({ id: uniq('noimg'), image: 'nope:1' }), { code: 'image_not_found' });
    });
  } finally {
    await setup.cleanup();
  }
});
