/**
 * The CLI's manners (issue #9's "Behaviour"), against a real controller process and a
 * real nats-server, without containers: `--json` on every command that lists or shows,
 * colour only on a terminal, progress and the typed confirmation of apps:create and
 * apps:destroy, and the failures a user meets: not logged in, an unknown app, an app of
 * someone else, and config:set with what is not KEY=VALUE.
 *
 * The CLI runs with an environment built here (not the test runner's), so that neither
 * FORCE_COLOR nor NO_COLOR leaks in; `script` gives it a terminal where one is needed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ControllerClient } from '../../controller';
import { startEmbeddedNats, type EmbeddedNats } from '../../daemon/nats-server';
import { silentLogger } from '../../shared';
import { startControllerProcess, type ControllerProcess } from '../helpers/controller-process';
import { ROOT } from '../helpers/paas';
import { freePort } from '../helpers/ports';

const BIN = path.join(ROOT, 'bin', 'paas');
/** Any escape sequence; SGR (colour and bold) alone; a cursor move up (a spinner's redraw). */
const E = String.fromCharCode(27);
const ESC = new RegExp(E);
const SGR = new RegExp(`${E}\\[[0-9;]*m`);
const CURSOR_UP = new RegExp(`${E}\\[1A`);
/** oclif wraps long errors over lines that start with › */
const oneLine = (text: string): string => text.replace(/\s*\n\s*›\s*/g, ' ');
/** What a terminal showed, without its escape sequences and carriage returns. */
const plain = (text: string): string => text.replace(new RegExp(`${E}\\[[0-9;?]*[A-Za-z]`, 'g'), '').replace(/\r/g, '');

type Result = { status: number | null; stdout: string; stderr: string };

/** A user of the CLI: a HOME of their own, and nothing of the runner's environment. */
class User {
  readonly home = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-home-'));

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.home, LANG: 'C.UTF-8', ...extra };
  }

  /** The CLI with its stdout and stderr piped, as a script runs it. */
  paas(args: string[], env: Record<string, string> = {}): Result {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: this.home, env: this.env(env), encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** The CLI on a terminal (a pty from `script`), with `input` typed into it. */
  onTerminal(args: string[], o: { input?: string; env?: Record<string, string> } = {}): { status: number | null; output: string } {
    const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const line = [process.execPath, BIN, ...args].map(quote).join(' ');
    const r = spawnSync('script', ['-qec', line, '/dev/null'], { cwd: this.home, env: this.env({ TERM: 'xterm-256color', ...o.env }), input: o.input ?? '', encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, output: r.stdout ?? '' };
  }
}

describe('paas CLI behaviour: --json, colour, progress, and failures', () => {
  let nats: EmbeddedNats;
  let controller: ControllerProcess;
  let dataDir: string;
  let url: string;
  let operator: ControllerClient;
  let buildId: string;
  const dev = new User();
  const eve = new User();
  const op = new User();
  const stranger = new User();
  const a = ['-a', 'shop'];

  const ok = (r: Result): Result => {
    assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
    return r;
  };
  const fails = (r: Result, message: RegExp): void => {
    assert.notEqual(r.status, 0, `should fail: ${r.stdout}`);
    assert.match(oneLine(r.stderr), message);
    assert.equal(r.stdout, '', 'an error prints nothing on stdout, where a script reads');
  };
  const appNames = (u: User): string[] => (JSON.parse(ok(u.paas(['apps', '--json'])).stdout) as { name: string }[]).map((x) => x.name);

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-cli-behaviour-'));
    nats = await startEmbeddedNats(dataDir, await freePort(), silentLogger);
    controller = await startControllerProcess({ PAAS_DATA_DIR: dataDir, PAAS_API_PORT: String(await freePort()), PAAS_BIND_ADDRESS: '127.0.0.1', NATS_URL: nats.url });
    url = controller.info.url;
    const { token } = await new ControllerClient(url).login('admin@paas.local', controller.info.adminPassword ?? '');
    operator = new ControllerClient(url, token);
    for (const email of ['dev@example.com', 'eve@example.com']) await operator.request('POST', '/users', { email, password: 'correct horse battery' });
    for (const [u, email, password] of [[dev, 'dev@example.com', 'correct horse battery'], [eve, 'eve@example.com', 'correct horse battery'], [op, 'admin@paas.local', controller.info.adminPassword ?? '']] as const) {
      ok(u.paas(['login', '--api', url, '--email', email], { PAAS_PASSWORD: password }));
    }
    ok(dev.paas(['apps:create', 'shop']));
    // The builder's part, played by the test: a build of shop with a web process, released.
    const build = await operator.createBuild('shop', 'f00dcafe'.repeat(5), 'dev@example.com');
    await operator.finishBuild('shop', build.id, { status: 'succeeded', image: 'paas/shop:1', process_types: { web: 'node server.js' } });
    await operator.createRelease('shop', build.id);
    buildId = build.id;
    ok(dev.paas(['config:set', 'GREETING=hello world', ...a]));
    ok(dev.paas(['domains:add', 'www.shop.example', ...a]));
  });
  after(async () => {
    controller?.kill('SIGTERM');
    await controller?.exited;
    await nats?.stop();
    for (const dir of [dataDir, dev.home, eve.home, op.home, stranger.home]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('every command that lists or shows answers --json: the resource alone on stdout, never the login token', () => {
    const token = (JSON.parse(fs.readFileSync(path.join(dev.home, '.config', 'paas', 'credentials.json'), 'utf8')) as { token: string }).token;
    const cases: [User, string[], (json: never) => void][] = [
      [dev, ['apps'], (j: { name: string }[]) => assert.deepEqual(j.map((x) => x.name), ['shop'])],
      [dev, ['apps:info', ...a], (j: { name: string; owner: string; formation: { type: string }[] }) => assert.deepEqual([j.name, j.owner, j.formation.map((f) => f.type)], ['shop', 'dev@example.com', ['web']])],
      [dev, ['config', ...a], (j: Record<string, string>) => assert.deepEqual(j, { GREETING: 'hello world' })],
      [dev, ['config:get', 'GREETING', ...a], (j: Record<string, string>) => assert.deepEqual(j, { GREETING: 'hello world' })],
      [dev, ['config:get', 'UNSET', ...a], (j: Record<string, string>) => assert.deepEqual(j, {})],
      [dev, ['releases', ...a], (j: { version: number }[]) => assert.deepEqual(j.map((r) => r.version), [2, 1])],
      [dev, ['releases:info', 'v2', ...a], (j: { version: number; config_vars: Record<string, string> }) => assert.deepEqual([j.version, j.config_vars], [2, { GREETING: 'hello world' }])],
      [dev, ['builds', ...a], (j: { id: string }[]) => assert.deepEqual(j.map((b) => b.id), [buildId])],
      [dev, ['builds:info', ...a], (j: { id: string; status: string }) => assert.deepEqual([j.id, j.status], [buildId, 'succeeded'])],
      [dev, ['buildpacks', ...a], (j: unknown[]) => assert.deepEqual(j, [])],
      [dev, ['ps', ...a], (j: unknown[]) => assert.ok(Array.isArray(j))],
      [dev, ['ps:scale', ...a], (j: { type: string; quantity: number }[]) => assert.deepEqual(j.map((f) => f.type), ['web'])],
      [dev, ['ps:type', ...a], (j: { type: string; memory_bytes: number }[]) => assert.ok(j[0].type === 'web' && j[0].memory_bytes > 0)],
      [dev, ['domains', ...a], (j: { hostname: string }[]) => assert.ok(j.some((d) => d.hostname === 'www.shop.example'), JSON.stringify(j))],
      [dev, ['drains', ...a], (j: unknown[]) => assert.deepEqual(j, [])],
      [dev, ['certs', ...a], (j: unknown[]) => assert.deepEqual(j, [])],
      [dev, ['access', ...a], (j: { user: string; role: string }[]) => assert.deepEqual(j, [{ user: 'dev@example.com', role: 'owner' }])],
      [dev, ['metrics', '--minutes', '5', ...a], (j: { from: string; to: string }) => assert.ok(j.from < j.to)],
      [dev, ['auth:whoami'], (j: { email: string }) => assert.equal(j.email, 'dev@example.com')],
      [dev, ['auth:tokens'], (j: { id: number; description: string }[]) => assert.ok(j.length >= 1 && j.every((t) => !('token' in t)))],
      [op, ['hosts'], (j: unknown[]) => assert.ok(Array.isArray(j))],
    ];
    for (const [u, args, check] of cases) {
      const r = ok(u.paas([...args, '--json']));
      let json: unknown;
      assert.doesNotThrow(() => (json = JSON.parse(r.stdout)), `paas ${args.join(' ')} --json printed no JSON: ${r.stdout}`);
      check(json as never);
      assert.equal(r.stderr, '', `paas ${args.join(' ')} --json: nothing on stderr`);
      assert.ok(!r.stdout.includes(token), `paas ${args.join(' ')} --json shows the login token`);
    }
    // The people's output stays a table or a page, not JSON.
    assert.match(ok(dev.paas(['config', ...a])).stdout, /^=== shop Config Vars\nGREETING: hello world\n$/);
    assert.equal(ok(dev.paas(['config:get', 'GREETING', ...a])).stdout, 'hello world\n');
    assert.equal(ok(dev.paas(['ps:scale', ...a])).stdout, 'web=1:standard-1x\n');
  });

  test('ps:scale --json prints the new formation after the change', () => {
    const r = ok(dev.paas(['ps:scale', 'web=2', '--json', ...a]));
    assert.deepEqual((JSON.parse(r.stdout) as { type: string; quantity: number }[]).map((f) => [f.type, f.quantity]), [['web', 2]]);
    assert.match(r.stderr, /Scaling dynos\.\.\. done, now running web at 2:standard-1x/);
  });

  test('commands that create something print it with --json: apps:create, domains:add, drains:add, rollback', () => {
    const created = JSON.parse(ok(dev.paas(['apps:create', 'made', '--json'])).stdout) as { name: string; git_url: string };
    assert.deepEqual([created.name, created.git_url.endsWith('/made.git')], ['made', true]);
    ok(dev.paas(['apps:destroy', 'made', '--confirm', 'made']));
    assert.deepEqual(JSON.parse(ok(dev.paas(['domains:add', 'api.shop.example', '--json', ...a])).stdout), { hostname: 'api.shop.example', kind: 'custom' });
    const drain = JSON.parse(ok(dev.paas(['drains:add', 'syslog://127.0.0.1:5140', '--json', ...a])).stdout) as { url: string; token: string };
    assert.equal(drain.url, 'syslog://127.0.0.1:5140');
    assert.match(drain.token, /^d\./);
    ok(dev.paas(['drains:remove', drain.token, ...a]));
    const rollback = ok(dev.paas(['rollback', 'v1', '--json', ...a]));
    const release = JSON.parse(rollback.stdout) as { version: number; description: string };
    assert.deepEqual([release.version, release.description], [3, 'Rollback to v1']);
    assert.match(rollback.stderr, /Rolling back shop to v1\.\.\. done, v3/);
    ok(dev.paas(['rollback', 'v2', ...a])); // v2's config back, for the tests that follow
  });

  test('colour only on a terminal: piped output has no escape codes, whatever the terminal variables say', () => {
    const colourful = { TERM: 'xterm-256color', COLORTERM: 'truecolor' };
    const runs = [
      dev.paas(['apps:create', '--help'], colourful),
      dev.paas(['help'], colourful),
      dev.paas(['apps', '--bogus'], colourful),
      dev.paas(['apps:info', '-a', 'ghost'], colourful),
      dev.paas(['apps:destroy', 'shop'], colourful),
      dev.paas(['config', ...a], colourful),
      dev.paas(['apps:create', 'piped'], colourful),
      dev.paas(['apps:destroy', 'piped', '--confirm', 'piped'], colourful),
      dev.paas(['ps:scale', 'web=1', ...a], colourful),
    ];
    for (const r of runs) {
      assert.doesNotMatch(r.stdout, ESC, `escape codes on a pipe: ${JSON.stringify(r.stdout.slice(0, 200))}`);
      assert.doesNotMatch(r.stderr, ESC, `escape codes on a pipe: ${JSON.stringify(r.stderr.slice(0, 200))}`);
    }
    // The same help on a terminal has colour (so the check above can fail), unless NO_COLOR.
    const tty = dev.onTerminal(['apps:create', '--help']);
    assert.equal(tty.status, 0, tty.output);
    assert.match(tty.output, SGR, 'a terminal gets colour');
    const noColor = dev.onTerminal(['apps:create', '--help'], { env: { NO_COLOR: '1' } });
    assert.match(plain(noColor.output), /USAGE\n {2}\$ paas apps:create/);
    assert.doesNotMatch(noColor.output, SGR, 'NO_COLOR is honoured on a terminal');
    // And FORCE_COLOR colours even a pipe, for those who ask.
    assert.match(dev.paas(['apps:create', '--help'], { FORCE_COLOR: '1' }).stdout, SGR);
  });

  test('apps:create shows a spinner on a terminal and one line on a pipe', () => {
    const tty = dev.onTerminal(['apps:create', 'on-tty']);
    assert.equal(tty.status, 0, tty.output);
    assert.match(plain(tty.output), /Creating on-tty\.\.\. done\n/);
    assert.match(tty.output, CURSOR_UP, 'the spinner redraws its line');
    const piped = ok(dev.paas(['apps:create', 'on-pipe']));
    assert.equal(piped.stderr, 'Creating on-pipe... done\n');
    assert.match(piped.stdout, /on-pipe\..*\| .*on-pipe\.git/);
  });

  test('apps:destroy: --confirm NAME, or the name typed on a terminal; without a terminal it says to pass --confirm', () => {
    fails(dev.paas(['apps:destroy', 'on-pipe']), /This destroys on-pipe and cannot be undone\. To proceed, run: paas apps:destroy on-pipe --confirm on-pipe/);
    fails(dev.paas(['apps:destroy', 'on-pipe', '--confirm', 'on-tty']), /Confirmation on-tty did not match on-pipe\. Aborted\./);
    assert.ok(appNames(dev).includes('on-pipe'), 'nothing was destroyed');

    const wrong = dev.onTerminal(['apps:destroy', 'on-tty'], { input: 'on-pipe\n' });
    assert.notEqual(wrong.status, 0);
    assert.match(plain(wrong.output), /WARNING: This destroys on-tty and cannot be undone\.\n ▸ +To proceed, type on-tty or re-run this command with --confirm on-tty/);
    assert.match(oneLine(plain(wrong.output)), /Confirmation did not match on-tty\. Aborted\./);
    assert.ok(appNames(dev).includes('on-tty'), 'a wrong name destroys nothing');

    const typed = dev.onTerminal(['apps:destroy', '-a', 'on-tty'], { input: 'on-tty\n' });
    assert.equal(typed.status, 0, typed.output);
    assert.match(plain(typed.output), /Destroying on-tty \(including all its processes\)\.\.\. done/);
    assert.ok(!appNames(dev).includes('on-tty'));

    const confirmed = ok(dev.paas(['apps:destroy', 'on-pipe', '--confirm', 'on-pipe']));
    assert.equal(confirmed.stderr, 'Destroying on-pipe (including all its processes)... done\n');
    assert.ok(!appNames(dev).includes('on-pipe'));
    fails(dev.paas(['apps:info', '-a', 'on-pipe']), /Couldn't find that app: on-pipe\./);
  });

  test('not logged in: every command says to run paas login, and a token the API refuses says to log in again', () => {
    // One check in cli/base.ts serves every command; these are the kinds: list, show, create, destroy, change, stream, account, operator.
    const commands = [['apps'], ['apps:info', ...a], ['apps:create', 'x'], ['apps:destroy', 'shop', '--confirm', 'shop'], ['config:set', 'A=1', ...a], ['logs', ...a], ['auth:tokens'], ['hosts']];
    for (const args of commands) fails(stranger.paas(args), /You are not logged in\. Run `paas login` first\./);
    const config = path.join(stranger.home, '.config', 'paas');
    fs.mkdirSync(config, { recursive: true });
    fs.writeFileSync(path.join(config, 'credentials.json'), JSON.stringify({ api: url, email: 'dev@example.com', token: 'revoked-or-made-up' }), { mode: 0o600 });
    for (const args of [['apps'], ['config', ...a]]) fails(stranger.paas(args), /Invalid credentials provided\. Run `paas login` to log in again\./);
  });

  test("an unknown app: the API's 404 names it and says how to find the right name, on every app command", () => {
    const commands = [
      ['apps:info'], ['config'], ['config:get', 'A'], ['config:set', 'A=1'], ['config:unset', 'A'], ['releases'], ['releases:info', 'v1'],
      ['rollback', 'v1'], ['builds'], ['builds:info'], ['builds:output'], ['buildpacks'], ['buildpacks:set', 'nodejs'], ['ps'],
      ['ps:scale', 'web=1'], ['ps:type'], ['ps:restart'], ['run', '--detach', 'ls'], ['domains'], ['domains:add', 'x.example.com'],
      ['access'], ['access:add', 'eve@example.com'], ['drains'], ['certs'], ['metrics'], ['logs'], ['apps:destroy', '--confirm', 'ghost'],
    ];
    for (const args of commands) fails(dev.paas([...args, '-a', 'ghost']), /Couldn't find that app: ghost\. Check the name with `paas apps`/);
  });

  test("someone else's app: it does not show as theirs; a collaborator may use it but not destroy it or share it", () => {
    assert.deepEqual(appNames(eve), []);
    const hidden = /Couldn't find that app: shop\. Check the name with `paas apps` \(the apps you can use; the owner gives access with `paas access:add`\)/;
    fails(eve.paas(['apps:info', ...a]), hidden);
    fails(eve.paas(['config:set', 'EVIL=1', ...a]), hidden);
    fails(eve.paas(['apps:destroy', 'shop', '--confirm', 'shop']), hidden);
    ok(dev.paas(['access:add', 'eve@example.com', ...a]));
    assert.deepEqual(appNames(eve), ['shop']);
    assert.equal(ok(eve.paas(['config:get', 'GREETING', ...a])).stdout, 'hello world\n');
    const owner = /Only the owner of shop can do that\. `paas access -a shop` shows who owns it\./;
    fails(eve.paas(['apps:destroy', 'shop', '--confirm', 'shop']), owner);
    fails(eve.paas(['access:add', 'admin@paas.local', ...a]), owner);
    ok(dev.paas(['access:remove', 'eve@example.com', ...a]));
    fails(eve.paas(['config', ...a]), hidden);
    assert.deepEqual(appNames(dev), ['shop'], 'shop is still there');
  });

  test('config:set refuses what is not KEY=VALUE, and then sets nothing', () => {
    const before = ok(dev.paas(['releases', '--json', ...a])).stdout;
    fails(dev.paas(['config:set', 'NOEQUALS', ...a]), /NOEQUALS is invalid\. Use KEY=value \(the value may contain = and spaces\)\./);
    fails(dev.paas(['config:set', '=value', ...a]), /=value is invalid\. Use KEY=value/);
    fails(dev.paas(['config:set', 'MY VAR=1', ...a]), /"MY VAR" is not a config var name: no spaces or control characters, like MY_VAR=value\./);
    fails(dev.paas(['config:set', 'GOOD=1', 'BAD', ...a]), /BAD is invalid/);
    assert.deepEqual(JSON.parse(ok(dev.paas(['config', '--json', ...a])).stdout), { GREETING: 'hello world' });
    assert.equal(ok(dev.paas(['releases', '--json', ...a])).stdout, before, 'no release was made');
    // What may look odd but is a KEY=VALUE: = and spaces in the value.
    ok(dev.paas(['config:set', 'URL=postgres://u:p@h/db?a=b c', ...a]));
    assert.equal(ok(dev.paas(['config:get', 'URL', ...a])).stdout, 'postgres://u:p@h/db?a=b c\n');
  });
});
