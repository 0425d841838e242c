/**
 * Integration tests of the container lifecycle under conmon: one-shot runs, logs (stream
 * names, timestamps, tail/since/follow, long lines, rotation), kill/wait/restart, exec
 * (with and without a TTY), attach, onLog, re-adoption. Root only; bridge paash2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import type { EngineApi, LogEntry } from './types';
import { collector, skipReason, testEngine, type TestEngineSetup } from './integration-fixture';
import { STACK_REF } from './stack';
import { pollFor } from './launcher';

const skip = skipReason();
const uniq = (name: string): string => `${name}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;

async function collect(it: AsyncIterable<LogEntry>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

async function waitForLog(engine: EngineApi, id: string, text: string, timeoutMs = 10_000): Promise<void> {
  const ok = await pollFor(async () => ((await collect(engine.logs(id))).some((e) => e.line.includes(text)) ? true : undefined), timeoutMs);
  assert.ok(ok, `log of ${id} never showed ${text}`);
}

test('container lifecycle', { skip, timeout: 300_000 }, async (t) => {
  const setup: TestEngineSetup = await testEngine('paash2', '10.233.0.1/16');
  try {
    setup.options.logMaxBytes = 256 * 1024;
    const engine = await setup.open();
    await engine.ensureStack();

    await t.test('one-shot run: stdout and stderr apart, exit code, removed after', async () => {
      const out = collector();
      const err = collector();
      const r = await engine.run(
        { id: uniq('once'), image: STACK_REF, cmd: ['/bin/sh', '-c', 'echo out1; echo err1 >&2; printf partial; exit 3'], network: 'none' },
        { output: out.stream, stderr: err.stream },
      );
      assert.deepEqual(r, { exitCode: 3, oomKilled: false });
      assert.equal(out.text(), 'out1\npartial');
      assert.equal(err.text(), 'err1\n');
      assert.deepEqual(await engine.list(), []);
    });

    await t.test('logs: timestamps, streams, tail, since, long lines split, follow until exit', async () => {
      const id = uniq('logs');
      const script = 'echo one; echo two >&2; sleep 0.3; echo three; head -c 25000 /dev/zero | tr "\\0" x; echo; sleep 0.5; echo last';
      await engine.create({ id, image: STACK_REF, cmd: ['/bin/sh', '-c', script], network: 'none' });
      const t0 = new Date();
      await engine.start(id);
      const followed = collect(engine.logs(id, { follow: true }));
      const r = await engine.wait(id);
      assert.equal(r.exitCode, 0);
      const all = await followed;
      const lines = all.map((e) => `${e.stream}:${e.line.length > 20 ? `x*${e.line.length}` : e.line}`);
      assert.deepEqual(lines.filter((l) => !l.startsWith('stdout:x*')), ['stdout:one', 'stderr:two', 'stdout:three', 'stdout:last']);
      // 25,000 bytes come as 10,000 + 10,000 + 5,000, in order.
      assert.deepEqual(all.filter((e) => e.line.startsWith('xxx')).map((e) => e.line.length), [10_000, 10_000, 5_000]);
      for (const e of all) {
        assert.match(e.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d)$/);
        assert.ok(Date.parse(e.time) >= t0.getTime() - 1000);
      }
      assert.deepEqual((await collect(engine.logs(id, { tail: 2 }))).map((e) => e.line.slice(0, 5)), ['xxxxx', 'last']);
      const since = all.find((e) => e.line === 'three')!.time;
      assert.equal((await collect(engine.logs(id, { since }))).filter((e) => !e.line.startsWith('x'))[0]!.line, 'three');
      // The raw file is the CRI format other tools read.
      assert.match(await readFile(engine.logPath(id), 'utf8'), /^\S+ stdout F one\n/m);
      await engine.remove(id);
    });

    await t.test('logs are bounded: rotated, recent lines kept, nothing lost at the switch', async () => {
      const id = uniq('rotate');
      // ~1 MB of numbered lines against a 256 KiB bound (128 KiB per file), in bursts of
      // ~22 KB: a follower can only miss lines when it falls a whole file behind.
      const script = 'i=0; while [ $i -lt 20000 ]; do echo "line $i padding-padding-padding-padding"; i=$((i+1)); [ $((i % 500)) = 0 ] && sleep 0.02; done; true';
      await engine.create({ id, image: STACK_REF, cmd: ['/bin/bash', '-c', script], network: 'none' });
      await engine.start(id);
      const followed = collect(engine.logs(id, { follow: true }));
      await engine.wait(id);
      const seen = (await followed).map((e) => Number(/^line (\d+)/.exec(e.line)?.[1]));
      // A follower that kept up saw every line, in order, across conmon's file switches.
      assert.equal(seen.length, 20_000);
      assert.ok(seen.every((n, i) => n === i), 'followed lines are complete and in order');
      // What is kept is bounded and ends with the newest lines, contiguous in the current file.
      const dir = `${setup.options.dataDir}/containers/${id}`;
      const files = (await readdir(dir)).filter((f) => f.startsWith('output.log'));
      assert.ok(files.includes('output.log.1'), files.join(','));
      let bytes = 0;
      for (const f of new Set(files)) bytes += (await stat(`${dir}/${f}`)).size;
      assert.ok(bytes <= 256 * 1024 * 1.5, `kept ${bytes} bytes`);
      const kept = (await collect(engine.logs(id))).map((e) => Number(/^line (\d+)/.exec(e.line)?.[1]));
      assert.equal(kept[kept.length - 1], 19_999);
      assert.ok(kept.length < 20_000 && kept.length > 1000, `kept ${kept.length} lines`);
      const current = (await readFile(`${dir}/output.log`, 'utf8')).trim().split('\n').map((l) => Number(/ line (\d+)/.exec(l)?.[1]))
        .filter((n) => !Number.isNaN(n)); // the rest of a line conmon read in two pieces (a P then an F record)
      const gap = current.findIndex((n, i) => i > 0 && n !== current[i - 1]! + 1);
      assert.equal(gap, -1, `current file jumps at ${gap}: ${current.slice(Math.max(0, gap - 2), gap + 2).join(",")}`);
      await engine.remove(id);
    });

    await t.test('kill, wait, restart; invalid transitions are typed', async () => {
      const id = uniq('sig');
      await engine.create({ id, image: STACK_REF, cmd: ['/bin/bash', '-c', 'trap "echo got-hup; exit 12" HUP; echo ready; while true; do sleep 0.05; done'], network: 'none' });
      await assert.rejects(engine.kill(id, 'HUP'), { code: 'container_not_running' });
      await engine.start(id);
      await waitForLog(engine, id, 'ready');
      const waited = engine.wait(id);
      await engine.kill(id, 'SIGHUP');
      assert.deepEqual(await waited, { exitCode: 12, oomKilled: false });
      assert.deepEqual(await engine.wait(id), { exitCode: 12, oomKilled: false }, 'already stopped: at once');
      await assert.rejects(engine.kill(id, 'NOPE'), { code: 'container_not_running' });
      await assert.rejects(engine.exec(id, ['true'], { stdout: new PassThrough() }), { code: 'container_not_running' });
      const again = await engine.restart(id, 1000);
      assert.equal(again.state, 'running');
      await waitForLog(engine, id, 'ready');
      // bash as pid 1 has no TERM handler, so TERM is ignored: KILL after the grace period.
      const before = Date.now();
      const restarted = await engine.restart(id, 500);
      assert.equal(restarted.state, 'running');
      assert.ok(Date.now() - before >= 450, 'waited for the grace period');
      await assert.rejects(engine.kill(id, 'SIGBOGUS'), { code: 'invalid_signal' });
      await engine.remove(id);
      await assert.rejects(engine.wait(id), { code: 'container_not_found' });
    });

    await t.test('exec: exit code, output, env, user, cwd, stdin; a real TTY with its size', async () => {
      const id = uniq('exec');
      await engine.create({ id, image: STACK_REF, cmd: ['sleep', '300'], network: 'none' });
      await engine.start(id);
      const out = collector();
      const err = collector();
      const code = await engine.exec(id, ['/bin/sh', '-c', 'echo "$FOO $(id -u) $(pwd)"; echo oops >&2; exit 4'], {
        env: { FOO: 'bar' },
        user: { uid: 0, gid: 0 },
        cwd: '/tmp',
        stdout: out.stream,
        stderr: err.stream,
      });
      assert.equal(code, 4);
      assert.equal(out.text(), 'bar 0 /tmp\n');
      assert.equal(err.text(), 'oops\n');

      const stdin = new PassThrough();
      const cat = collector();
      const catDone = engine.exec(id, ['cat'], { stdin, stdout: cat.stream });
      stdin.end('piped in\n');
      assert.equal(await catDone, 0);
      assert.equal(cat.text(), 'piped in\n');

      const tty = collector();
      const ttyCode = await engine.exec(id, ['/bin/sh', '-c', 'tty; stty size; test -t 0 && echo is-a-tty; exit 6'], {
        tty: { rows: 33, cols: 101 },
        stdout: tty.stream,
      });
      assert.equal(ttyCode, 6);
      assert.match(tty.text(), /^\/dev\/pts\/\d+\r\n33 101\r\nis-a-tty\r\n$/);

      // Interactive: a shell on the terminal reads what we type.
      const keys = new PassThrough();
      const shell = collector();
      const shellDone = engine.exec(id, ['/bin/sh'], { tty: true, stdin: keys, stdout: shell.stream });
      keys.write('echo typed-$((6*7))\n');
      keys.write('exit 9\n');
      assert.equal(await shellDone, 9);
      assert.match(shell.text(), /typed-42/);

      // A resize reaches the running process (SIGWINCH) and its terminal (stty size).
      const keys2 = new PassThrough();
      const sized = collector();
      let terminal: { resize(size: { rows: number; cols: number }): Promise<void> } | undefined;
      const sizedDone = engine.exec(id, ['/bin/bash', '-c', 'trap "echo winched" WINCH; echo ready; while read -r l; do [ "$l" = q ] && break; stty size; done'], {
        tty: { rows: 10, cols: 20 },
        stdin: keys2,
        stdout: sized.stream,
        onTerminal: (t) => (terminal = t),
      });
      await pollFor(async () => (sized.text().includes('ready') ? true : undefined), 10_000);
      await terminal!.resize({ rows: 40, cols: 132 });
      await pollFor(async () => (sized.text().includes('winched') ? true : undefined), 5_000);
      keys2.write('size\n');
      await pollFor(async () => (sized.text().includes('40 132') ? true : undefined), 5_000);
      // A burst of sizes (a window dragged) is applied in order: the terminal ends at the last.
      await Promise.all(Array.from({ length: 10 }, (_, i) => terminal!.resize({ rows: 41 + i, cols: 111 + i })));
      keys2.write('size\n');
      await pollFor(async () => (sized.text().includes('50 120') ? true : undefined), 5_000).catch(() =>
        assert.fail(`the terminal did not end at the last size of the burst: ${JSON.stringify(sized.text().slice(-80))}`),
      );
      keys2.write('q\n');
      assert.equal(await sizedDone, 0);
      assert.match(sized.text(), /winched[\s\S]*40 132/);
      await engine.stop(id, 0);
      await engine.remove(id);
    });

    await t.test('attach and onLog see new output as it is written', async () => {
      const id = uniq('attach');
      const heard: string[] = [];
      const off = engine.onLog((cid, e) => {
        if (cid === id) heard.push(`${e.stream}:${e.line}`);
      });
      await engine.create({ id, image: STACK_REF, cmd: ['/bin/sh', '-c', 'echo first; sleep 1; echo second; echo third >&2; sleep 0.3'], network: 'none' });
      await engine.start(id);
      const out = collector();
      await engine.attach(id, { stdout: out.stream, follow: true });
      assert.match(out.text(), /second\nthird\n$/);
      await pollFor(async () => (heard.length >= 3 ? true : undefined), 3000);
      off();
      assert.deepEqual(heard, ['stdout:first', 'stdout:second', 'stderr:third']);
      await engine.remove(id);
    });

    await t.test('re-adopted by a new engine: state, logs, exec, stop', async () => {
      const id = uniq('adopt');
      await engine.create({ id, image: STACK_REF, cmd: ['/bin/sh', '-c', 'echo before; while true; do sleep 0.2; done'] });
      const started = await engine.start(id);
      await waitForLog(engine, id, 'before');
      const second = await setup.open();
      const adopted = await second.inspect(id);
      assert.equal(adopted?.state, 'running');
      assert.equal(adopted?.ip, started.ip);
      assert.equal((await collect(second.logs(id)))[0]?.line, 'before');
      const out = collector();
      assert.equal(await second.exec(id, ['echo', 'from-second'], { stdout: out.stream }), 0);
      assert.equal(out.text(), 'from-second\n');
      const stopped = await second.stop(id, 300);
      assert.equal(stopped.exitCode, 137);
      await second.remove(id);
      await second.close();
    });
  } finally {
    await setup.cleanup();
  }
});
