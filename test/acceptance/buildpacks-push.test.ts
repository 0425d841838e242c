/**
 * Buildpacks end to end through one real `paas up` (its own bridge): a real `git push` of
 * each app, built in containers of the stack, then requested through the router. Node.js
 * with pnpm; two buildpacks in `.buildpacks` (nodejs, then one committed with the app that
 * uses the node nodejs exported); and a third-party buildpack served by a `git daemon` this
 * test starts on loopback, set with `paas buildpacks:set git://…#v1` (the tag, not the
 * newer branch head, is what runs).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually, loginAsAdmin, newSettings, newUser, request, ROOT, sampleRepo, startPaas, type Cli, type PaasSettings, type RunningPaas } from '../helpers/paas';
import { freePort } from '../helpers/ports';

const isRoot = process.getuid?.() === 0;

function git(args: string[], cwd: string): string {
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 't@example.com' };
  const r = spawnSync('git', args, { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * The greeting buildpack (test/fixtures/buildpacks/greeting) as a bare repository: tag v1,
 * then a v2 commit on main, so `#v1` is visibly not the branch head.
 */
function greetingRepository(base: string): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-bp-src-'));
  fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'buildpacks', 'greeting'), work, { recursive: true });
  git(['init', '-q', '-b', 'main'], work);
  git(['add', '-A'], work);
  git(['commit', '-q', '-m', 'greeting v1'], work);
  git(['tag', 'v1'], work);
  fs.writeFileSync(path.join(work, 'VERSION'), 'greeting v2\n');
  git(['commit', '-q', '-am', 'greeting v2'], work);
  git(['clone', '-q', '--bare', work, path.join(base, 'greeting.git')], base);
  fs.rmSync(work, { recursive: true, force: true });
}

/** `git daemon` on loopback, serving every repository under base; resolves once it accepts connections. */
async function gitDaemon(base: string, port: number): Promise<ChildProcess> {
  const child = spawn('git', ['daemon', '--export-all', '--reuseaddr', `--base-path=${base}`, '--listen=127.0.0.1', `--port=${port}`, base], { stdio: 'ignore' });
  await eventually('git daemon to serve', async () => (spawnSync('git', ['ls-remote', `git://127.0.0.1:${port}/greeting.git`]).status === 0 ? true : undefined), 20_000);
  return child;
}

describe('buildpacks through git push and the router: pnpm, .buildpacks, a buildpack by git URL', { skip: !isRoot && 'needs root: runs real containers' }, () => {
  let settings: PaasSettings;
  let paas: RunningPaas;
  let user: Cli;
  let daemon: ChildProcess | undefined;
  let daemonBase: string;
  const apps: string[] = [];
  const repos: string[] = [];
  const host = (app: string): string => `${app}.${settings.domain}`;

  before(async () => {
    settings = await newSettings({ PAAS_BRIDGE_NAME: 'paasc1', PAAS_BRIDGE_CIDR: '10.83.0.1/24' });
    paas = await startPaas(settings);
    user = newUser();
    loginAsAdmin(user, paas);
  });

  after(async () => {
    daemon?.kill();
    if (user && paas) {
      for (const app of apps) user.paas(['apps:destroy', app, '--confirm', app]);
      await eventually('containers to stop', async () => (fs.readdirSync(`${settings.dataDir}/engine/containers`).length === 0 ? true : undefined), 60_000).catch(() => undefined);
    }
    const code = await paas?.stop();
    assert.equal(code, 0, 'paas up exits cleanly on Ctrl-C');
    for (const dir of [settings?.dataDir, user?.home, daemonBase, ...repos]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const create = (app: string, sample: string): string => {
    const repo = sampleRepo(user, sample);
    repos.push(repo);
    const created = user.paas(['apps:create', app], repo);
    assert.equal(created.status, 0, created.stderr);
    apps.push(app);
    return repo;
  };

  const push = (repo: string): string => {
    const result = user.git(['push', 'paas', 'main'], repo);
    assert.equal(result.status, 0, result.stderr + '\n' + paas.output().slice(-4000));
    return result.stderr;
  };

  const answer = (app: string): Promise<string> =>
    eventually(`${app} to answer through the router`, async () => {
      const r = await request(settings.routerPort, host(app));
      return r.status === 200 ? r.body : undefined;
    });

  test('node-pnpm is installed with the pnpm of packageManager and answers; a rebuild reuses the runtime layer', async () => {
    const repo = create('pnpm', 'node-pnpm');
    const log = push(repo);
    assert.match(log, /remote: -----> Node\.js app detected/);
    assert.match(log, /remote: {8}Installed node v20\.\d+\.\d+ and pnpm 9\.15\.9 \(from packageManager\)/);
    assert.match(log, /remote: {8}Running pnpm install --frozen-lockfile/);
    assert.doesNotMatch(log, /its layer is reused/);
    assert.match(log, /remote: {8}Released v1/);
    assert.equal(await answer('pnpm'), 'Hello from node-pnpm (one hour is 3600000 ms)\n');

    // Same runtime, other source: only the /app layer is new.
    const server = path.join(repo, 'server.js');
    fs.writeFileSync(server, fs.readFileSync(server, 'utf8').replace('Hello from node-pnpm', 'Hello again from node-pnpm'));
    assert.equal(user.git(['commit', '-q', '-am', 'again'], repo).status, 0);
    const again = push(repo);
    assert.match(again, /remote: {8}Runtime \(\.heroku\) unchanged: its layer is reused/);
    assert.match(again, /remote: {8}Released v2/);
    await eventually('v2 to answer', async () => ((await answer('pnpm')).startsWith('Hello again') ? true : undefined));
  });

  test('multi-buildpack runs both buildpacks of .buildpacks, the second with the node the first exported', async () => {
    const log = push(create('multi', 'multi-buildpack'));
    assert.match(log, /remote: -----> Using buildpacks:/);
    assert.match(log, /remote: -----> Node\.js app detected/);
    assert.match(log, /remote: -----> Build info app detected/);
    assert.match(log, /remote: {8}using \/tmp\/build\/\.heroku\/node\/bin\/node \(v20\.\d+\.\d+\)/);
    const body = JSON.parse(await answer('multi')) as { app: string; builtWith: string };
    assert.equal(body.app, 'multi-buildpack');
    assert.match(body.builtWith, /^v20\.\d+\.\d+$/);
    const info = user.paas(['builds:info', '-a', 'multi']);
    assert.equal(info.status, 0, info.stderr);
    assert.match(info.stdout, /Buildpacks: nodejs, build-info/);
  });

  test('a third-party buildpack given by git:// URL with #tag is fetched, compiles the app, and answers', async () => {
    daemonBase = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-gitd-'));
    greetingRepository(daemonBase);
    const port = await freePort();
    daemon = await gitDaemon(daemonBase, port);
    const url = `git://127.0.0.1:${port}/greeting.git#v1`;

    const repo = create('greet', 'greeting');
    const set = user.paas(['buildpacks:set', url, '-a', 'greet'], repo);
    assert.equal(set.status, 0, set.stderr);
    const log = push(repo);
    assert.match(log, new RegExp(`remote: -----> Fetching buildpack git://127\\.0\\.0\\.1:${port}/greeting\\.git#v1`));
    assert.match(log, /remote: -----> Greeting app detected/);
    assert.match(log, /remote: -----> Installing the greeting server \(greeting v1\)/);
    assert.match(log, /remote: {8}Released v1/);
    assert.equal(await answer('greet'), 'Hello from the greeting app (built by greeting v1)\n');

    const builds = user.paas(['builds:info', '-a', 'greet']);
    assert.equal(builds.status, 0, builds.stderr);
    assert.match(builds.stdout, /Buildpacks: greeting/);
  });
});
