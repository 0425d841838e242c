/**
 * Push to answer: the time from `git push` to the new release answering through the
 * router, for node-hello, first build (cold cache, the stack already bootstrapped) and a
 * rebuild with a warm cache (one small file changed, same dependencies). The split
 * comes from when each line of the build log reaches the git client:
 *
 *   receive  push start → "Building on the … stack" (pack upload, fsck, hook start)
 *   build    → "Compressing..."   (source unpack, buildpack detect/compile/release in containers)
 *   image    → "Launching..."     (the /app layer committed as an image, build recorded)
 *   release  → "Released vN"      (the controller's release)
 *   start    → "deployed to paas" (scheduler, engine start, web process accepting on $PORT)
 *   route    → the router answers with the new release's body
 *
 * Baseline: a plain `git push` of the same repository to a local bare repository.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loginAsAdmin, newSettings, newUser, request, sampleRepo, startPaas, type Cli } from '../test/helpers/paas';
import { destroyApp, stopPaas } from './cleanup';
import { printTable, type BenchResult } from './table';

const MARKERS = [
  ['receive', /-----> Building on the/],
  ['build', /-----> Compressing\.\.\./],
  ['image', /-----> Launching\.\.\./],
  ['release', /Released v\d+/],
  ['start', /deployed to paas/],
] as const;

interface Timed {
  total: number;
  split: Record<string, number>;
}

/** Pushes and records when each marker line arrived, then waits for the router. */
async function timedPush(user: Cli, repo: string, routerPort: number, host: string, expect: string): Promise<Timed> {
  const t0 = performance.now();
  const seen: Record<string, number> = {};
  const child = spawn('git', ['push', 'paas', 'main'], { cwd: repo, env: { ...process.env, HOME: user.home, GIT_TERMINAL_PROMPT: '0' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    log += d;
    for (const [name, re] of MARKERS) if (seen[name] === undefined && re.test(log)) seen[name] = performance.now();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`push failed:\n${log}`);
  for (;;) {
    const r = await request(routerPort, host).catch(() => ({ status: 0, body: '' }));
    if (r.status === 200 && r.body.includes(expect)) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  const done = performance.now();
  const split: Record<string, number> = {};
  let prev = t0;
  for (const [name] of MARKERS) {
    const at = seen[name] ?? prev;
    split[name] = at - prev;
    prev = at;
  }
  split.route = done - prev;
  return { total: done - t0, split };
}

/** The baseline: the same repository pushed to a bare repository on the same disk. */
function plainPush(repo: string): number {
  const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-bench-bare-'));
  spawnSync('git', ['init', '-q', '--bare', bare]);
  const t0 = performance.now();
  const r = spawnSync('git', ['push', '-q', bare, 'main'], { cwd: repo });
  const ms = performance.now() - t0;
  fs.rmSync(bare, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`plain push failed: ${r.stderr.toString()}`);
  return ms;
}

function commitRev(user: Cli, repo: string, rev: string): void {
  fs.writeFileSync(path.join(repo, 'rev.txt'), rev + '\n');
  user.git(['add', '-A'], repo);
  user.git(['commit', '-q', '-m', rev], repo);
}

export async function benchPush(): Promise<BenchResult[]> {
  const settings = await newSettings({ PAAS_BRIDGE_NAME: 'paasc1', PAAS_BRIDGE_CIDR: '10.83.0.1/24' });
  const paas = await startPaas(settings);
  const user = newUser();
  try {
    loginAsAdmin(user, paas);
    const repo = sampleRepo(user, 'node-hello');
    // The app says which commit it runs, so the router's answer shows the new release.
    const server = path.join(repo, 'server.js');
    fs.writeFileSync(server, fs.readFileSync(server, 'utf8').replace('from node-hello (', "from node-hello ${require('fs').readFileSync(__dirname + '/rev.txt', 'utf8').trim()} ("));
    commitRev(user, repo, 'rev-1');
    if (user.paas(['apps:create', 'bench'], repo).status !== 0) throw new Error('apps:create failed');
    // The stack is bootstrapped once per host (cached); warming it is not the app's build.
    const host = `bench.${settings.domain}`;
    const first = await timedPush(user, repo, settings.routerPort, host, 'rev-1');
    commitRev(user, repo, 'rev-2');
    const rebuild = await timedPush(user, repo, settings.routerPort, host, 'rev-2');
    const baseline = plainPush(repo);

    const results: BenchResult[] = [];
    for (const [label, t] of [['first build', first], ['rebuild, warm cache', rebuild]] as const) {
      results.push({ name: `push → answering (${label})`, value: t.total, unit: 'ms', baseline, baselineName: 'git push to a bare repo' });
      for (const [part, ms] of Object.entries(t.split)) {
        results.push({ name: `  ${label}: ${part}`, value: ms, unit: 'ms', baseline, baselineName: 'git push to a bare repo' });
      }
    }
    await destroyApp(user, settings, 'bench');
    return results;
  } finally {
    await stopPaas(paas, settings, user);
  }
}

if (require.main === module) {
  benchPush().then(
    (results) => printTable(results),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
