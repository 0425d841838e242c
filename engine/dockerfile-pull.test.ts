/**
 * `FROM <registry>/<repo>:<tag>` pulls the base image from that registry (here the
 * embedded one on loopback) when the host does not have it. Root only.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { registryOf } from './registry-url';
import { collector, skipReason, testEngine } from './integration-fixture';
import { startRegistry } from './registry-server';

test('registryOf tells a registry reference from a local one', () => {
  assert.deepEqual(registryOf('127.0.0.1:5000/team/base:1'), { registryUrl: 'http://127.0.0.1:5000', repository: 'team/base:1' });
  assert.deepEqual(registryOf('registry.example.com/base:1'), { registryUrl: 'https://registry.example.com', repository: 'base:1' });
  assert.throws(() => registryOf('paas/stack:bookworm'), /names no registry/);
  assert.throws(() => registryOf('ubuntu:22.04'), /names no registry/);
});

test('a Dockerfile FROM a registry image pulls it, then builds on it', { skip: skipReason() }, async () => {
  const setup = await testEngine('paash8', '10.241.0.1/16');
  const work = await mkdtemp(join(tmpdir(), 'paas-df-pull-'));
  const registry = await startRegistry({ dir: join(work, 'registry') });
  try {
    const engine = await setup.open();
    const stack = await engine.ensureStack();
    const base = `127.0.0.1:${registry.port}/base/stack:1`;
    await engine.push(stack.ref, registry.url, 'base/stack:1');
    assert.equal(await engine.image(base), undefined, 'the base is not on the host yet');
    await writeFile(join(work, 'Dockerfile'), `FROM ${base}\nRUN echo pulled > /tmp/marker\nCMD ["cat", "/tmp/marker"]\n`);
    const out = collector();
    const image = await engine.buildDockerfile({ contextDir: work, tag: 'pulled/app:1', output: out.stream });
    assert.ok(await engine.image(base), 'the base was pulled');
    assert.equal(image.layers[0], stack.layers[0], 'the pulled base shares the stack layer');
    const run = collector();
    const result = await engine.run({ id: `pull-check-${process.pid}`, image: image.ref, network: 'none' }, { output: run.stream });
    assert.equal(result.exitCode, 0, run.text());
    assert.match(run.text(), /pulled/);
  } finally {
    await registry.close();
    await setup.cleanup();
    await rm(work, { recursive: true, force: true });
  }
});
