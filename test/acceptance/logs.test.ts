/**
 * `paas logs` end to end with real containers: a process floods its output while
 * another app's process writes a numbered line every 50 ms, followed live with
 * `paas logs --tail`. The calm app's stream loses nothing and stays in order; the
 * flood is bounded (the agent's memory, the container's log files) and says what it
 * dropped (L12); a 25,000-byte line arrives split at 10,000 bytes, not dropped. The
 * tail's delay is printed, not asserted (a timed assertion would test the machine).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, loginAsAdmin, newSettings, newUser, ROOT, sampleRepo, sleep, startPaas, type Cli, type PaasSettings, type RunningPaas } from '../helpers/paas';

const isRoot = process.getuid?.() === 0;

/** Resident memory of a process and its children (the agent lives in `paas up`). */
function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

describe('paas logs with real containers: a flood beside a calm app', { skip: !isRoot && 'needs root: runs real containers' }, () => {
  let settings: PaasSettings;
  let paas: RunningPaas;
  let user: Cli;

  before(async () => {
    settings = await newSettings({ PAAS_BRIDGE_NAME: 'paasl0', PAAS_BRIDGE_CIDR: '10.92.0.1/16' });
    paas = await startPaas(settings);
    user = newUser();
    loginAsAdmin(user, paas);
    for (const app of ['calm', 'flood']) {
      const repo = sampleRepo(user, 'log-writer');
      assert.equal(user.paas(['apps:create', app], repo).status, 0);
      if (app === 'flood') assert.equal(user.paas(['config:set', 'LOG_MODE=flood', '-a', app]).status, 0);
      const push = user.git(['push', 'paas', 'main'], repo);
      assert.equal(push.status, 0, push.stderr);
    }
  });

  after(async () => {
    if (user && paas) {
      for (const app of ['calm', 'flood']) user.paas(['apps:destroy', app, '--confirm', app]);
      await eventually('containers to stop', async () => (fs.readdirSync(`${settings.dataDir}/engine/containers`).length === 0 ? true : undefined), 60_000).catch(() => undefined);
    }
    const code = await paas?.stop();
    assert.equal(code, 0, 'paas up exits cleanly on Ctrl-C');
    for (const dir of [settings?.dataDir, user?.home]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a 25,000-byte line arrives as lines of 10,000, 10,000 and 5,000 bytes, in order', async () => {
    assert.equal(user.paas(['ps:scale', 'worker=1', '-a', 'calm']).status, 0);
    await eventually('calm lines in the log', async () => (/app\[worker\.1\]: calm \d+/.test(user.paas(['logs', '-a', 'calm', '-n', '20']).stdout) ? true : undefined));
    const lines = user.paas(['logs', '-a', 'calm', '-n', '1500', '--source', 'app']).stdout.split('\n').filter((l) => / app\[worker\.1\]: x+$/.test(l));
    assert.deepEqual(lines.map((l) => l.split(': ')[1]!.length), [10_000, 10_000, 5_000]);
  });

  test("the calm app's tail loses nothing and keeps its order while the other app floods; the flood is bounded", async () => {

    // Follow the calm app live, as a user would, while the flood runs.
    const tail = spawn(process.execPath, [path.join(ROOT, 'bin', 'paas'), 'logs', '--tail', '-a', 'calm', '--ps', 'worker.1', '--source', 'app', '-n', '0'], { env: { ...process.env, HOME: user.home }, stdio: ['ignore', 'pipe', 'pipe'] });
    const got: { n: number; delayMs: number; at: number }[] = [];
    const t0 = Date.now();
    const marks: string[] = [];
    const at: Record<string, number> = {};
    const mark = (what: string): void => {
      at[what] = Date.now() - t0;
      marks.push(`${what} at +${at[what]} ms`);
    };
    let partial = '';
    tail.stdout.setEncoding('utf8').on('data', (d: string) => {
      const now = Date.now();
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      for (const l of lines) {
        const m = / app\[worker\.1\]: calm (\d+) (\d+)$/.exec(l);
        if (m) got.push({ n: Number(m[1]), delayMs: now - Number(m[2]), at: now - t0 });
      }
    });
    // And the flood's own platform lines, where its L12 notices appear.
    const floodPaas = spawn(process.execPath, [path.join(ROOT, 'bin', 'paas'), 'logs', '--tail', '-a', 'flood', '--source', 'paas', '-n', '0'], { env: { ...process.env, HOME: user.home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let floodNotices = '';
    floodPaas.stdout.setEncoding('utf8').on('data', (d: string) => (floodNotices += d));
    const rssBefore = rssMiB(paas.pid);
    assert.equal((await user.paasAsync(['ps:scale', 'worker=1', '-a', 'flood'])).status, 0);
    await eventually('the flood to flow', async () => (/app\[worker\.1\]: flood flood/.test((await user.paasAsync(['logs', '-a', 'flood', '-n', '5'])).stdout) ? true : undefined), 60_000);
    mark('flood flowing');
    let rssMax = rssBefore;
    for (let i = 0; i < 15; i++) {
      await sleep(1_000);
      rssMax = Math.max(rssMax, rssMiB(paas.pid));
    }
    mark('15 s of flood');
    const floodTail = (await user.paasAsync(['logs', '-a', 'flood', '-n', '1500'])).stdout.split('\n').filter(Boolean);
    mark('flood logs read');
    assert.equal((await user.paasAsync(['ps:scale', 'worker=0', '-a', 'flood'])).status, 0);
    mark('flood scaled to 0');
    await sleep(1_000);
    tail.kill('SIGINT');
    floodPaas.kill('SIGINT');

    // Nothing lost, nothing out of order, across the whole flood.
    // The tail covers the whole flood: a line before it flowed and one after its 15 s. The
    // calm app writes every 50 ms when idle but, beside a flood on 2 cores, about 9 lines
    // a second (its date and sleep forks wait for CPU), so the count is not a fixed 20/s.
    const span = `calm #${got[0]?.n} at +${got[0]?.at} ms to #${got.at(-1)?.n} at +${got.at(-1)?.at} ms; ${marks.join(', ')}`;
    assert.ok(got.length > 0 && got[0]!.at < at['flood flowing']! && got.at(-1)!.at > at['15 s of flood']!, `the tail spans the flood: ${span}`);
    assert.ok(got.length >= 100, `the tail received ${got.length} calm lines (${span})`);
    const first = got[0]!.n;
    assert.deepEqual(got.map((g) => g.n), got.map((_, i) => first + i), 'consecutive calm lines, no gap');
    const delays = got.map((g) => g.delayMs).sort((a, b) => a - b);
    const worst = [...got].sort((a, b) => b.delayMs - a.delayMs).slice(0, 5).map((g) => `#${g.n - first} ${g.delayMs} ms (received at +${g.at} ms)`);
    console.log(`calm app's slowest lines (of ${got.length}): ${worst.join(', ')}; ${marks.join(', ')}`);
    console.log(`calm app's tail during the flood: ${got.length} lines, delay p50 ${quantile(delays, 0.5)} ms, p99 ${quantile(delays, 0.99)} ms, max ${delays.at(-1)} ms`);

    // The flood is bounded where it is made: the stream keeps its last 1,500 lines, the
    // agent drops what it cannot ship and says so, memory and files stay bounded.
    assert.ok(floodTail.length >= 1_400, `the flood's recent lines: ${floodTail.length}`);
    assert.match(floodNotices, /paas\[worker\.1\]: Error L12 \(Local buffer overflow\): \d+ messages dropped since /);
    console.log(`paas up RSS: ${rssBefore.toFixed(0)} MiB before the flood, at most ${rssMax.toFixed(0)} MiB during it`);
    assert.ok(rssMax - rssBefore < 150, `paas up grew by ${(rssMax - rssBefore).toFixed(0)} MiB during the flood`);
    for (const id of fs.readdirSync(`${settings.dataDir}/engine/containers`)) {
      const dir = `${settings.dataDir}/engine/containers/${id}`;
      const bytes = fs.readdirSync(dir).filter((f) => f.startsWith('output.log')).reduce((n, f) => n + fs.statSync(`${dir}/${f}`).size, 0);
      assert.ok(bytes <= 11 * 1024 * 1024, `container ${id} keeps ${bytes} bytes of logs`);
    }
  });
});
