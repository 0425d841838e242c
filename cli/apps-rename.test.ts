/**
 * paas apps:rename as users run it, against a real controller process and a nats-server
 * of its own: the API's rules (name, owner, taken), the `paas` git remote updated in
 * the checkout, and everything keyed by the name following it (config, releases,
 * domains, collaborators, routes, the jobs hosts still report under the old name, log
 * lines before and after, drains), while the old name becomes an unknown app.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from 'nats';
import { ControllerClient, type Route } from '../controller';
import { LOG_STREAM } from '../controller/logs/log-store';
import { startEmbeddedNats, type EmbeddedNats } from '../daemon/nats-server';
import { connectNats, publish, silentLogger, subjects, subscribe, type AppLogLine } from '../shared';
import { startControllerProcess, type ControllerProcess } from '../test/helpers/controller-process';
import { eventually, newUser, sleep, type Cli } from '../test/helpers/paas';
import { fails, ok } from '../test/helpers/cli-results';
import { freePort } from '../test/helpers/ports';

describe('paas apps:rename against a controller', () => {
  let controller: ControllerProcess;
  let nats: EmbeddedNats;
  let nc: NatsConnection;
  let dataDir: string;
  let operator: ControllerClient;
  let dev: Cli;
  let mate: Cli;
  let checkout: string;
  const events: { subject: string; value: unknown }[] = [];

  /** The CLI blocks this event loop; a turn of it drops sockets the server closed meanwhile. */
  const api = async (): Promise<ControllerClient> => {
    await sleep(50);
    return operator;
  };
  /** A line as a host's agent publishes it for a process of `app`. */
  const hostLine = (app: string, line: string): void => {
    const value: AppLogLine = { app, jobId: 'shop-web.1-0a1b2c3d4e', processType: 'web', hostId: 'node-1', stream: 'stdout', source: 'app', dyno: 'web.1', time: new Date().toISOString(), line };
    publish(nc, subjects.appLog.name(app), subjects.appLog.schema, value);
  };
  const logs = async (user: Cli, app: string): Promise<string> => (await user.paasAsync(['logs', '-n', '1500', '-a', app])).stdout;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-cli-rename-'));
    nats = await startEmbeddedNats(dataDir, await freePort(), silentLogger);
    controller = await startControllerProcess({ PAAS_DATA_DIR: dataDir, PAAS_API_PORT: String(await freePort()), PAAS_BIND_ADDRESS: '127.0.0.1', NATS_URL: nats.url });
    const url = controller.info.url;
    const { token } = await new ControllerClient(url).login('admin@paas.local', controller.info.adminPassword ?? '');
    operator = new ControllerClient(url, token);
    for (const email of ['dev@example.com', 'mate@example.com']) await operator.request('POST', '/users', { email, password: 'correct horse battery' });
    nc = await connectNats(nats.url, 'rename-test', silentLogger);
    for (const s of [subjects.appRenamed, subjects.dynosRestart]) subscribe(nc, s.name, s.schema, silentLogger, (value) => void events.push({ subject: s.name, value }));
    dev = newUser();
    mate = newUser();
    ok(dev.paas(['login', '--api', url, '--email', 'dev@example.com'], undefined, { PAAS_PASSWORD: 'correct horse battery' }));
    ok(mate.paas(['login', '--api', url, '--email', 'mate@example.com'], undefined, { PAAS_PASSWORD: 'correct horse battery' }));
    checkout = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-rename-src-'));
    ok(dev.git(['init', '-q', '-b', 'main'], checkout));
    ok(dev.paas(['apps:create', 'shop'], checkout));
    ok(dev.paas(['apps:create', 'taken']));
    ok(dev.paas(['git:remote', '-a', 'taken', '--remote', 'other'], checkout));
    ok(dev.paas(['config:set', 'GREETING=hi', '-a', 'shop']));
    ok(dev.paas(['domains:add', 'www.shop.test', '-a', 'shop']));
    ok(dev.paas(['access:add', 'mate@example.com', '-a', 'shop']));
    ok(dev.paas(['drains:add', 'syslog+tls://logs.example.com:6514', '-a', 'shop']));
  });
  after(async () => {
    await nc?.close();
    controller?.kill('SIGTERM');
    await controller?.exited;
    await nats?.stop();
    for (const dir of [dataDir, dev?.home, mate?.home, checkout]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('refusals: invalid or taken names (as apps:create says), a collaborator, an unknown app, no login', () => {
    fails(dev.paas(['apps:rename', 'Bad_Name', '-a', 'shop']), /Name must start with a letter.*lowercase letters, digits, and dashes \(at most 30 characters\)/);
    fails(dev.paas(['apps:rename', 'x'.repeat(31), '-a', 'shop']), /at most 30 characters/);
    fails(dev.paas(['apps:rename', 'taken', '-a', 'shop']), /Name taken is already taken\. Choose another name\./);
    fails(mate.paas(['apps:rename', 'mine-now', '-a', 'shop']), /Only the owner of shop can do that\./);
    fails(dev.paas(['apps:rename', 'whatever', '-a', 'nope']), /Couldn't find that app/);
    const stranger = newUser();
    fails(stranger.paas(['apps:rename', 'whatever', '-a', 'shop']), /paas login/);
    fs.rmSync(stranger.home, { recursive: true, force: true });
    fails(dev.paas(['apps:rename']), /newname/i);
    assert.ok(JSON.parse(ok(dev.paas(['apps:info', '--json', '-a', 'shop'])).stdout), 'shop is still shop');
  });

  test('the API answers 422, 409 and 403 with their messages', async () => {
    const asDev = new ControllerClient(controller.info.url, (await (await api()).login('dev@example.com', 'correct horse battery')).token);
    const asMate = new ControllerClient(controller.info.url, (await (await api()).login('mate@example.com', 'correct horse battery')).token);
    await assert.rejects(asDev.renameApp('shop', '-bad'), { status: 422 });
    await assert.rejects(asDev.renameApp('shop', 'taken'), { status: 409, message: 'Name taken is already taken. Choose another name.' });
    await assert.rejects(asMate.renameApp('shop', 'mine-now'), { status: 403 });
    // The same name is no change: no event, no restart.
    assert.equal((await asDev.renameApp('shop', 'shop')).name, 'shop');
    await sleep(300);
    assert.deepEqual(events, []);
  });

  test('a rename keeps the app, its jobs and its history, updates the remote, and frees the old name', async () => {
    // A process of shop as a host reports it, and a line it wrote, before the rename.
    await (await api()).reportJob('shop-web.1-0a1b2c3d4e', { app: 'shop', release: 1, type: 'web', host: 'node-1', state: 'up', ip: '10.9.0.5', port: 5000, dyno: 'web.1' });
    hostLine('shop', 'served before the rename');
    await eventually('the line to be stored', async () => ((await logs(dev, 'shop')).includes('served before the rename') ? true : undefined), 10_000);

    const renamed = ok(dev.paas(['apps:rename', 'shop-new'], checkout));
    assert.equal(renamed.stderr.split('\n')[0], 'Renaming shop to shop-new... done');
    const [urls, updated] = renamed.stdout.trimEnd().split('\n');
    const app = JSON.parse(ok(dev.paas(['apps:info', '--json', '-a', 'shop-new'])).stdout) as { web_url: string; git_url: string; owner: string };
    assert.equal(urls, `${app.web_url} | ${app.git_url}`);
    assert.match(app.web_url, /^https?:\/\/shop-new\./);
    assert.match(app.git_url, /\/shop-new\.git$/);
    assert.equal(app.owner, 'dev@example.com');
    assert.equal(updated, 'Git remote paas updated');
    assert.equal(ok(dev.git(['remote', 'get-url', 'paas'], checkout)).stdout.trim(), app.git_url);
    assert.match(ok(dev.git(['remote', 'get-url', 'other'], checkout)).stdout.trim(), /\/taken\.git$/, "another app's remote is left alone");
    // The app is now inferred from the updated remote.
    assert.equal(ok(dev.paas(['config:get', 'GREETING'], checkout)).stdout.trim(), 'hi');

    // The old name is an unknown app, for the API and the routers.
    fails(dev.paas(['apps:info', '-a', 'shop']), /Couldn't find that app/);
    const oldRoute = await (await api()).request<Route>('GET', '/routes/shop');
    assert.deepEqual(oldRoute.domains, []);
    const route = await (await api()).request<Route>('GET', '/routes/shop-new');
    assert.deepEqual(route.domains, [new URL(app.web_url).hostname, 'www.shop.test']);
    assert.deepEqual(route.backends, [{ id: 'shop-web.1-0a1b2c3d4e', ip: '10.9.0.5', port: 5000, dyno: 'web.1' }]);

    // Releases, collaborators and domains followed; the collaborator works with the new name.
    assert.match(ok(dev.paas(['releases', '-a', 'shop-new'])).stdout, /v1 +Set GREETING config vars/);
    assert.equal(ok(mate.paas(['config:get', 'GREETING', '-a', 'shop-new'])).stdout.trim(), 'hi');
    assert.match(ok(dev.paas(['domains', '-a', 'shop-new'])).stdout, /www\.shop\.test/);

    // The routers drop the old name; the scheduler restarts the processes under the new one.
    await eventually('the rename and restart events', async () => (events.length >= 2 ? true : undefined), 10_000);
    assert.deepEqual(events, [
      { subject: subjects.appRenamed.name, value: { app: 'shop-new', from: 'shop' } },
      { subject: subjects.dynosRestart.name, value: { app: 'shop-new' } },
    ]);

    // The host still reports the running process under its old label: it stays shop-new's.
    await (await api()).reportJob('shop-web.1-0a1b2c3d4e', { app: 'shop', release: 1, type: 'web', host: 'node-1', state: 'up', ip: '10.9.0.5', port: 5000, dyno: 'web.1' });
    assert.match(ok(dev.paas(['ps', '-a', 'shop-new'])).stdout, /web\.1: up/);
    // A job the controller never saw, of a name no app has, is refused (the scheduler stops it).
    await assert.rejects((await api()).reportJob('shop-web.2-0a1b2c3d4f', { app: 'shop', release: 1, type: 'web', host: 'node-1', state: 'up' }), { status: 404 });

    // `paas logs -a shop-new`: the lines of before (moved), the API's line, and new lines.
    hostLine('shop-new', 'served after the rename');
    const lines = await eventually('the new line', async () => {
      const out = await logs(dev, 'shop-new');
      return out.includes('served after the rename') ? out : undefined;
    }, 10_000);
    const order = ['served before the rename', 'paas[api]: Rename app from shop to shop-new by dev@example.com', 'served after the rename'].map((l) => lines.indexOf(l));
    assert.ok(order.every((i, n) => i >= 0 && (n === 0 || i > order[n - 1]!)), `history, rename, then new lines:\n${lines}`);

    // The old name is free, and an app created with it starts with an empty log, even of
    // what the renamed app's processes wrote under the old name until they were replaced.
    hostLine('shop', 'the old process, after the rename');
    const jsm = await nc.jetstreamManager();
    await eventually('the late line to be stored', async () => ((await jsm.streams.info(LOG_STREAM, { subjects_filter: subjects.appLog.name('shop') })).state.subjects?.[subjects.appLog.name('shop')] ? true : undefined), 10_000);
    ok(dev.paas(['apps:create', 'shop']));
    assert.doesNotMatch(await logs(dev, 'shop'), /served before the rename|the old process/);
  });

  test("the app's drain reads the new name", async () => {
    const jsm = await nc.jetstreamManager();
    const filters = async (): Promise<string[]> => {
      const out: string[] = [];
      for await (const c of jsm.consumers.list(LOG_STREAM)) if (c.name.startsWith('drain-')) out.push(c.config.filter_subject ?? '');
      return out;
    };
    assert.deepEqual(await eventually('the drain to follow the rename', async () => {
      const f = await filters();
      return f.length === 1 && f[0] === subjects.appLog.name('shop-new') ? f : undefined;
    }, 10_000), [subjects.appLog.name('shop-new')]);
    assert.match(ok(dev.paas(['drains', '-a', 'shop-new'])).stdout, /syslog\+tls:\/\/logs\.example\.com:6514/);
  });

  test('--json prints the renamed app; outside a checkout no remote is touched', () => {
    const r = ok(dev.paas(['apps:rename', 'shop-newer', '-a', 'shop-new', '--json']));
    const app = JSON.parse(r.stdout) as { name: string; git_url: string };
    assert.equal(app.name, 'shop-newer');
    assert.doesNotMatch(r.stderr, /Git remote/);
    assert.match(ok(dev.git(['remote', 'get-url', 'paas'], checkout)).stdout.trim(), /\/shop-new\.git$/);
  });
});
