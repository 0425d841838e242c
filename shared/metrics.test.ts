import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketUpperMs, histogramQuantile, LATENCY_BUCKETS, latencyBucket, mergeCounts, metricSubjects } from './metrics';

test('latency buckets: every time falls in a bucket whose bound is within 10% above it', () => {
  for (const ms of [1, 1.5, 7, 10, 99, 100, 101, 250, 1_000, 29_999, 30_000, 100_000]) {
    const b = latencyBucket(ms);
    assert.ok(bucketUpperMs(b) >= ms, `${ms} ms ≤ bound of bucket ${b}`);
    assert.ok(bucketUpperMs(b) <= ms * 1.1 + 1e-9, `${ms} ms: bound ${bucketUpperMs(b)} within 10%`);
  }
  assert.equal(latencyBucket(0.2), 0);
  assert.equal(latencyBucket(Number.NaN), 0);
  assert.equal(latencyBucket(1e9), LATENCY_BUCKETS - 1, 'very long times share the last bucket');
});

test('quantiles of summed histograms', () => {
  const a: Record<string, number> = {};
  for (let i = 0; i < 90; i++) mergeCounts(a, { [latencyBucket(20)]: 1 });
  const b = { [latencyBucket(200)]: 9, [latencyBucket(2_000)]: 1 };
  mergeCounts(a, b);
  const q = (x: number): number => histogramQuantile(a, x)!;
  assert.ok(q(0.5) >= 20 && q(0.5) <= 22);
  assert.ok(q(0.95) >= 200 && q(0.95) <= 220);
  assert.ok(q(0.99) >= 200 && q(0.99) <= 220);
  assert.ok(q(1) >= 2_000 && q(1) <= 2_200);
  assert.equal(histogramQuantile({}, 0.5), undefined);
});

test('subjects: ids with dots or spaces stay one token', () => {
  assert.equal(metricSubjects.dyno('shop', 'abc.def'), 'paas.metrics.shop.dyno.abc_def');
  assert.equal(metricSubjects.router('shop', 'node-1.example.com-42'), 'paas.metrics.shop.router.node-1_example_com-42');
});
