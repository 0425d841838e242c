/**
 * The controller's API against a real database: SQLite (embedded default) and the
 * MariaDB server of the machine (production), with the same assertions.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ControllerClient } from './client';
import type { RunningController } from './start';
import { DIALECTS, startTestController, type TestController } from './test-fixture';

const SHA = 'a'.repeat(40);

for (const dialect of DIALECTS) {
  describe(`controller API on ${dialect}`, () => {
    let t: TestController;
    let controller: RunningController;
    let admin: ControllerClient;
    let system: ControllerClient;

    before(async () => {
      t = await startTestController(dialect);
      ({ controller, admin, system } = t);
    });

    after(async () => t?.close());

    test('rejects a wrong password and a missing token with 401', async () => {
      await assert.rejects(new ControllerClient(controller.url).login('admin@example.com', 'nope'), { status: 401 });
      await assert.rejects(new ControllerClient(controller.url).apps(), { status: 401 });
      await assert.rejects(new ControllerClient(controller.url, 'paas_forged').apps(), { status: 401 });
    });

    test('creates an app with its URLs, refuses bad and taken names', async () => {
      const app = await admin.createApp('hello');
      assert.equal(app.name, 'hello');
      assert.equal(app.web_url, 'http://hello.paas.test/');
      assert.equal(app.git_url, 'http://git.test/hello.git');
      for (const bad of ['../x', 'Foo', 'foo;id', '-oProxyCommand=x', 'a'.repeat(31), '%2e%2e', '1abc']) {
        await assert.rejects(admin.createApp(bad), { status: 422 }, bad);
      }
      await assert.rejects(admin.createApp('hello'), { status: 409, message: /already taken/ });
      assert.deepEqual((await admin.apps()).map((a) => a.name), ['hello']);
    });

    test('config values round-trip byte-exact and every change is a release', async () => {
      const odd = { NEWLINES: 'a\nb\r\nc', TABS: 'x\ty', SHELL: '$(id) `id` ${HOME}', QUOTES: `'"\\`, UNICODE: 'héllo ✓ 日本' };
      await admin.setConfig('hello', odd);
      assert.deepEqual(await admin.config('hello'), odd);
      await admin.setConfig('hello', { TABS: null });
      const config = await admin.config('hello');
      assert.equal(config.TABS, undefined);
      assert.equal(config.NEWLINES, odd.NEWLINES);
      const releases = await admin.releases('hello');
      assert.deepEqual(releases.map((r) => r.version), [2, 1]);
      assert.match(releases[0].description, /Remove TABS config vars/);
      assert.equal(releases.filter((r) => r.current).length, 1);
    });

    test('refuses bad config keys and more than 32 kB, and keeps the config', async () => {
      const before = await admin.config('hello');
      await assert.rejects(admin.setConfig('hello', { 'BAD KEY': 'x' }), { status: 422, message: /Invalid config var name/ });
      await assert.rejects(admin.setConfig('hello', { BIG: 'x'.repeat(33 * 1024) }), { status: 422, message: /32 kB/ });
      assert.deepEqual(await admin.config('hello'), before);
    });

    test('20 parallel config changes give 20 consecutive releases and lose no key', async () => {
      await admin.createApp('busy');
      await Promise.all(Array.from({ length: 20 }, (_, i) => admin.setConfig('busy', { [`KEY_${i}`]: String(i) })));
      const versions = (await admin.releases('busy')).map((r) => r.version).sort((a, b) => a - b);
      assert.deepEqual(versions, Array.from({ length: 20 }, (_, i) => i + 1));
      assert.equal(Object.keys(await admin.config('busy')).length, 20);
    });

    test('a build becomes a release with web scaled to 1, and shows in the desired state', async () => {
      const build = await system.createBuild('hello', SHA, 'admin@example.com');
      assert.equal(build.status, 'pending');
      await assert.rejects(system.createRelease('hello', build.id), { status: 409 });
      await system.finishBuild('hello', build.id, { status: 'succeeded', image: 'paas/hello:1', process_types: { web: 'node server.js', worker: 'node w.js' } });
      const release = await system.createRelease('hello', build.id);
      assert.equal(release.version, 3);
      assert.equal(release.description, `Deploy ${SHA.slice(0, 7)}`);
      assert.deepEqual(await admin.formation('hello'), [
        { type: 'web', quantity: 1, size: 'standard-1x' },
        { type: 'worker', quantity: 0, size: 'standard-1x' },
      ]);
      const desired = (await system.desiredState()).find((d) => d.app === 'hello');
      assert.equal(desired?.release?.image, 'paas/hello:1');
      assert.equal(desired?.release?.config.NEWLINES, 'a\nb\r\nc');
    });

    test('scaling checks the process type', async () => {
      await admin.scale('hello', [{ type: 'worker', quantity: 2 }]);
      await assert.rejects(admin.scale('hello', [{ type: 'nope', quantity: 1 }]), { status: 422, message: /web, worker/ });
      assert.equal((await admin.formation('hello')).find((f) => f.type === 'worker')?.quantity, 2);
    });

    test('reported web jobs become routes; forgotten ones leave', async () => {
      await system.reportJob('hello-web-1', { app: 'hello', release: 3, type: 'web', host: 'h1', state: 'starting', ip: '10.0.0.2', port: 5000 });
      assert.deepEqual((await system.route('hello')).backends, []);
      await system.reportJob('hello-web-1', { app: 'hello', release: 3, type: 'web', host: 'h1', state: 'up', ip: '10.0.0.2', port: 5000 });
      assert.deepEqual(await system.route('hello'), { app: 'hello', domains: ['hello.paas.test'], backends: [{ id: 'hello-web-1', ip: '10.0.0.2', port: 5000 }] });
      const dynos = await admin.dynos('hello');
      assert.equal(dynos[0].name, 'web.1');
      await system.forgetJob('hello-web-1');
      assert.deepEqual((await system.route('hello')).backends, []);
    });

    test('a second start keeps the data and does not show the password again', async () => {
      await t.restart();
      assert.equal(t.controller.adminPassword, undefined);
      assert.deepEqual((await t.admin.apps()).map((a) => a.name), ['busy', 'hello']);
    });
  });
}
