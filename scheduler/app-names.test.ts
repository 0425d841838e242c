/** AppNames: a job keeps counting as its app's after `paas apps:rename`, by its id. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RecordedJob } from '../controller';
import type { JobInfo } from '../shared';
import { AppNames } from './app-names';

const job = (id: string, app: string): JobInfo => ({ id, app, release: 1, processType: 'web', hostId: 'node-1', state: 'up' });
const record = (id: string, app: string | undefined): RecordedJob => ({ id, app, release: 1, type: 'web', host: 'node-1', state: 'up', ip: null, port: null }) as RecordedJob;

test("a job the controller records under the app's new name is that app's; others keep their label", () => {
  const names = new AppNames();
  const old = job('shop-web.1-0a1b2c3d4e', 'shop');
  const fresh = job('shop-new-web.2-0a1b2c3d4f', 'shop-new');
  const unknown = job('gone-web.1-0a1b2c3d50', 'gone');
  names.learn([record(old.id, 'shop-new'), record(fresh.id, 'shop-new'), record('other', undefined)], [old, fresh, unknown]);
  assert.deepEqual(names.current(old), { ...old, app: 'shop-new' });
  assert.equal(old.app, 'shop', 'the listed job is not changed in place');
  assert.equal(names.current(fresh), fresh);
  assert.equal(names.current(unknown), unknown, 'a job the controller does not know keeps its label (the plan stops it)');
});

test('each pass starts over: a job no longer recorded goes back to its label', () => {
  const names = new AppNames();
  const old = job('shop-web.1-0a1b2c3d4e', 'shop');
  names.learn([record(old.id, 'shop-new')], [old]);
  names.learn([], [old]);
  assert.equal(names.current(old).app, 'shop');
});
