/**
 * The builder as users (and attackers) meet it, through `paas up`, the CLI and the real
 * git client: build records with their log (`paas builds`, `builds:info`,
 * `builds:output`), the app's buildpack setting beating `.buildpacks`, the build sandbox
 * (T23: only its own mounts, no platform credentials, ENV_DIR byte-exact), concurrent
 * pushes, and the git receive gate (T22: hostile names, fsck, size and rate limits).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ControllerClient } from '../../controller';
import { eventually, loginAsAdmin, newSettings, newUser, ROOT, sampleRepo, startPaas, type Cli, type PaasSettings, type RunningPaas } from '../helpers/paas';

const isRoot = process.getuid?.() === 0;
const PROBE = path.join(ROOT, 'test', 'fixtures', 'buildpacks', 'sandbox-probe');
const PUSHES_PER_HOUR = 8;

/** A raw request to the git port: the path goes on the wire exactly as given. */
function gitRequest(port: number, rawPath: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // A new connection each time: a kept-alive one the server closed while a synchronous CLI
    // run blocked this event loop would be reused and fail with ECONNRESET (socket hang up).
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, agent: false, headers: { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

function commitAll(user: Cli, repo: string, message: string): void {
  assert.equal(user.git(['add', '-A'], repo).status, 0);
  const r = user.git(['commit', '-q', '-m', message], repo);
  assert.equal(r.status, 0, r.stderr);
}

function listTree(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).sort();
}

describe('builder: build records, buildpack settings, sandbox, receive limits', { skip: !isRoot && 'needs root: runs real containers' }, () => {
  let settings: PaasSettings;
  let paas: RunningPaas;
  let user: Cli;
  let admin: ControllerClient;
  let token: string;
  let hello: string;

  before(async () => {
    settings = await newSettings({
      PAAS_BRIDGE_NAME: 'paasb7',
      PAAS_BRIDGE_CIDR: '10.240.0.1/16',
      PAAS_EXTRA_BUILDPACKS: PROBE,
      PAAS_GIT_PUSHES_PER_HOUR: String(PUSHES_PER_HOUR),
      PAAS_GIT_MAX_REPO_BYTES: String(8 * 1024 * 1024),
    });
    paas = await startPaas(settings);
    user = newUser();
    loginAsAdmin(user, paas);
    token = /password (\S+)/.exec(fs.readFileSync(path.join(user.home, '.netrc'), 'utf8'))?.[1] ?? '';
    admin = new ControllerClient(paas.api, token);
  });

  after(async () => {
    if (user && paas) {
      for (const app of ['hello', 'probe', 'other', 'foo', 'foobar', 'fsck', 'big', 'ratey']) user.paas(['apps:destroy', app, '--confirm', app]);
      await eventually('containers to stop', async () => (fs.readdirSync(`${settings.dataDir}/engine/containers`).length === 0 ? true : undefined), 60_000).catch(() => undefined);
    }
    const code = await paas?.stop();
    assert.equal(code, 0, 'paas up exits cleanly on Ctrl-C');
    for (const dir of [settings?.dataDir, user?.home]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a push is recorded: status, commit, buildpacks, image digest and size, duration, the full log', () => {
    hello = sampleRepo(user, 'node-hello');
    assert.equal(user.paas(['apps:create', 'hello'], hello).status, 0);
    const push = user.git(['push', 'paas', 'main'], hello);
    assert.equal(push.status, 0, push.stderr + paas.output().slice(-3000));
    const rev = user.git(['rev-parse', 'HEAD'], hello).stdout.trim();

    const list = JSON.parse(user.paas(['builds', '-a', 'hello', '--json']).stdout) as { id: string; status: string; source_version: string; image_digest: string; image_size: number; duration_ms: number; buildpacks: { name: string }[] }[];
    assert.equal(list.length, 1);
    const [b] = list;
    assert.equal(b.status, 'succeeded');
    assert.equal(b.source_version, rev);
    assert.deepEqual(b.buildpacks.map((bp) => bp.name), ['nodejs']);
    assert.match(b.image_digest, /^sha256:[0-9a-f]{64}$/);
    assert.ok(b.image_size > 10_000, `image size ${b.image_size}`);
    assert.ok(b.duration_ms > 1000, `duration ${b.duration_ms}`);

    const info = user.paas(['builds:info', '-a', 'hello']);
    assert.equal(info.status, 0, info.stderr);
    assert.match(info.stdout, new RegExp(`Status: +succeeded[\\s\\S]*Commit: +${rev}[\\s\\S]*Buildpacks: nodejs`));
    const output = user.paas(['builds:output', b.id, '-a', 'hello']);
    assert.equal(output.status, 0, output.stderr);
    assert.match(output.stdout, /^-----> Building on the paas-bookworm stack/);
    assert.match(output.stdout, /-----> Node\.js app detected/);
    assert.match(output.stdout, /Done: image [0-9a-f]{12}/);
    // What git showed as remote: lines is the log that was kept.
    for (const line of ['-----> Node.js app detected', '-----> Discovering process types']) assert.ok(push.stderr.includes(`remote: ${line}`));
  });

  test('a second push while a build runs is refused with a clear message (two git clients)', async () => {
    const other = fs.mkdtempSync(path.join(path.dirname(hello), 'paas-second-'));
    fs.cpSync(hello, other, { recursive: true });
    fs.writeFileSync(path.join(hello, 'first.txt'), 'first\n');
    commitAll(user, hello, 'first');
    fs.writeFileSync(path.join(other, 'second.txt'), 'second\n');
    commitAll(user, other, 'second');

    const env = { ...process.env, HOME: user.home, GIT_TERMINAL_PROMPT: '0' };
    const first = spawn('git', ['push', 'paas', 'main'], { cwd: hello, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let firstLog = '';
    first.stderr.setEncoding('utf8').on('data', (d: string) => (firstLog += d));
    const firstDone = new Promise<number | null>((resolve) => first.on('close', resolve));
    await eventually('the first build to start', async () => (firstLog.includes('Building on the') ? true : undefined), 60_000);

    const second = user.git(['push', 'paas', 'main'], other);
    assert.notEqual(second.status, 0);
    assert.match(second.stderr, /remote: {2}! {5}A build of hello is already running\. Wait for it to finish, then push again\./);
    assert.match(second.stderr, /pre-receive hook declined/);
    assert.equal(await firstDone, 0, firstLog);
    const statuses = (JSON.parse(user.paas(['builds', '-a', 'hello', '--json']).stdout) as { status: string }[]).map((b) => b.status);
    assert.deepEqual(statuses, ['succeeded', 'succeeded'], 'the refused push made no build');
  });

  test("the app's buildpack setting beats .buildpacks; the build sandbox sees only its own mounts, no credentials, ENV_DIR byte-exact", async () => {
    const repo = sampleRepo(user, 'shell-hello');
    assert.equal(user.paas(['apps:create', 'probe'], repo).status, 0);
    fs.writeFileSync(path.join(repo, '.buildpacks'), 'procfile\n');
    // Files only the host has (the stack has its own /root and /etc): seen only if the host's files leak in.
    const markers = [`/root/paas-sandbox-${crypto.randomUUID()}`, `/etc/paas-sandbox-${crypto.randomUUID()}`];
    for (const m of markers) fs.writeFileSync(m, 'host only\n');
    after(() => markers.forEach((m) => fs.rmSync(m, { force: true })));
    const hostPaths = [
      ...markers,
      settings.dataDir,
      path.join(settings.dataDir, 'git', `${(await admin.app('hello')).id}.git`),
      path.join(settings.dataDir, 'builder', 'cache', String((await admin.app('hello')).id)),
      path.join(settings.dataDir, 'secrets', 'builder-hook-token'),
      '/tmp/buildpacks/../cache/../../' + settings.dataDir.replace(/^\//, ''),
      ROOT,
      user.home,
      '/var/lib/paas',
      '/run/paas',
    ];
    fs.writeFileSync(path.join(repo, 'probe-paths'), hostPaths.join('\n') + '\n');
    commitAll(user, repo, 'probe');

    const values: Record<string, string> = {
      SUBSHELL: '$(id)',
      BACKTICKS: '`id` and `touch /tmp/pwned`',
      NEWLINES: 'line one\nline two\n\n',
      TABS: '\tindented\tvalue\t',
      MULTIBYTE: 'Grüße, 日本語, emoji 🚀',
      QUOTES: `'single' "double" \\back $HOME`,
    };
    await admin.setConfig('probe', values);

    assert.equal(user.paas(['buildpacks:set', PROBE, '-a', 'probe']).status, 0);
    const bps = user.paas(['buildpacks', '-a', 'probe']);
    assert.match(bps.stdout, new RegExp(`1\\. ${PROBE}`));

    const push = user.git(['push', 'paas', 'main'], repo);
    assert.equal(push.status, 0, push.stderr + paas.output().slice(-3000));
    const log = push.stderr;
    assert.match(log, /remote: -----> Sandbox probe app detected/, 'the setting beat .buildpacks (procfile)');
    assert.doesNotMatch(log, /Procfile app detected/);

    for (const [key, value] of Object.entries(values)) {
      const sha = crypto.createHash('sha256').update(value, 'utf8').digest('hex');
      assert.match(log, new RegExp(`PROBE env ${key} ${sha}`), `${key} reached ENV_DIR byte-exact`);
    }
    const names = /PROBE envnames (.*)/.exec(log)?.[1] ?? '';
    assert.doesNotMatch(names, /TOKEN|SECRET|PASSWORD|DATABASE_URL|NATS|PAAS_/, `no platform credentials in the build env: ${names}`);
    assert.match(log, /PROBE uid 1000/);
    for (const p of hostPaths) assert.match(log, new RegExp(`PROBE hidden ${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s`), `${p} is not visible in the build`);
    const hookToken = fs.readFileSync(path.join(settings.dataDir, 'secrets', 'builder-hook-token'), 'utf8').trim();
    assert.ok(!log.includes(hookToken) && !log.includes(token), 'no secret appears in the build');
    const mounts = /PROBE mounts (.*)/.exec(log)?.[1] ?? '';
    assert.ok(mounts.split(' ').filter(Boolean).every((m) => /^\/tmp\/(build|cache|env|work|buildpacks\/[\w.-]+)$/.test(m)), `only the build's own mounts: ${mounts}`);
    assert.ok(!fs.existsSync('/tmp/pwned'), 'backticks were not evaluated');

    // A second app's build does not see the first app's cache.
    const other = sampleRepo(user, 'shell-hello');
    fs.writeFileSync(path.join(other, 'probe-paths'), '/tmp/cache/probe-marker\n');
    commitAll(user, other, 'other');
    assert.equal(user.paas(['apps:create', 'other'], other).status, 0);
    assert.equal(user.paas(['buildpacks:add', PROBE, '-a', 'other']).status, 0);
    const otherPush = user.git(['push', 'paas', 'main'], other);
    assert.equal(otherPush.status, 0, otherPush.stderr);
    assert.match(otherPush.stderr, /PROBE hidden \/tmp\/cache\/probe-marker/);
    assert.match(otherPush.stderr, /PROBE cache \s*$/m, "the other app's cache starts empty");

    // buildpacks:clear goes back to .buildpacks.
    assert.equal(user.paas(['buildpacks:clear', '-a', 'probe']).status, 0);
    assert.deepEqual(JSON.parse(user.paas(['buildpacks', '-a', 'probe', '--json']).stdout), []);
    fs.writeFileSync(path.join(repo, 'again.txt'), 'again\n');
    commitAll(user, repo, 'again');
    const again = user.git(['push', 'paas', 'main'], repo);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /remote: -----> Procfile app detected/);
  });

  test('hostile app names and paths are refused before anything is written, and a user of foobar cannot reach foo', async () => {
    const reposDir = path.join(settings.dataDir, 'git');
    const before = listTree(reposDir);
    const port = settings.gitPort;
    const hostile = ['/../x.git/info/refs', '/a/../../b.git/info/refs', '/%2e%2e/hello.git/info/refs', '/%2e%2e%2fhello.git/info/refs', '/-oProxyCommand=touch%20%2Ftmp%2Fpwned.git/info/refs', '/foo;id.git/info/refs', '/Foo.git/info/refs', `/${'a'.repeat(31)}.git/info/refs`, '/hello.git/../hello.git/info/refs', '/hello.git/hooks/pre-receive', '/hello.git/config'];
    for (const p of hostile) assert.equal(await gitRequest(port, `${p}?service=git-receive-pack`, token).catch((err: Error) => `${err.message}\n${paas.output().slice(-3000)}`), 404, p);
    assert.deepEqual(listTree(reposDir), before, 'no request wrote anything');

    const foo = await admin.createApp('foo');
    await admin.request('POST', '/users', { email: 'foobar@example.com', password: 'correct horse battery' });
    const other = newUser();
    const login = other.paas(['login', '--api', paas.api, '--email', 'foobar@example.com'], undefined, { PAAS_PASSWORD: 'correct horse battery' });
    assert.equal(login.status, 0, login.stderr);
    assert.equal(other.paas(['apps:create', 'foobar']).status, 0);
    const otherToken = /password (\S+)/.exec(fs.readFileSync(path.join(other.home, '.netrc'), 'utf8'))?.[1] ?? '';
    assert.equal(await gitRequest(port, '/foobar.git/info/refs?service=git-receive-pack', otherToken), 200);
    for (const p of ['/foo.git/info/refs?service=git-receive-pack', '/foo.git/info/refs?service=git-upload-pack', '/fooba.git/info/refs?service=git-receive-pack', '/hello.git/git-receive-pack']) {
      assert.equal(await gitRequest(port, p, otherToken), 404, p);
    }
    assert.ok(!fs.existsSync(path.join(reposDir, `${foo.id}.git`)), "foobar's user made no repository for foo");
    fs.rmSync(other.home, { recursive: true, force: true });
  });

  test('incoming objects are fsck-ed: .gitmodules with ../ names and .GIT paths are refused; a push creates no hook or config', async () => {
    const repo = sampleRepo(user, 'shell-hello');
    assert.equal(user.paas(['apps:create', 'fsck'], repo).status, 0);
    // Make the repository exist (and see its hooks and config) with a harmless request.
    user.git(['ls-remote', 'paas'], repo);
    // Repositories are kept by app id (builder/repos.ts).
    const gitDir = path.join(settings.dataDir, 'git', `${(await admin.app('fsck')).id}.git`);
    const hooksBefore = listTree(path.join(gitDir, 'hooks'));
    const configBefore = fs.readFileSync(path.join(gitDir, 'config'), 'utf8');

    fs.writeFileSync(path.join(repo, '.gitmodules'), '[submodule "../../../evil"]\n\tpath = evil\n\turl = https://example.com/evil.git\n');
    commitAll(user, repo, 'bad submodule name');
    const modules = user.git(['push', 'paas', 'main'], repo);
    assert.notEqual(modules.status, 0);
    assert.match(modules.stderr, /gitmodulesName|disallowed submodule name/i, modules.stderr);

    // A tree with a .GIT entry can only be made by hand (git add refuses it).
    const fresh = sampleRepo(user, 'shell-hello');
    const blobId = spawnOut('git', ['hash-object', '-w', '--stdin'], fresh, '[core]\n\thooksPath = /tmp\n');
    const inner = spawnOut('git', ['mktree'], fresh, `100644 blob ${blobId}\tconfig\n`);
    const head = spawnOut('git', ['rev-parse', 'HEAD^{tree}'], fresh, '');
    const listing = spawnOut('git', ['ls-tree', head], fresh, '');
    const tree = spawnOut('git', ['mktree'], fresh, `${listing}\n040000 tree ${inner}\t.GIT\n`);
    const commit = spawnOut('git', ['commit-tree', tree, '-p', 'HEAD', '-m', '.GIT dir'], fresh, '');
    user.git(['update-ref', 'refs/heads/main', commit], fresh);
    user.git(['remote', 'add', 'paas', user.git(['remote', 'get-url', 'paas'], repo).stdout.trim()], fresh);
    const dotGit = user.git(['push', 'paas', 'main'], fresh);
    assert.notEqual(dotGit.status, 0);
    assert.match(dotGit.stderr, /hasDotgit|contains '\.git'/i, dotGit.stderr);

    assert.deepEqual(listTree(path.join(gitDir, 'hooks')), hooksBefore, 'no hook was created by a push');
    assert.equal(fs.readFileSync(path.join(gitDir, 'config'), 'utf8'), configBefore, 'the config did not change');
    assert.equal(user.git(['ls-remote', 'paas', 'refs/heads/main'], repo).stdout.trim(), '', 'nothing was accepted');
  });

  test('a push over the repository size limit is refused with a clear message', () => {
    const repo = sampleRepo(user, 'shell-hello');
    assert.equal(user.paas(['apps:create', 'big'], repo).status, 0);
    fs.writeFileSync(path.join(repo, 'blob.bin'), crypto.randomBytes(9 * 1024 * 1024));
    commitAll(user, repo, 'big');
    const push = user.git(['push', 'paas', 'main'], repo);
    assert.notEqual(push.status, 0);
    assert.match(push.stderr, /remote: {2}! {5}This push would make the repository \d+ MB, over the limit of 8 MB\./, push.stderr);
    assert.equal(user.git(['ls-remote', 'paas', 'refs/heads/main'], repo).stdout.trim(), '', 'nothing was accepted');
    assert.deepEqual(JSON.parse(user.paas(['builds', '-a', 'big', '--json']).stdout), [], 'no build was started');
  });

  test(`pushes are limited per app and user (${PUSHES_PER_HOUR} an hour here) with a message that says when to retry`, () => {
    const repo = sampleRepo(user, 'shell-hello');
    const create = user.paas(['apps:create', 'ratey'], repo);
    assert.equal(create.status, 0, create.stderr);
    user.git(['checkout', '-q', '-b', 'feature'], repo);
    for (let i = 0; i < PUSHES_PER_HOUR; i++) {
      fs.writeFileSync(path.join(repo, 'n.txt'), String(i));
      commitAll(user, repo, `push ${i}`);
      const push = user.git(['push', 'paas', 'feature'], repo);
      assert.match(push.stderr, /git push paas feature:main/, `push ${i} reached the hook`);
    }
    fs.writeFileSync(path.join(repo, 'n.txt'), 'one more');
    commitAll(user, repo, 'one too many');
    const refused = user.git(['push', 'paas', 'feature'], repo);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /Too many pushes to ratey: at most 8 an hour\. Try again in \d+ minutes?\./, refused.stderr);
    // Other apps of the same user are not affected.
    const other = user.git(['ls-remote', 'paas'], hello);
    assert.equal(other.status, 0, other.stderr);
  });
});

/** Runs a git plumbing command with stdin, returning its trimmed stdout. */
function spawnOut(cmd: string, args: string[], cwd: string, input: string): string {
  const r = spawnSync(cmd, args, { cwd, input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}
