/**
 * The walking skeleton end to end, as a user does it: `paas up`, `paas login`,
 * `paas apps:create`, `git push paas main` with the real git client, the build inside
 * a container of the stack, release v1, the web process under runc on the bridge, and
 * the app answering through the router. Then a push no buildpack detects (refused, no
 * release, the app keeps answering), a Procfile-only app, and a restart of paas that
 * finds the same apps and the same running container.
 *
 * It runs twice: on the embedded defaults (SQLite, a nats-server paas starts) and in
 * production mode (the machine's MariaDB and NATS).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { DynoInfo } from '../../controller';
import type { AppMetrics } from '../../controller/metrics/aggregate';
import { createTestDatabase, type TestDatabase } from '../helpers/mariadb';
import { eventually, loginAsAdmin, newSettings, newUser, request, sampleRepo, startPaas, type Cli, type PaasSettings, type RunningPaas } from '../helpers/paas';

const isRoot = process.getuid?.() === 0;

for (const mode of ['embedded', 'production'] as const) {
  describe(`git push to a routed app (${mode} mode)`, { skip: !isRoot && 'needs root: runs real containers' }, () => {
    let settings: PaasSettings;
    let paas: RunningPaas;
    let db: TestDatabase | undefined;
    let user: Cli;
    let nodeRepo: string;
    let firstRev: string;
    const host = (app: string): string => `${app}.${settings.domain}`;

    before(async () => {
      if (mode === 'production') db = await createTestDatabase();
      settings = await newSettings(mode === 'production' ? { DATABASE_URL: db?.url ?? '', NATS_URL: 'nats://127.0.0.1:4222' } : {});
      paas = await startPaas(settings);
      user = newUser();
    });

    after(async () => {
      if (user && paas) {
        for (const app of ['hello', 'shell', 'docker']) user.paas(['apps:destroy', app, '--confirm', app]);
        // Destroying an app stops its containers; give the scheduler a pass to do it.
        await eventually('containers to stop', async () => (fs.readdirSync(`${settings.dataDir}/engine/containers`).length === 0 ? true : undefined), 60_000).catch(() => undefined);
      }
      const code = await paas?.stop();
      assert.equal(code, 0, 'paas up exits cleanly on Ctrl-C');
      await db?.drop();
      for (const dir of [settings?.dataDir, user?.home]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    test('paas up printed the admin login, and runs its own OCI registry', async () => {
      assert.ok(paas.adminPassword, paas.output());
      assert.match(paas.output(), /images +http:\/\/127\.0\.0\.1:\d+ \(OCI registry\)/);
      assert.equal((await request(settings.registryPort, '127.0.0.1', '/v2/')).status, 401, 'the registry wants its token');
    });

    test('login, apps:create adds the paas remote', () => {
      loginAsAdmin(user, paas);
      assert.equal(fs.statSync(`${user.home}/.netrc`).mode & 0o777, 0o600);
      nodeRepo = sampleRepo(user, 'node-hello');
      const create = user.paas(['apps:create', 'hello'], nodeRepo);
      assert.equal(create.status, 0, create.stderr);
      assert.match(create.stdout, /http:\/\/hello\.paas\.localhost:\d+\/ \| http:\/\/127\.0\.0\.1:\d+\/hello\.git/);
      assert.match(user.git(['remote', 'get-url', 'paas'], nodeRepo).stdout, new RegExp(`:${settings.gitPort}/hello\\.git`));
    });

    test('git push paas main builds, releases v1 and prints the URL', () => {
      const push = user.git(['push', 'paas', 'main'], nodeRepo);
      const log = push.stderr;
      assert.equal(push.status, 0, log + '\n' + paas.output().slice(-4000));
      assert.match(log, /remote: -----> Building on the paas-bookworm stack/);
      assert.match(log, /remote: -----> Node\.js app detected/);
      assert.match(log, /remote: -----> Discovering process types/);
      assert.match(log, /remote: {8}Procfile declares types -> web/);
      assert.match(log, /remote: -----> Launching\.\.\./);
      assert.match(log, /remote: {8}Released v1/);
      assert.match(log, /remote: {8}http:\/\/hello\.paas\.localhost:\d+\/ deployed to paas/);
      firstRev = user.git(['rev-parse', 'HEAD'], nodeRepo).stdout.trim();
      const releases = user.paas(['releases', '-a', 'hello', '--json']);
      const list = JSON.parse(releases.stdout) as { version: number; description: string }[];
      assert.deepEqual(list.map((r) => [r.version, r.description]), [[1, `Deploy ${firstRev.slice(0, 7)}`]]);
    });

    test('the app answers through the router, from a container on the bridge', async () => {
      const res = await eventually('the app to answer', async () => {
        const r = await request(settings.routerPort, host('hello'));
        return r.status === 200 ? r : undefined;
      });
      assert.match(res.body, /Hello from node-hello/);
      const ps = JSON.parse(user.paas(['ps', '-a', 'hello', '--json']).stdout) as { name: string; state: string; ip: string }[];
      assert.equal(ps.length, 1);
      assert.equal(ps[0].name, 'web.1');
      assert.equal(ps[0].state, 'up');
      assert.match(ps[0].ip, /^10\.79\./);
      assert.equal((await request(settings.routerPort, 'nope.paas.localhost')).status, 404);
    });

    test("paas logs shows the app's output, the API's, state and router lines, filtered by --source and --ps", async () => {
      const text = await eventually('api, app, state and router lines in paas logs', async () => {
        const r = user.paas(['logs', '-a', 'hello', '-n', '300']);
        assert.equal(r.status, 0, r.stderr);
        const ok = /paas\[api\]: Deploy [0-9a-f]{7} by admin@paas\.local/.test(r.stdout) && /paas\[api\]: Release v1 created by admin@paas\.local/.test(r.stdout) && /app\[web\.1\]: node-hello listening on port 5000/.test(r.stdout) && /paas\[web\.1\]: State changed from starting to up/.test(r.stdout) && /paas\[router\]: at=info method=GET path="\/" host=hello\.paas\.localhost .*status=200/.test(r.stdout);
        return ok ? r.stdout : undefined;
      }, 20_000);
      assert.match(text.split('\n')[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 (app|paas)\[[\w.]+\]: /, "Heroku's line format");
      const appOnly = user.paas(['logs', '-a', 'hello', '--source', 'app']).stdout;
      assert.ok(appOnly.length > 0 && !/ paas\[/.test(appOnly), appOnly);
      const web1 = user.paas(['logs', '-a', 'hello', '--ps', 'web.1']).stdout;
      assert.ok(web1.length > 0 && !/\[router\]/.test(web1), web1);
    });

    test('paas ps shows memory and CPU from the cgroup; paas metrics counts the requests through the router', async () => {
      for (let i = 0; i < 20; i++) assert.equal((await request(settings.routerPort, host('hello'))).status, 200);
      const dynos = await eventually('a memory sample in paas ps', async () => {
        const list = JSON.parse(user.paas(['ps', '-a', 'hello', '--json']).stdout) as DynoInfo[];
        return list[0]?.usage ? list : undefined;
      }, 30_000);
      const u = dynos[0]!.usage!;
      assert.equal(u.memory_limit_mb, 512, 'standard-1x');
      assert.ok(u.memory_mb > 1 && u.memory_mb < 512, `node uses some memory: ${u.memory_mb} MB`);
      assert.ok(u.cpu_percent >= 0 && u.pids >= 2, JSON.stringify(u));
      assert.match(user.paas(['ps', '-a', 'hello']).stdout, /web\.1: up .* mem [\d.]+ MB\/512 MB \(\d+%\) {2}cpu [\d.]+%/);
      const m = await eventually('the requests in paas metrics', async () => {
        const r = JSON.parse(user.paas(['metrics', '-a', 'hello', '--minutes', '5', '--json']).stdout) as AppMetrics;
        const ok = r.points.reduce((n, p) => n + (p.statuses['2xx'] ?? 0), 0) >= 20 && r.points.some((p) => p.types.web && p.types.web.memory_mb.max > 1);
        return ok ? r : undefined;
      }, 30_000);
      const busy = m.points.filter((p) => p.requests > 0);
      assert.ok(busy.length > 0 && busy.every((p) => p.latency_ms !== null && p.latency_ms.p50 > 0 && p.latency_ms.p99 >= p.latency_ms.p50), JSON.stringify(busy));
      assert.match(user.paas(['metrics', '-a', 'hello', '--minutes', '5']).stdout, /TIME +REQUESTS +5XX +ERRORS +P50 +P95 +P99 +RESTARTS +WEB MEM +WEB CPU/);
    });

    test('a push no buildpack detects is refused, creates no release, and the app keeps answering', async () => {
      for (const f of fs.readdirSync(nodeRepo)) if (f !== '.git') fs.rmSync(`${nodeRepo}/${f}`, { recursive: true });
      fs.cpSync(`${__dirname}/../../../test/apps/undetectable`, nodeRepo, { recursive: true });
      user.git(['add', '-A'], nodeRepo);
      user.git(['commit', '-q', '-m', 'nothing to detect'], nodeRepo);
      const push = user.git(['push', 'paas', 'main'], nodeRepo);
      assert.notEqual(push.status, 0);
      assert.match(push.stderr, /remote: {2}! {5}No default language could be detected for this app/);
      assert.match(push.stderr, /pre-receive hook declined/);
      const remoteMain = user.git(['ls-remote', 'paas', 'refs/heads/main'], nodeRepo).stdout.split('\t')[0];
      assert.equal(remoteMain, firstRev, 'the branch did not move');
      const list = JSON.parse(user.paas(['releases', '-a', 'hello', '--json']).stdout) as unknown[];
      assert.equal(list.length, 1);
      const res = await request(settings.routerPort, host('hello'));
      assert.equal(res.status, 200);
      assert.match(res.body, /Hello from node-hello/);
    });

    test('a push to another branch is refused with the command that deploys it', () => {
      user.git(['checkout', '-q', '-b', 'feature'], nodeRepo);
      const push = user.git(['push', 'paas', 'feature'], nodeRepo);
      assert.notEqual(push.status, 0);
      assert.match(push.stderr, /git push paas feature:main/);
    });

    test('a Procfile-only app builds and answers', async () => {
      const repo = sampleRepo(user, 'shell-hello');
      assert.equal(user.paas(['apps:create', 'shell'], repo).status, 0);
      const push = user.git(['push', 'paas', 'main'], repo);
      assert.equal(push.status, 0, push.stderr);
      assert.match(push.stderr, /remote: -----> Procfile app detected/);
      const res = await eventually('the shell app to answer', async () => {
        const r = await request(settings.routerPort, host('shell'));
        return r.status === 200 ? r : undefined;
      });
      assert.match(res.body, /Hello from shell-hello/);
    });

    test('an app with a Dockerfile is built from it, step by step, and answers', async () => {
      const repo = sampleRepo(user, 'dockerfile-hello');
      assert.equal(user.paas(['apps:create', 'docker'], repo).status, 0);
      const push = user.git(['push', 'paas', 'main'], repo);
      assert.equal(push.status, 0, push.stderr);
      assert.match(push.stderr, /remote: -----> Dockerfile app detected/);
      assert.match(push.stderr, /remote: {8}Step 1\/\d+ : FROM paas\/stack:bookworm/);
      assert.match(push.stderr, /remote: {8}Released v1/);
      const res = await eventually('the Dockerfile app to answer', async () => {
        const r = await request(settings.routerPort, host('docker'));
        return r.status === 200 ? r : undefined;
      });
      assert.match(res.body, /Hello from dockerfile-hello \(built by a Dockerfile\)/);
    });

    test('after Ctrl-C and a new start, the same apps, releases and container are found', async () => {
      const before = JSON.parse(user.paas(['ps', '-a', 'hello', '--json']).stdout) as { id: string }[];
      assert.equal(await paas.stop(), 0, paas.output().slice(-3000));
      paas = await startPaas(settings);
      assert.equal(paas.adminPassword, undefined, 'the password is printed only at the first start');
      const apps = JSON.parse(user.paas(['apps', '--json']).stdout) as { name: string }[];
      assert.deepEqual(apps.map((a) => a.name).sort(), ['docker', 'hello', 'shell']);
      const res = await eventually('the app to answer after the restart', async () => {
        const r = await request(settings.routerPort, host('hello'));
        return r.status === 200 ? r : undefined;
      });
      assert.match(res.body, /Hello from node-hello/);
      const after = JSON.parse(user.paas(['ps', '-a', 'hello', '--json']).stdout) as { id: string }[];
      assert.deepEqual(after.map((d) => d.id), before.map((d) => d.id), 'the running container was re-adopted, not replaced');
    });
  });
}
