/**
 * Users, tokens, collaborators, domains, rollback, pagination, rate limits and
 * idempotency keys, with their failure paths, on SQLite and on MariaDB.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ControllerClient } from './client';
import { DIALECTS, raw, startTestController, tokenOf, type TestController } from './test-fixture';

const SHA = 'b'.repeat(40);

async function deploy(t: TestController, app: string): Promise<void> {
  const build = await t.system.createBuild(app, SHA);
  await t.system.finishBuild(app, build.id, { status: 'succeeded', image: `paas/${app}:1`, process_types: { web: 'node server.js' } });
  await t.system.createRelease(app, build.id);
}

for (const dialect of DIALECTS) {
  describe(`controller access and releases on ${dialect}`, () => {
    let t: TestController;
    let alice: ControllerClient;
    let bob: ControllerClient;

    before(async () => {
      t = await startTestController(dialect, { rateLimitPerHour: 200 });
      alice = await t.user('alice@example.com');
      bob = await t.user('bob@example.com');
      await alice.createApp('alices-app');
    });
    after(async () => t?.close());

    test('only operators create and list users', async () => {
      await assert.rejects(alice.request('POST', '/users', { email: 'x@example.com', password: 'long enough pw' }), { status: 403 });
      await assert.rejects(t.admin.request('POST', '/users', { email: 'alice@example.com', password: 'long enough pw' }), { status: 409 });
      await assert.rejects(t.admin.request('POST', '/users', { email: 'not-an-email', password: 'short' }), { status: 422 });
      const users = await t.admin.request<{ email: string }[]>('GET', '/users');
      assert.deepEqual(users.map((u) => u.email), ['admin@example.com', 'alice@example.com', 'bob@example.com']);
    });

    test('tokens are listed without their secret and stop working when revoked', async () => {
      const created = await alice.request<{ id: number; token: string }>('POST', '/account/tokens', { description: 'ci' });
      assert.match(created.token, /^paas_/);
      const list = await alice.request<Record<string, unknown>[]>('GET', '/account/tokens');
      assert.ok(list.some((x) => x.description === 'ci'));
      assert.ok(list.every((x) => !('token' in x) && !JSON.stringify(x).includes(created.token)));
      assert.equal((await raw(t.controller.url, 'GET', '/account', { token: created.token })).status, 200);
      await alice.request('DELETE', `/account/tokens/${created.id}`);
      assert.equal((await raw(t.controller.url, 'GET', '/account', { token: created.token })).status, 401);
      await assert.rejects(bob.request('DELETE', `/account/tokens/${created.id}`), { status: 404 });
    });

    test("another user's app answers 404 and leaks nothing", async () => {
      // Exactly the answer of an app that does not exist (the name given is said back, nothing else).
      const answer = (call: Promise<unknown>): Promise<{ status?: number; message: string }> =>
        call.then(
          () => assert.fail('the call should be refused'),
          (err: Error & { status?: number }) => ({ status: err.status, message: err.message }),
        );
      for (const call of [(n: string) => bob.app(n), (n: string) => bob.config(n), (n: string) => bob.releases(n), (n: string) => bob.setConfig(n, { X: '1' })]) {
        const theirs = await answer(call('alices-app'));
        const none = await answer(call('nobodys-app'));
        assert.equal(theirs.status, 404);
        assert.deepEqual(theirs, { status: none.status, message: none.message.replaceAll('nobodys-app', 'alices-app') });
        assert.doesNotMatch(theirs.message, /alice@/);
      }
      assert.deepEqual(await bob.apps(), []);
      assert.deepEqual(await alice.config('alices-app'), {});
    });

    test('collaborators may use the app, only the owner manages access or destroys', async () => {
      await assert.rejects(bob.request('POST', '/apps/alices-app/collaborators', { user: 'bob@example.com' }), { status: 404 });
      await alice.request('POST', '/apps/alices-app/collaborators', { user: 'bob@example.com' });
      await assert.rejects(alice.request('POST', '/apps/alices-app/collaborators', { user: 'bob@example.com' }), { status: 409 });
      await assert.rejects(alice.request('POST', '/apps/alices-app/collaborators', { user: 'nobody@example.com' }), { status: 404 });
      await bob.setConfig('alices-app', { SHARED: 'yes' });
      assert.deepEqual((await bob.apps()).map((a) => a.name), ['alices-app']);
      await assert.rejects(bob.destroyApp('alices-app'), { status: 403 });
      await assert.rejects(bob.request('DELETE', '/apps/alices-app/collaborators/bob@example.com'), { status: 403 });
      const people = await alice.request<{ user: string; role: string }[]>('GET', '/apps/alices-app/collaborators');
      assert.deepEqual(people, [{ user: 'alice@example.com', role: 'owner' }, { user: 'bob@example.com', role: 'collaborator' }]);
      await alice.request('DELETE', '/apps/alices-app/collaborators/bob@example.com');
      await assert.rejects(bob.app('alices-app'), { status: 404 });
    });

    test('custom domains: validated, unique, and part of the route', async () => {
      await alice.request('POST', '/apps/alices-app/domains', { hostname: 'WWW.Example.com.' });
      await alice.request('POST', '/apps/alices-app/domains', { hostname: '*.shop.example.com' });
      await assert.rejects(alice.request('POST', '/apps/alices-app/domains', { hostname: 'www.example.com' }), { status: 409 });
      for (const bad of ['exa mple.com', '../x', 'a..b', '-x.com']) {
        await assert.rejects(alice.request('POST', '/apps/alices-app/domains', { hostname: bad }), { status: 422 }, bad);
      }
      await assert.rejects(alice.request('POST', '/apps/alices-app/domains', { hostname: 'other.paas.test' }), { status: 422, message: /belong to paas apps/ });
      const route = await t.system.route('alices-app');
      assert.deepEqual(route.domains, ['alices-app.paas.test', '*.shop.example.com', 'www.example.com']);
      await alice.request('DELETE', '/apps/alices-app/domains/www.example.com');
      await assert.rejects(alice.request('DELETE', '/apps/alices-app/domains/www.example.com'), { status: 404 });
    });

    test('rollback makes a new release with the old build and config; the current one is refused', async () => {
      await deploy(t, 'alices-app');
      await alice.setConfig('alices-app', { COLOR: 'blue' });
      const before = await alice.releases('alices-app');
      const deployVersion = before.find((r) => r.description.startsWith('Deploy'))?.version ?? 0;
      const current = before[0].version;
      await assert.rejects(alice.request('POST', '/apps/alices-app/releases', { release: current }), { status: 422, message: /already the current release/ });
      await assert.rejects(alice.request('POST', '/apps/alices-app/releases', { release: 99 }), { status: 404 });
      const rolled = await alice.request<{ version: number; description: string }>('POST', '/apps/alices-app/releases', { release: `v${deployVersion}` });
      assert.equal(rolled.version, current + 1);
      assert.equal(rolled.description, `Rollback to v${deployVersion}`);
      assert.equal((await alice.config('alices-app')).COLOR, undefined);
      assert.equal((await alice.releases('alices-app')).filter((r) => r.current).length, 1);
    });

    test('an Idempotency-Key applies a write once and replays its answer', async () => {
      const before = (await alice.releases('alices-app')).length;
      const answers = [];
      for (let i = 0; i < 5; i++) {
        answers.push(await raw(t.controller.url, 'POST', '/apps/alices-app/releases', { token: tokenOf(alice), body: JSON.stringify({ release: 1 }), headers: { 'idempotency-key': 'rollback-1' } }));
      }
      assert.ok(answers.every((a) => a.status === 201));
      assert.deepEqual(new Set(answers.map((a) => JSON.stringify(a.body))).size, 1);
      assert.equal(answers[1].headers['idempotent-replayed'], 'true');
      assert.equal((await alice.releases('alices-app')).length, before + 1);
      const reused = await raw(t.controller.url, 'PATCH', '/apps/alices-app/config-vars', { token: tokenOf(alice), body: '{"A":"1"}', headers: { 'idempotency-key': 'rollback-1' } });
      assert.equal(reused.status, 422);
      const concurrent = await Promise.all(
        Array.from({ length: 5 }, () => raw(t.controller.url, 'PATCH', '/apps/alices-app/config-vars', { token: tokenOf(alice), body: '{"ONCE":"1"}', headers: { 'idempotency-key': 'set-once' } })),
      );
      assert.ok(concurrent.every((a) => a.status === 200 || a.status === 409), JSON.stringify(concurrent.map((a) => a.status)));
      assert.equal((await alice.releases('alices-app')).filter((r) => r.description === 'Set ONCE config vars').length, 1);
    });

    test('lists are paginated with a Link to the next page', async () => {
      const first = await raw(t.controller.url, 'GET', '/apps/alices-app/releases?limit=2', { token: tokenOf(alice) });
      assert.equal((first.body as unknown[]).length, 2);
      assert.match(String(first.headers.link), /offset=2.*rel="next"|rel="next"/);
      const next = String(first.headers.link).match(/<([^>]+)>/)?.[1] ?? '';
      const second = await raw(t.controller.url, 'GET', next, { token: tokenOf(alice) });
      assert.notDeepEqual(second.body, first.body);
      assert.equal((await raw(t.controller.url, 'GET', '/apps/alices-app/releases?limit=0', { token: tokenOf(alice) })).status, 422);
    });

    test('malformed input is a 400 or 422 with a message, never a 500', async () => {
      const bad = await raw(t.controller.url, 'PATCH', '/apps/alices-app/config-vars', { token: tokenOf(alice), body: '{not json' });
      assert.equal(bad.status, 400);
      const wrongType = await raw(t.controller.url, 'PATCH', '/apps/alices-app/config-vars', { token: tokenOf(alice), body: '{"A":5}' });
      assert.equal(wrongType.status, 422);
      assert.match(String((wrongType.body as { message: string }).message), /Invalid request/);
    });

    test('the rate limit answers 429 with Retry-After, per user', async () => {
      const carol = await t.user('carol@example.com');
      let limited;
      for (let i = 0; i < 250 && !limited; i++) {
        const r = await raw(t.controller.url, 'GET', '/account', { token: tokenOf(carol) });
        if (r.status === 429) limited = r;
      }
      assert.ok(limited, 'a 429 within 250 requests at 200/hour');
      assert.ok(Number(limited.headers['retry-after']) >= 1);
      assert.match(String((limited.body as { message: string }).message), /rate limit/);
      assert.equal((await raw(t.controller.url, 'GET', '/account', { token: tokenOf(bob) })).status, 200, 'other users are not limited');
    });
  });
}
