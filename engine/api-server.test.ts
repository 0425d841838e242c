/** The engine's REST API over its unix socket, against a real engine and container. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../shared';
import { EngineClient } from './api-client';
import { engineToken, startEngineApi, type EngineApiServer } from './api-server';
import { skipReason, testEngine, type TestEngineSetup } from './integration-fixture';
import type { ContainerInfo, EngineApi, ImageInfo } from './types';

describe('engine REST API', { skip: skipReason() }, () => {
  let setup: TestEngineSetup;
  let dataDir: string;
  let engine: EngineApi;
  let server: EngineApiServer;
  let client: EngineClient;

  before(async () => {
    setup = await testEngine('paash7', '10.238.0.1/16');
    dataDir = setup.options.dataDir;
    engine = await setup.open();
    const stack = await engine.ensureStack();
    await engine.create({ id: 'api-sleeper', image: stack.ref, cmd: ['sleep', '300'], network: 'none' });
    await engine.start('api-sleeper');
    server = await startEngineApi(engine, dataDir, silentLogger);
    client = new EngineClient(server.socketPath, engineToken(dataDir));
  });

  after(async () => {
    await server?.close();
    await setup?.cleanup();
  });

  test('the socket is root-only and wants the token', async () => {
    assert.equal(fs.statSync(server.socketPath).mode & 0o777, 0o600);
    await assert.rejects(new EngineClient(server.socketPath, 'wrong').request('GET', '/v1/info'), { status: 401 });
  });

  test('info, images and containers describe this host', async () => {
    const info = await client.request<{ runtime: string; running: number; images: number }>('GET', '/v1/info');
    assert.match(info.runtime, /^(runc|crun)$/);
    assert.equal(info.running, 1);
    const images = await client.request<ImageInfo[]>('GET', '/v1/images');
    assert.ok(images.some((i) => i.ref === 'paas/stack:bookworm'));
    const image = await client.request<ImageInfo>('GET', `/v1/images/${encodeURIComponent('paas/stack:bookworm')}`);
    assert.equal(image.layers.length, 1);
    const list = await client.request<ContainerInfo[]>('GET', '/v1/containers');
    assert.deepEqual(list.map((c) => [c.id, c.state]), [['api-sleeper', 'running']]);
  });

  test('unknown things are 404 with a message', async () => {
    await assert.rejects(client.request('GET', '/v1/containers/nope'), { status: 404, message: /No container nope/ });
    await assert.rejects(client.request('GET', '/v1/nothing'), { status: 404 });
  });

  test('volumes are listed and removed', async () => {
    await engine.createVolume('api-data');
    const list = await client.request<{ name: string; usedBy: string[] }[]>('GET', '/v1/volumes');
    assert.deepEqual(list.map((v) => [v.name, v.usedBy]), [['api-data', []]]);
    await client.request('DELETE', '/v1/volumes/api-data');
    await assert.rejects(client.request('GET', '/v1/volumes/api-data'), { status: 404 });
  });

  test('stop and remove a container', async () => {
    const stopped = await client.request<ContainerInfo>('POST', '/v1/containers/api-sleeper/stop?grace_ms=1000');
    assert.equal(stopped.state, 'stopped');
    await client.request('DELETE', '/v1/containers/api-sleeper');
    assert.deepEqual(await client.request<ContainerInfo[]>('GET', '/v1/containers'), []);
  });
});
