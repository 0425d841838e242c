/**
 * Issue #6's API on SQLite and MariaDB, against a real nats-server: sizes, release
 * status and deploy records (a failed deploy puts the previous release back, T3),
 * dyno restarts, stops and detached one-offs, and operators' host drain and removal.
 * Every event the scheduler acts on is checked as it arrives on NATS.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import { startEmbeddedNats, type EmbeddedNats } from '../daemon/nats-server';
import { silentLogger, subjects } from '../shared';
import { eventually } from '../test/helpers/paas';
import { freePort } from '../test/helpers/ports';
import type { ControllerClient } from './client';
import { DIALECTS, startTestController, type TestController } from './test-fixture';

const SHA = 'e'.repeat(40);

/** Every message seen on the controller's subjects, as [subject, payload]. */
function recorder(nc: NatsConnection): { seen: [string, Record<string, unknown>][] } {
  const r = { seen: [] as [string, Record<string, unknown>][] };
  const sub = nc.subscribe('paas.controller.>');
  void (async () => {
    for await (const m of sub) r.seen.push([m.subject, JSON.parse(new TextDecoder().decode(m.data)) as Record<string, unknown>]);
  })();
  return r;
}

for (const dialect of DIALECTS) {
  describe(`scheduling API (deploys, dynos, sizes, hosts) on ${dialect}`, () => {
    let t: TestController;
    let nats: EmbeddedNats;
    let nc: NatsConnection;
    let dir: string;
    let alice: ControllerClient;
    let bob: ControllerClient;
    let events: ReturnType<typeof recorder>;
    const event = (subject: string, match: Record<string, unknown>) =>
      eventually(`${subject} ${JSON.stringify(match)}`, async () => events.seen.find(([s, v]) => s === subject && Object.entries(match).every(([k, x]) => v[k] === x)) ?? undefined, 5000);

    /** A succeeded build with web and worker types, released: returns the version. */
    async function push(app: string, healthchecks?: Record<string, { path: string; timeoutMs?: number; attempts?: number }>): Promise<number> {
      const build = await t.system.createBuild(app, SHA, 'alice@example.com');
      await t.system.finishBuild(app, build.id, { status: 'succeeded', image: `paas/${app}:${build.id}`, process_types: { web: 'node server.js', worker: 'node worker.js' }, healthchecks });
      return (await t.system.createRelease(app, build.id)).version;
    }

    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-sched-api-'));
      nats = await startEmbeddedNats(dir, await freePort(), silentLogger);
      nc = await connect({ servers: nats.url });
      events = recorder(nc);
      t = await startTestController(dialect, { nc, rateLimitPerHour: 1000 });
      alice = await t.user('alice@example.com');
      bob = await t.user('bob@example.com');
      await alice.createApp('shop');
    });
    after(async () => {
      await t?.close();
      await nc?.close();
      await nats?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('sizes take Heroku names and the old ones, stored under Heroku names; unknown sizes are refused with the list', async () => {
      await push('shop', { web: { path: '/health', timeoutMs: 5000, attempts: 5 } });
      assert.deepEqual((await alice.formation('shop')).map((f) => f.size), ['standard-1x', 'standard-1x']);
      await alice.scale('shop', [{ type: 'worker', size: 'Performance' }]);
      await alice.scale('shop', [{ type: 'web', quantity: 2, size: 'standard' }]);
      assert.deepEqual(await alice.formation('shop'), [
        { type: 'web', quantity: 2, size: 'standard-1x' },
        { type: 'worker', quantity: 0, size: 'performance-m' },
      ]);
      await alice.scale('shop', [{ type: 'worker', size: 'standard-2x' }]);
      await assert.rejects(alice.scale('shop', [{ type: 'web', size: 'huge' }]), { status: 422, message: /unknown size; use one of eco, basic, standard-1x/ });
      assert.equal((await alice.formation('shop'))[0].size, 'standard-1x');
    });

    test('a pushed release is pending until its deploy succeeds; desired state carries status, health checks and the previous version', async () => {
      const [r1] = await alice.releases('shop');
      assert.equal(r1.status, 'pending');
      assert.equal(r1.status_reason, null);
      const d = await t.system.startDeploy('shop', { release: r1.version, from: null });
      let desired = (await t.system.desiredState()).find((a) => a.app === 'shop');
      assert.equal(desired?.release?.status, 'pending');
      assert.deepEqual(desired?.release?.healthchecks, { web: { path: '/health', timeoutMs: 5000, attempts: 5 } });
      assert.equal(desired?.previousVersion, null);
      const done = await t.system.finishDeploy(d.id, { status: 'succeeded' });
      assert.equal(done.status, 'succeeded');
      assert.ok(done.finished_at);
      assert.equal((await alice.release('shop', r1.version)).status, 'succeeded');
      // A retried report of the same outcome answers the same.
      assert.equal((await t.system.finishDeploy(d.id, { status: 'succeeded' })).status, 'succeeded');
      await assert.rejects(t.system.finishDeploy(d.id, { status: 'failed', reason: 'late' }), { status: 409 });
      const v2 = await push('shop');
      desired = (await t.system.desiredState()).find((a) => a.app === 'shop');
      assert.equal(desired?.release?.version, v2);
      assert.equal(desired?.previousVersion, r1.version);
      assert.equal(desired?.release?.healthchecks, undefined);
    });

    test('a failed deploy records the reason and puts the previous release and its config back, with the events (T3)', async () => {
      const app = await alice.app('shop');
      const v2 = app.release_version;
      const v1 = v2 - 1;
      const d2 = await t.system.startDeploy('shop', { release: v2, from: v1 });
      assert.equal((await t.system.finishDeploy(d2.id, { status: 'succeeded' })).status, 'succeeded');
      const v3 = await push('shop');
      await alice.setConfig('shop', { BROKEN: 'yes' });
      const v4 = v3 + 1;
      const d3 = await t.system.startDeploy('shop', { release: v3, from: v2 });
      const d4 = await t.system.startDeploy('shop', { release: v4, from: v2 });
      // v3's deploy was overtaken: it never finishes, and says so.
      const superseded = (await alice.deploys('shop')).find((d) => d.id === d3.id);
      assert.equal(superseded?.status, 'superseded');
      assert.equal((await alice.release('shop', v3)).status, 'failed');
      assert.match((await alice.release('shop', v3)).status_reason ?? '', /Superseded by v4/);
      await assert.rejects(t.system.finishDeploy(d3.id, { status: 'failed', reason: 'x' }), { status: 409, message: /superseded/ });
      events.seen.length = 0;
      const failed = await t.system.finishDeploy(d4.id, { status: 'failed', reason: 'web.1 never bound $PORT within 60 s' });
      assert.equal(failed.status, 'failed');
      assert.equal(failed.reason, 'web.1 never bound $PORT within 60 s');
      const r4 = await alice.release('shop', v4);
      assert.equal(r4.status, 'failed');
      assert.equal(r4.status_reason, 'web.1 never bound $PORT within 60 s');
      assert.equal(r4.current, false);
      assert.equal((await alice.app('shop')).release_version, v2);
      assert.equal((await alice.config('shop')).BROKEN, undefined);
      await event(subjects.formationUpdated.name, { app: 'shop' });
      await event(subjects.routesChanged.name, { app: 'shop' });
      const list = await alice.deploys('shop');
      assert.deepEqual(list.slice(0, 2).map((d) => [d.release, d.from, d.status]), [
        [v4, v2, 'failed'],
        [v3, v2, 'superseded'],
      ]);
      // The next deploy can start at once.
      const d5 = await t.system.startDeploy('shop', { release: v2, from: v2 });
      assert.equal((await t.system.finishDeploy(d5.id, { status: 'succeeded' })).status, 'succeeded');
    });

    test('deploy records are for operators to write and app users to read', async () => {
      await assert.rejects(alice.startDeploy('shop', { release: 1, from: null }), { status: 403 });
      await assert.rejects(alice.finishDeploy('nope', { status: 'succeeded' }), { status: 403 });
      await assert.rejects(t.system.finishDeploy('00000000-0000-0000-0000-000000000000', { status: 'succeeded' }), { status: 404 });
      await assert.rejects(t.system.startDeploy('shop', { release: 999, from: 1 }), { status: 404 });
      await assert.rejects(t.system.startDeploy('ghost', { release: 1, from: null }), { status: 404 });
      await assert.rejects(bob.deploys('shop'), { status: 404 });
    });

    test('dynos show their names, sizes and reasons; restart all, a type or one dyno, and stop one, through events', async () => {
      const v = (await alice.app('shop')).release_version;
      await t.system.reportJob('shop-web-1-aaaa', { app: 'shop', release: v, type: 'web', host: 'h1', state: 'up', ip: '10.0.0.2', port: 5000, dyno: 'web.1', memoryBytes: 512 * 2 ** 20 });
      await t.system.reportJob('shop-web-2-bbbb', { app: 'shop', release: v, type: 'web', host: 'h1', state: 'crashed', dyno: 'web.2', reason: 'Process exited with status 137 (out of memory)' });
      const dynos = await alice.dynos('shop');
      assert.deepEqual(dynos.map((d) => [d.name, d.state, d.size, d.host, d.reason]), [
        ['web.1', 'up', 'standard-1x', 'h1', null],
        ['web.2', 'crashed', 'standard-1x', 'h1', 'Process exited with status 137 (out of memory)'],
      ]);
      // A later report without the reason keeps it; back up clears it.
      await t.system.reportJob('shop-web-2-bbbb', { app: 'shop', release: v, type: 'web', host: 'h1', state: 'crashed' });
      assert.equal((await alice.dynos('shop'))[1].reason, 'Process exited with status 137 (out of memory)');
      const jobs = await t.system.request<{ id: string; dyno: string; memory_bytes: number | null }[]>('GET', '/scheduler/jobs');
      assert.equal(jobs.find((j) => j.id === 'shop-web-1-aaaa')?.memory_bytes, 512 * 2 ** 20);

      await alice.restartDynos('shop');
      await event(subjects.dynosRestart.name, { app: 'shop', type: undefined, dyno: undefined });
      await alice.restartDynos('shop', 'web.2');
      await event(subjects.dynosRestart.name, { app: 'shop', dyno: 'web.2' });
      await alice.restartDynos('shop', 'worker');
      await event(subjects.dynosRestart.name, { app: 'shop', type: 'worker' });
      await alice.stopDyno('shop', 'web.1');
      await event(subjects.dynosStop.name, { app: 'shop', dyno: 'web.1' });

      await assert.rejects(alice.restartDynos('shop', 'web.9'), { status: 404, message: /Couldn't find dyno web\.9 of shop\. See `paas ps -a shop`/ });
      await assert.rejects(alice.restartDynos('shop', 'clock'), { status: 404, message: /its types are: web, worker/ });
      await assert.rejects(alice.stopDyno('shop', 'web.7'), { status: 404 });
      await assert.rejects(alice.stopDyno('shop', 'web'), { status: 422, message: /paas ps:scale web=0/ });
      await assert.rejects(bob.restartDynos('shop'), { status: 404 });
      await assert.rejects(bob.stopDyno('shop', 'web.1'), { status: 404 });
    });

    test('a detached one-off is requested, placed by the scheduler, and gone when its job is forgotten', async () => {
      const run = await alice.runDetached('shop', 'node migrate.js', { size: 'standard-2x', env: { STEP: '1' } });
      assert.match(run.name, /^run\.\d{4}$/);
      assert.equal(run.state, 'requested');
      assert.equal(run.size, 'standard-2x');
      assert.match(run.id, /^[a-z0-9][a-z0-9.-]{0,62}$/);
      await event(subjects.oneOffRequested.name, { app: 'shop' });
      let desired = (await t.system.desiredState()).find((a) => a.app === 'shop');
      assert.deepEqual(desired?.oneOffs, [{ id: run.id, dyno: run.name, command: 'node migrate.js', size: 'standard-2x', env: { STEP: '1' } }]);
      assert.ok((await alice.dynos('shop')).some((d) => d.name === run.name && d.state === 'requested' && d.host === null));

      await t.system.reportJob(run.id, { app: 'shop', release: 2, type: 'run', host: 'h1', state: 'up', dyno: run.name, oneOff: true });
      desired = (await t.system.desiredState()).find((a) => a.app === 'shop');
      assert.deepEqual(desired?.oneOffs, []);
      const placed = (await alice.dynos('shop')).filter((d) => d.name === run.name);
      assert.deepEqual(placed.map((d) => [d.state, d.host, d.size, d.one_off]), [['up', 'h1', 'standard-2x', true]]);
      await alice.stopDyno('shop', run.name);
      await event(subjects.dynosStop.name, { app: 'shop', dyno: run.name });
      await t.system.forgetJob(run.id);
      assert.equal((await alice.dynos('shop')).some((d) => d.name === run.name), false);

      // Stopping a one-off that no host took yet withdraws it.
      const waiting = await alice.runDetached('shop', 'sleep 1');
      assert.equal(waiting.size, 'standard-1x');
      await alice.stopDyno('shop', waiting.name);
      assert.deepEqual((await t.system.desiredState()).find((a) => a.app === 'shop')?.oneOffs, []);
    });

    test('one-offs are refused with a bad size, bad env names, an app without code, or someone else\'s app', async () => {
      await assert.rejects(alice.runDetached('shop', 'ls', { size: 'xl' }), { status: 422, message: /unknown size/ });
      await assert.rejects(alice.runDetached('shop', 'ls', { env: { '1BAD': 'x' } }), { status: 422, message: /env names/ });
      await assert.rejects(alice.runDetached('shop', ''), { status: 422 });
      await alice.createApp('empty');
      await assert.rejects(alice.runDetached('empty', 'ls'), { status: 422, message: /git push paas main/ });
      await assert.rejects(bob.runDetached('shop', 'ls'), { status: 404 });
    });

    test('destroying an app forgets its deploys and requested one-offs; a new app of that name starts clean', async () => {
      await alice.createApp('gone');
      const v = await push('gone');
      await t.system.startDeploy('gone', { release: v, from: null });
      await alice.runDetached('gone', 'sleep 60');
      await alice.destroyApp('gone');
      await alice.createApp('gone');
      assert.deepEqual(await alice.deploys('gone'), []);
      assert.deepEqual(await alice.dynos('gone'), []);
      assert.deepEqual((await t.system.desiredState()).find((a) => a.app === 'gone')?.oneOffs, []);
    });

    test('operators drain, undrain and remove hosts; removing one that runs jobs needs a drain first', async () => {
      const beat = (hostId: string, jobs: number) =>
        nc.publish(
          subjects.hostHeartbeat.name,
          JSON.stringify({
            hostId,
            address: '10.1.0.1',
            memoryBytes: 2 ** 32,
            cpus: 2,
            runtime: 'runc',
            at: new Date().toISOString(),
            jobs: Array.from({ length: jobs }, (_, i) => ({ id: `j${i}`, app: 'shop', release: 1, processType: 'web', hostId, state: 'up' })),
          }),
        );
      beat('host-a', 2);
      beat('host-b', 0);
      await eventually('heartbeats', async () => ((await t.admin.hosts()).length >= 2 ? true : undefined), 5000);
      const a = await t.admin.host('host-a');
      assert.equal(a.draining, false);
      assert.equal(a.jobs, 2);
      await assert.rejects(alice.hosts(), { status: 403 });
      await assert.rejects(alice.drainHost('host-a'), { status: 403 });
      await assert.rejects(alice.removeHost('host-b'), { status: 403 });
      await assert.rejects(t.admin.drainHost('host-z'), { status: 404, message: /paas hosts/ });
      await assert.rejects(t.admin.removeHost('host-a'), { status: 409, message: /still runs 2 jobs\. Drain it first \(`paas hosts:drain host-a`\)/ });

      events.seen.length = 0;
      assert.equal((await t.admin.drainHost('host-a')).draining, true);
      await event(subjects.hostsChanged.name, { hostId: 'host-a' });
      assert.equal((await t.admin.hosts()).find((h) => h.id === 'host-a')?.draining, true);
      assert.deepEqual((await t.system.schedulerHosts()).filter((h) => h.id.startsWith('host-')), [
        { id: 'host-a', draining: true, removed: false },
        { id: 'host-b', draining: false, removed: false },
      ]);
      assert.equal((await t.admin.undrainHost('host-a')).draining, false);
      await t.admin.drainHost('host-a');
      await t.admin.removeHost('host-a');
      await t.admin.removeHost('host-b');
      await event(subjects.hostsChanged.name, { hostId: 'host-b' });
      assert.equal((await t.admin.hosts()).some((h) => h.id.startsWith('host-')), false);
      await assert.rejects(t.admin.host('host-a'), { status: 404 });
      assert.deepEqual((await t.system.schedulerHosts()).find((h) => h.id === 'host-a'), { id: 'host-a', draining: true, removed: true });
      // Undrain re-admits a removed host.
      await t.admin.undrainHost('host-b');
      assert.equal((await t.admin.host('host-b')).draining, false);
    });
  });
}
