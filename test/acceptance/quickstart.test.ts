/**
 * The README's quickstart, end to end, as a new user follows it: the lines of its
 * ```sh quickstart block, read from README.md and typed in order into bash with the
 * user's HOME and the real `paas` (bin/paas) and `git` on the PATH, against a whole paas
 * (`paas up`, real containers). After each line, the test checks what the user sees.
 *
 * How a README line becomes what the test types (the only differences):
 * - the default ports are this paas's free ports (`127.0.0.1:5000` the API,
 *   `hello.paas.localhost:8080` the router);
 * - `paas login` gets the email and password typed at its prompts (on stdin);
 * - a line whose effect the platform completes in the background (log lines shipped, a
 *   router updated by events) is typed again until it shows what it should, within a few
 *   seconds, as a user would repeat it. Those lines say so (`retryForMs`).
 * Every line of the block must have a check here, in the same order, and every check a
 * line: the README and the test cannot drift apart.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseCidr } from '../../engine';
import { removeBridge } from '../../engine/bridge';
import { eventually, newSettings, newUser, request, ROOT, sleep, startPaas, type Cli, type PaasSettings, type RunningPaas } from '../helpers/paas';
import { commandOf, quickstartLines, UserShell, type ShellResult } from '../helpers/quickstart';

const isRoot = process.getuid?.() === 0;
const BRIDGE = 'paasq3';
const CIDR = '10.96.0.1/16';

interface Context {
  settings: PaasSettings;
  paas: RunningPaas;
  user: Cli;
  shell: UserShell;
  /** The URL `git push` printed. */
  url?: string;
  /** The one-off's name (run.NNNN) `paas run` printed. */
  oneOff?: string;
}

interface Step {
  /** The README line, without its comment. */
  command: string;
  /** What the user types at the line's prompts. */
  input?: (c: Context) => string;
  /** Retype the line until its check passes, for this long (what the platform finishes in the background). */
  retryForMs?: number;
  /** r: what the line printed; typed: the line as typed. */
  check: (r: ShellResult, c: Context, typed: string) => void | Promise<void>;
}

const ok = (r: ShellResult): void => assert.equal(r.status, 0, `exit ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
const hello = /^Hello from node-hello \(one day is 86400000 ms, up .+\)$/;
const hiThere = /^hi there from node-hello \(one day is 86400000 ms, up .+\)$/;

/** The one-off process, attached: its output on the terminal, its exit status paas's. */
const ONE_OFF: Step[] = [
  {
    command: "paas run 'echo $GREETING from a one-off'",
    check(r, c) {
      ok(r);
      c.oneOff = /^Running echo \$GREETING from a one-off on hello\.\.\. up, (run\.\d+)/m.exec(r.stderr)?.[1];
      assert.ok(c.oneOff, r.stderr);
      assert.equal(r.stdout, 'hi there from a one-off\n', 'the one-off ran with the config vars of the current release');
    },
  },
];

/** What each line of the README's quickstart shows, in the README's order. */
const STEPS: Step[] = [
  {
    command: 'paas login --api http://127.0.0.1:5000',
    input: (c) => `admin@paas.local\n${c.paas.adminPassword}\n`,
    check(r, c) {
      ok(r);
      assert.equal(r.stderr, 'Email: Password: ', 'the prompts, and no echo of the password');
      assert.equal(r.stdout, 'Logged in as admin@paas.local\n');
      assert.equal(fs.statSync(path.join(c.user.home, '.netrc')).mode & 0o777, 0o600, 'credentials are for the user only');
    },
  },
  {
    command: 'cp -r test/apps/node-hello ~/hello && cd ~/hello',
    check(r, c) {
      ok(r);
      assert.equal(c.shell.cwd, path.join(c.user.home, 'hello'));
      assert.ok(fs.existsSync(path.join(c.shell.cwd, 'server.js')));
    },
  },
  {
    command: 'git init -q -b main && git add -A && git commit -qm init',
    check(r, c) {
      ok(r);
      assert.equal(c.user.git(['log', '--format=%s'], c.shell.cwd).stdout, 'init\n');
    },
  },
  {
    command: 'paas apps:create hello',
    check(r, c) {
      ok(r);
      assert.equal(r.stderr, 'Creating hello... done\n');
      assert.equal(r.stdout, `http://hello.paas.localhost:${c.settings.routerPort}/ | http://127.0.0.1:${c.settings.gitPort}/hello.git\n`);
      assert.equal(c.user.git(['remote', 'get-url', 'paas'], c.shell.cwd).stdout.trim(), `http://127.0.0.1:${c.settings.gitPort}/hello.git`);
    },
  },
  {
    command: 'git push paas main',
    check(r, c) {
      ok(r);
      // (git pads each remote: line with spaces, to clear what a terminal showed there.)
      assert.match(r.stderr, /^remote: -----> Node\.js app detected *$/m);
      assert.match(r.stderr, /^remote: {8}Released v1 *$/m);
      c.url = /^remote: {8}(http:\/\/\S+) deployed to paas *$/m.exec(r.stderr)?.[1];
      assert.equal(c.url, `http://hello.paas.localhost:${c.settings.routerPort}/`, r.stderr);
      assert.match(r.stderr, /^To http:\/\/127\.0\.0\.1:\d+\/hello\.git\n \* \[new branch\] +main -> main$/m);
    },
  },
  {
    command: 'curl http://hello.paas.localhost:8080/',
    // The router learns of the new process from an event, a moment after the push returns.
    retryForMs: 5_000,
    check(r, c, typed) {
      assert.equal(typed, `curl ${c.url}`, 'the user opens the URL the push printed');
      ok(r);
      assert.match(r.stdout.trim(), hello);
    },
  },
  {
    command: 'paas config:set GREETING="hi there"',
    check(r) {
      ok(r);
      assert.equal(r.stderr, 'Setting GREETING and restarting hello... done, v2\n');
      assert.equal(r.stdout, 'GREETING: hi there\n');
    },
  },
  {
    command: 'paas ps:scale web=2 --wait',
    check(r) {
      ok(r);
      assert.match(r.stderr, /^Scaling dynos\.\.\. done, now running web at 2:standard-1x$/m);
      assert.match(r.stderr, /^Waiting for the processes\.\.\. done/m);
    },
  },
  {
    command: 'paas ps',
    check(r) {
      ok(r);
      assert.match(r.stdout, /^=== web \(standard-1x\): 2$/m);
      const web = r.stdout.split('\n').filter((l) => /^web\.\d+: /.test(l));
      assert.equal(web.length, 2, r.stdout);
      for (const line of web) assert.match(line, /^web\.[12]: up .* v2 on /, 'both up, on the release with GREETING');
    },
  },
  {
    command: 'curl http://hello.paas.localhost:8080/',
    retryForMs: 5_000,
    async check(r, c) {
      ok(r);
      assert.match(r.stdout.trim(), hiThere);
      // Whichever web process the router picks, the user sees the new greeting.
      for (let i = 0; i < 6; i++) assert.match((await request(c.settings.routerPort, 'hello.paas.localhost')).body.trim(), hiThere);
    },
  },
  {
    command: 'paas logs',
    // Log lines are shipped from the host and the router in the background.
    retryForMs: 20_000,
    check(r) {
      ok(r);
      assert.match(r.stdout, /^\S+ paas\[api\]: Set GREETING config vars by admin@paas\.local$/m);
      assert.match(r.stdout, /^\S+ app\[web\.[12]\]: node-hello listening on port 5000 with node v20\.\S+$/m);
      // The Procfile's command, as Heroku shows it (not the launcher that sources .profile.d around it).
      assert.match(r.stdout, /^\S+ paas\[web\.[12]\]: Starting process with command `node server\.js`$/m);
      assert.match(r.stdout, /^\S+ paas\[router\]: at=info method=GET path="\/" host=hello\.paas\.localhost .*status=200/m);
    },
  },
  ...ONE_OFF,
  {
    command: 'paas releases',
    check(r) {
      ok(r);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines[0], '=== hello Releases');
      assert.match(lines[1]!, /^v2 +Set GREETING config vars +\S+ +\(current\)$/);
      assert.match(lines[2]!, /^v1 +Deploy [0-9a-f]{7} +\S+$/);
      assert.equal(lines.length, 3);
    },
  },
  {
    command: 'paas rollback --wait',
    check(r, c) {
      ok(r);
      assert.match(r.stderr, /^Rolling back hello to v1\.\.\. done, v3$/m);
      assert.match(r.stderr, /^Deploying v3\.\.\. done$/m);
      assert.equal(r.stdout, 'Rollback to v1 is release v3; the processes restart with it.\n');
      // v3 is current and carries v1's config: no GREETING.
      const releases = JSON.parse(c.user.paas(['releases', '-a', 'hello', '--json']).stdout) as { version: number; description: string; current: boolean }[];
      assert.deepEqual([releases[0]!.version, releases[0]!.description, releases[0]!.current], [3, 'Rollback to v1', true]);
      assert.deepEqual(JSON.parse(c.user.paas(['config', '-a', 'hello', '--json']).stdout), {});
    },
  },
  {
    command: 'curl http://hello.paas.localhost:8080/',
    retryForMs: 5_000,
    async check(r, c) {
      ok(r);
      assert.match(r.stdout.trim(), hello, 'the app answers as before config:set');
      for (let i = 0; i < 6; i++) assert.match((await request(c.settings.routerPort, 'hello.paas.localhost')).body.trim(), hello);
    },
  },
  {
    command: 'paas apps:destroy hello --confirm hello',
    check(r, c) {
      ok(r);
      assert.equal(r.stderr, 'Destroying hello (including all its processes)... done\n');
      const apps = JSON.parse(c.user.paas(['apps', '--json']).stdout) as { name: string }[];
      assert.deepEqual(apps, []);
    },
  },
  {
    command: 'curl -i http://hello.paas.localhost:8080/',
    // The router drops the app's routes on the event of its destruction.
    retryForMs: 5_000,
    check(r) {
      ok(r);
      assert.match(r.stdout, /^HTTP\/1\.1 404 Not Found\r$/m);
      assert.match(r.stdout, /<h1>No such app<\/h1>/);
    },
  },
];

/** The line as this test's user types it: this paas's ports. */
function typed(line: string, c: Context): string {
  return line
    .replaceAll('127.0.0.1:5000', `127.0.0.1:${c.settings.apiPort}`)
    .replaceAll('hello.paas.localhost:8080', `hello.paas.localhost:${c.settings.routerPort}`);
}

const readme = quickstartLines();

// Without containers too (not root): a README edit without its check fails here first.
test('every line of the README quickstart has a check here, in the same order', () => {
  assert.deepEqual(readme.map(commandOf), STEPS.map((s) => s.command));
});

describe('the README quickstart, line by line, as a new user types it', { skip: !isRoot && 'needs root: runs real containers' }, () => {
  const c = {} as Context;
  let failed: string | undefined;

  before(async () => {
    c.settings = await newSettings({ PAAS_BRIDGE_NAME: BRIDGE, PAAS_BRIDGE_CIDR: CIDR });
    c.paas = await startPaas(c.settings);
    c.user = newUser();
    c.shell = new UserShell(c.user.env, ROOT);
  });

  after(async () => {
    if (c.user && c.paas) {
      c.user.paas(['apps:destroy', 'hello', '--confirm', 'hello']);
      // Destroying an app stops its containers; give the scheduler a pass to do it.
      await eventually('containers to stop', async () => (fs.readdirSync(`${c.settings.dataDir}/engine/containers`).length === 0 ? true : undefined), 60_000).catch(() => undefined);
    }
    // The platform's own log, for when a line above failed.
    if (failed && c.paas) fs.writeFileSync(path.join(os.tmpdir(), 'paas-quickstart-test.log'), c.paas.output());
    const code = await c.paas?.stop();
    // The bridge outlives `paas up` (apps keep running); this test's goes with it.
    await removeBridge(BRIDGE, parseCidr(CIDR)).catch(() => undefined);
    assert.equal(code, 0, 'paas up exits cleanly on Ctrl-C');
    for (const dir of [c.settings?.dataDir, c.user?.home]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  readme.forEach((line, i) => {
    test(`$ ${commandOf(line)}`, async (t) => {
      const step = STEPS[i];
      if (step?.command !== commandOf(line)) return assert.fail(`the README's line ${i + 1} is ${JSON.stringify(commandOf(line))}; the test checks ${JSON.stringify(step?.command)} there`);
      if (failed) return t.skip(`an earlier line failed: ${failed}`);
      failed = step.command;
      const deadline = Date.now() + (step.retryForMs ?? 0);
      for (let attempt = 1; ; attempt++) {
        const r = await c.shell.run(typed(line, c), step.input?.(c) ?? '');
        try {
          await step.check(r, c, commandOf(typed(line, c)));
          if (attempt > 1) t.diagnostic(`typed ${attempt} times`);
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await sleep(500);
        }
      }
      failed = undefined;
    });
  });
});
