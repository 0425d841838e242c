import assert from 'node:assert/strict';
import { test } from 'node:test';
import { histogramQuantile } from '../shared';
import { RequestMetrics } from './request-metrics';

test('counts per app by status class and error code, with a latency histogram, window by window', () => {
  const m = new RequestMetrics();
  for (let i = 0; i < 98; i++) m.observe('shop', 200, undefined, 12);
  m.observe('shop', 503, 'H12', 30_000);
  m.observe('shop', 499, 'H27', 3);
  m.observe('blog', 304, undefined, 0.4);
  const [shop, blog] = m.take('r1', Date.now() + 10_000).sort((a, b) => (a.app === 'shop' ? -1 : b.app === 'shop' ? 1 : 0));
  assert.equal(shop!.kind, 'router');
  assert.equal(shop!.routerId, 'r1');
  assert.equal(shop!.requests, 100);
  assert.deepEqual(shop!.statuses, { '2xx': 98, '5xx': 1, '4xx': 1 });
  assert.deepEqual(shop!.errors, { H12: 1, H27: 1 });
  const p50 = histogramQuantile(shop!.latency, 0.5)!;
  assert.ok(p50 >= 12 && p50 <= 13.2, String(p50));
  assert.ok(shop!.windowMs >= 10_000);
  assert.equal(blog!.requests, 1);
  assert.deepEqual(m.take('r1'), [], 'a new window starts empty; apps without requests publish nothing');
});
