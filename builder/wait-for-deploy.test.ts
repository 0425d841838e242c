/**
 * What `git push` says after "Released vN", against a real controller (SQLite): the
 * deploy's verdict as the scheduler records it, in Heroku's grammar, and whether the
 * push fails (so the branch does not move and the same push can be retried).
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { startTestController, type TestController } from '../controller/test-fixture';
import { silentLogger } from '../shared';
import { waitForWeb, type BuildEnvironment } from './build';

const SHA = '1'.repeat(40);

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('the push waits for the deploy of its release', () => {
  let t: TestController;
  let env: BuildEnvironment;
  let buildId: string;

  async function release(app: string, types: Record<string, string> = { web: 'node s.js' }): Promise<number> {
    const build = await t.system.createBuild(app, SHA, 'admin@example.com');
    await t.system.finishBuild(app, build.id, { status: 'succeeded', image: `paas/${app}:1`, process_types: types });
    buildId = build.id;
    return (await t.system.createRelease(app, build.id)).version;
  }

  before(async () => {
    t = await startTestController('sqlite');
    env = { client: t.system, log: silentLogger, webUrl: (a: string) => `http://${a}.paas.test/`, deployTimeoutMs: 5_000 } as unknown as BuildEnvironment;
    await t.admin.createApp('waiter');
  });
  after(async () => t?.close());

  test('a succeeded deploy prints the URL and the push succeeds', async () => {
    const v = await release('waiter');
    const out = new Collect();
    const waiting = waitForWeb(env, 'waiter', v, true, out);
    const d = await t.system.startDeploy('waiter', { release: v, from: null });
    await t.system.finishDeploy(d.id, { status: 'succeeded' });
    assert.equal(await waiting, true);
    assert.equal(out.text, '       http://waiter.paas.test/ deployed to paas\n');
  });

  test('a failed deploy names the reason and the release that keeps serving, and the push fails', async () => {
    const v = await release('waiter');
    const out = new Collect();
    const waiting = waitForWeb(env, 'waiter', v, true, out);
    const d = await t.system.startDeploy('waiter', { release: v, from: v - 1 });
    await t.system.finishDeploy(d.id, { status: 'failed', reason: 'web.1 never bound $PORT within 60 s.' });
    assert.equal(await waiting, false);
    assert.equal(
      out.text,
      ` !     Deploy of v${v} failed: web.1 never bound $PORT within 60 s.\n` +
        ` !     v${v - 1} keeps serving. Fix the problem and push again; \`paas releases:info v${v} -a waiter\` and \`paas logs -a waiter\` show more.\n`,
    );
  });

  test('a deploy superseded by a config change of the same build follows that release', async () => {
    const v = await release('waiter');
    const out = new Collect();
    const waiting = waitForWeb(env, 'waiter', v, true, out);
    await t.system.startDeploy('waiter', { release: v, from: v - 2 });
    await t.admin.setConfig('waiter', { A: '1' });
    const d2 = await t.system.startDeploy('waiter', { release: v + 1, from: v - 2 });
    await t.system.finishDeploy(d2.id, { status: 'succeeded' });
    assert.equal(await waiting, true);
    assert.match(out.text, new RegExp(`v${v} was superseded by v${v + 1} \\(same build\\); waiting for v${v + 1}\\n.*deployed to paas\\n$`));
    assert.equal((await t.system.release('waiter', v + 1)).build_id, buildId);
  });

  test('without a web process the release itself is announced; a deploy that never ends fails the push in bounded time', async () => {
    await t.admin.createApp('worker-only');
    const v = await release('worker-only', { worker: 'node w.js' });
    const out = new Collect();
    const waiting = waitForWeb(env, 'worker-only', v, false, out);
    const d = await t.system.startDeploy('worker-only', { release: v, from: null });
    await t.system.finishDeploy(d.id, { status: 'succeeded' });
    assert.equal(await waiting, true);
    assert.equal(out.text, `       v${v} deployed to paas\n`);

    const stuck = await release('worker-only', { worker: 'node w.js' });
    await t.system.startDeploy('worker-only', { release: stuck, from: v });
    const late = new Collect();
    assert.equal(await waitForWeb({ ...env, deployTimeoutMs: -28_000 }, 'worker-only', stuck, false, late), false);
    assert.match(late.text, new RegExp(`v${stuck} was released, but its deploy has not finished in time\\. See \`paas ps -a worker-only\``));
  });

  test('a scheduler that records no deploys is followed the old way: the web process of the release is up', async () => {
    await t.admin.createApp('legacy');
    const v = await release('legacy');
    const out = new Collect();
    const waiting = waitForWeb(env, 'legacy', v, true, out);
    await t.system.reportJob('legacy-web-1', { app: 'legacy', release: v, type: 'web', host: 'h1', state: 'up', ip: '10.0.0.3', port: 5000 });
    assert.equal(await waiting, true);
    assert.equal(out.text, '       http://legacy.paas.test/ deployed to paas\n');
  });
});
