/**
 * Build records and buildpack settings on SQLite and MariaDB: the log kept and read back
 * (bounded, a large one on MySQL's LONGTEXT), the sweep of builds a dead builder left
 * pending (T11), and the app's buildpack list with its validation and access.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ControllerClient } from './client';
import { DIALECTS, startTestController, type TestController } from './test-fixture';

const SHA = 'c'.repeat(40);
const DIGEST = `sha256:${'d'.repeat(64)}`;

for (const dialect of DIALECTS) {
  describe(`build records and buildpack settings on ${dialect}`, () => {
    let t: TestController;
    let alice: ControllerClient;
    let bob: ControllerClient;

    before(async () => {
      t = await startTestController(dialect, { rateLimitPerHour: 500 });
      alice = await t.user('alice@example.com');
      bob = await t.user('bob@example.com');
      await alice.createApp('records');
    });
    after(async () => t?.close());

    test('a finished build keeps its digest, size, duration and full log, readable by the app user', async () => {
      const build = await t.system.createBuild('records', SHA, 'alice@example.com');
      assert.equal(build.status, 'pending');
      const log = `-----> Building\n${'x'.repeat(200_000)}\n       ünïcode ✓\n`;
      await t.system.finishBuild('records', build.id, { status: 'succeeded', image: 'paas/records:1', image_digest: DIGEST, image_size: 123_456_789, duration_ms: 4321, output: log, buildpacks: [{ name: 'nodejs', detected: 'Node.js' }] });
      const info = await alice.build('records', build.id);
      assert.equal(info.image_digest, DIGEST);
      assert.equal(info.image_size, 123_456_789);
      assert.equal(info.duration_ms, 4321);
      assert.ok(info.finished_at);
      assert.equal(await alice.buildOutput('records', build.id), log);
      assert.equal((await alice.builds('records'))[0].id, build.id);
      await assert.rejects(bob.buildOutput('records', build.id), { status: 404 });
      await assert.rejects(alice.finishBuild('records', build.id, { status: 'failed' }), { status: 403 });
    });

    test('pending builds are marked failed with the line and the spooled log (T11); finished ones are untouched', async () => {
      const done = (await alice.builds('records'))[0];
      const a = await t.system.createBuild('records', SHA);
      const b = await t.system.createBuild('records', SHA);
      await assert.rejects(alice.interruptBuilds('x'), { status: 403 });
      const failed = await t.system.interruptBuilds(' !     The builder stopped.', { [a.id]: '-----> Building\n' });
      assert.deepEqual(failed.map((f) => f.id).sort(), [a.id, b.id].sort());
      assert.equal(await alice.buildOutput('records', a.id), '-----> Building\n !     The builder stopped.\n');
      assert.equal(await alice.buildOutput('records', b.id), ' !     The builder stopped.\n');
      assert.equal((await alice.build('records', a.id)).status, 'failed');
      assert.equal((await alice.build('records', done.id)).status, 'succeeded');
      assert.deepEqual(await t.system.interruptBuilds('again'), []);
    });

    test("the app's buildpacks are set, listed in order and cleared; hostile values are refused", async () => {
      assert.deepEqual(await alice.buildpacks('records'), []);
      const set = await alice.setBuildpacks('records', ['heroku/nodejs', 'https://github.com/heroku/heroku-buildpack-static.git', 'procfile']);
      assert.deepEqual(set.map((i) => [i.ordinal, i.buildpack.url, i.buildpack.name]), [[0, 'heroku/nodejs', 'nodejs'], [1, 'https://github.com/heroku/heroku-buildpack-static.git', 'https://github.com/heroku/heroku-buildpack-static.git'], [2, 'procfile', 'procfile']]);
      assert.deepEqual((await alice.buildpacks('records')).map((i) => i.buildpack.url), ['heroku/nodejs', 'https://github.com/heroku/heroku-buildpack-static.git', 'procfile']);
      for (const bad of ['../x', 'foo;id', '$(id)', 'https://x/`id`', 'a b', '-oProxyCommand=x', '']) {
        await assert.rejects(alice.setBuildpacks('records', [bad]), { status: 422 }, bad);
      }
      await assert.rejects(bob.setBuildpacks('records', ['nodejs']), { status: 404 });
      assert.deepEqual(await alice.setBuildpacks('records', []), []);
      assert.deepEqual(await alice.buildpacks('records'), []);
    });
  });
}
