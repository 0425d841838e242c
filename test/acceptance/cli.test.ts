/**
 * The CLI as a user runs it, against a real controller (no containers needed): login,
 * apps, config with awkward values, releases, rollback, domains, access, tokens, and the
 * errors a user sees.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import os from 'node:os';
import path from 'node:path';
import { ControllerClient } from '../../controller';
import { startControllerProcess, type ControllerProcess } from '../helpers/controller-process';
import { newUser, ROOT, type Cli } from '../helpers/paas';
import { freePort } from '../helpers/ports';

/** oclif wraps long errors over lines that start with › */
const oneLine = (stderr: string): string => stderr.replace(/\s*\n\s*›\s*/g, ' ');

describe('paas CLI against a controller', () => {
  let controller: ControllerProcess;
  let dataDir: string;
  let url: string;
  let user: Cli;
  const a = ['-a', 'clitest'];

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-cli-'));
    controller = await startControllerProcess({ PAAS_DATA_DIR: dataDir, PAAS_API_PORT: String(await freePort()), PAAS_BIND_ADDRESS: '127.0.0.1' });
    url = controller.info.url;
    const { token } = await new ControllerClient(url).login('admin@paas.local', controller.info.adminPassword ?? '');
    await new ControllerClient(url, token).request('POST', '/users', { email: 'dev@example.com', password: 'correct horse battery' });
    user = newUser();
  });
  after(async () => {
    controller?.kill('SIGTERM');
    await controller?.exited;
    for (const dir of [dataDir, user?.home]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('commands before login say how to log in', () => {
    const r = user.paas(['apps']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /paas login/);
  });

  test('login stores the token with mode 0600 and whoami shows the user', () => {
    const bad = user.paas(['login', '--api', url, '--email', 'dev@example.com'], undefined, { PAAS_PASSWORD: 'wrong' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /Invalid email or password/);
    const ok = user.paas(['login', '--api', url, '--email', 'dev@example.com'], undefined, { PAAS_PASSWORD: 'correct horse battery' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(fs.statSync(`${user.home}/.config/paas/credentials.json`).mode & 0o777, 0o600);
    assert.equal(user.paas(['auth:whoami']).stdout.trim(), 'dev@example.com');
    const me = JSON.parse(user.paas(['auth:whoami', '--json']).stdout) as { email: string; admin: boolean; api: string; token?: string };
    assert.deepEqual([me.email, me.admin, me.api, me.token], ['dev@example.com', false, url, undefined]);
  });

  test('login reads the email and password at its prompts, also when both are piped in at once', () => {
    const piped = newUser();
    const login = (input: string) =>
      spawnSync(process.execPath, [path.join(ROOT, 'bin', 'paas'), 'login', '--api', url], { env: { ...process.env, HOME: piped.home }, input, encoding: 'utf8' });
    const ok = login('dev@example.com\ncorrect horse battery\n');
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /Email: Password: /);
    assert.equal(ok.stdout.trim(), 'Logged in as dev@example.com');
    assert.doesNotMatch(ok.stdout + ok.stderr, /correct horse/);
    assert.equal(piped.paas(['auth:whoami']).stdout.trim(), 'dev@example.com');
    const short = login('dev@example.com\n');
    assert.notEqual(short.status, 0, 'the input ended before the password');
    assert.match(oneLine(short.stderr), /No password was given\. Type it at the prompt, or pass --email and PAAS_PASSWORD/);
    fs.rmSync(piped.home, { recursive: true, force: true });
  });

  test('apps:create, apps, and errors for bad names or a missing app', () => {
    assert.equal(user.paas(['apps:create', 'clitest']).status, 0);
    assert.match(user.paas(['apps']).stdout, /clitest/);
    const bad = user.paas(['apps:create', 'Bad_Name']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /lowercase letters, digits, and dashes/);
    const none = user.paas(['config']);
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /--app NAME/);
  });

  test('config values with spaces, = and newlines round-trip; each change is a release', () => {
    assert.equal(user.paas(['config:set', 'GREETING=hello world', 'EQ=a=b', 'MULTI=line1\nline2', ...a]).status, 0);
    assert.equal(user.paas(['config:get', 'MULTI', ...a]).stdout, 'line1\nline2\n');
    assert.equal(user.paas(['config:get', 'EQ', ...a]).stdout.trim(), 'a=b');
    const json = JSON.parse(user.paas(['config', '--json', ...a]).stdout) as Record<string, string>;
    assert.deepEqual(json, { EQ: 'a=b', GREETING: 'hello world', MULTI: 'line1\nline2' });
    assert.equal(user.paas(['config:unset', 'EQ', ...a]).status, 0);
    const releases = user.paas(['releases', ...a]).stdout;
    assert.match(releases, /v2 +Remove EQ config vars/);
    assert.match(releases, /v1 +Set GREETING, EQ, MULTI config vars/);
  });

  test('releases:info shows a release with its config; rollback makes a new release', () => {
    const info = user.paas(['releases:info', 'v1', ...a]).stdout;
    assert.match(info, /=== Release v1/);
    assert.match(info, /EQ: a=b/);
    const rb = user.paas(['rollback', 'v1', ...a]);
    assert.equal(rb.status, 0, rb.stderr);
    assert.match(rb.stdout, /release v3/);
    assert.equal(user.paas(['config:get', 'EQ', ...a]).stdout.trim(), 'a=b');
    const again = user.paas(['rollback', 'v3', ...a]);
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /already the current release/);
  });

  test('domains and access', () => {
    assert.equal(user.paas(['domains:add', 'www.example.org', ...a]).status, 0);
    assert.match(user.paas(['domains', ...a]).stdout, /Custom Domains\nwww\.example\.org/);
    assert.equal(user.paas(['domains:remove', 'www.example.org', ...a]).status, 0);
    const missing = user.paas(['access:add', 'nobody@example.com', ...a]);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /no user nobody@example\.com/);
    assert.match(user.paas(['access', ...a]).stdout, /dev@example\.com +owner/);
  });

  test('auth:tokens creates, lists and revokes tokens', () => {
    const created = user.paas(['auth:tokens', '--create', 'from CI']).stdout;
    const id = /Token (\d+)/.exec(created)?.[1];
    assert.ok(id, created);
    assert.match(user.paas(['auth:tokens']).stdout, /from CI/);
    assert.equal(user.paas(['auth:tokens', '--revoke', id]).status, 0);
    assert.doesNotMatch(user.paas(['auth:tokens']).stdout, /from CI/);
  });

  test('config:set --file reads a .env file (comments, quotes, multi-line values, export); pairs after it win', () => {
    assert.equal(user.paas(['apps:create', 'envtest']).status, 0);
    const file = path.join(user.home, '.env.test');
    fs.writeFileSync(file, ['# database', 'export DATABASE_URL=postgres://u:p@db/x?sslmode=require', "GREETING='hello world'", 'KEY="line1\nline2"', 'EMPTY=', 'OVERRIDE=file'].join('\n'));
    const r = user.paas(['config:set', '--file', file, 'OVERRIDE=arg', '-a', 'envtest']);
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(user.paas(['config', '--json', '-a', 'envtest']).stdout) as Record<string, string>;
    assert.deepEqual(json, { DATABASE_URL: 'postgres://u:p@db/x?sslmode=require', EMPTY: '', GREETING: 'hello world', KEY: 'line1\nline2', OVERRIDE: 'arg' });
    const missing = user.paas(['config:set', '--file', path.join(user.home, 'nope.env'), '-a', 'envtest']);
    assert.notEqual(missing.status, 0);
    assert.match(oneLine(missing.stderr), /Cannot read .*nope\.env.*Give the path of a \.env file/);
    const nothing = user.paas(['config:set', '-a', 'envtest']);
    assert.notEqual(nothing.status, 0);
    assert.match(oneLine(nothing.stderr), /Nothing to set\. Give KEY=value pairs, or --file FILE/);
  });

  test('git:remote points a remote at an existing app; outside a repository it says what to do', () => {
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-cli-repo-'));
    assert.notEqual(user.paas(['git:remote', '-a', 'envtest'], repo).status, 0);
    assert.match(oneLine(user.paas(['git:remote', '-a', 'envtest'], repo).stderr), /not a git repository\. Run `git init` first/);
    assert.equal(user.git(['init', '-q'], repo).status, 0);
    const r = user.paas(['git:remote', '-a', 'envtest'], repo);
    assert.equal(r.status, 0, r.stderr);
    assert.match(user.git(['remote', 'get-url', 'paas'], repo).stdout.trim(), /\/envtest\.git$/);
    assert.equal(user.paas(['git:remote', '-a', 'envtest', '--remote', 'staging'], repo).status, 0);
    assert.match(user.git(['remote', 'get-url', 'staging'], repo).stdout.trim(), /\/envtest\.git$/);
    assert.equal(user.paas(['config:get', 'GREETING'], repo).stdout.trim(), 'hello world', 'the app is now inferred from the remote');
    const unknown = user.paas(['git:remote', '-a', 'ghost'], repo);
    assert.notEqual(unknown.status, 0);
    assert.match(oneLine(unknown.stderr), /Couldn't find that app: ghost\. Check the name with `paas apps`/);
    fs.rmSync(repo, { recursive: true, force: true });
  });

  test('autocomplete: command names, their flags, and app names asked of the API after -a', () => {
    const script = user.paas(['autocomplete', 'bash']).stdout;
    const file = path.join(user.home, 'paas-completion.bash');
    fs.writeFileSync(file, script);
    // The script runs `paas apps --json` for app names: the CLI on PATH, as installed.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-bin-'));
    fs.symlinkSync(path.join(ROOT, 'bin', 'paas'), path.join(bin, 'paas'));
    const complete = (...words: string[]): string =>
      spawnSync('bash', ['-c', `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _paas_complete; echo "\${COMPREPLY[*]}"`], {
        env: { ...process.env, HOME: user.home, PATH: `${bin}:${process.env.PATH}` },
        encoding: 'utf8',
      }).stdout.trim();
    assert.equal(complete('paas', 'apps:cr'), 'apps:create');
    assert.equal(complete('paas', 'roll'), 'rollback', 'aliases too');
    assert.equal(complete('paas', 'config:set', '--fi'), '--file');
    assert.equal(complete('paas', 'logs', '--ta'), '--tail');
    assert.equal(complete('paas', 'config', '-a', 'env'), 'envtest');
    assert.deepEqual(complete('paas', 'ps', '--app', '').split(' ').sort(), ['clitest', 'envtest']);
    assert.match(user.paas(['autocomplete', 'zsh']).stdout, /^# paas completion for zsh.*\nautoload -U \+X bashcompinit && bashcompinit\n_paas_complete\(\)/);
    fs.rmSync(bin, { recursive: true, force: true });
  });
});
