/**
 * push and pull between real stores through real registries: paas's embedded one
 * (counting what crosses the wire proves no layer is transferred twice) and Debian's
 * docker-registry (distribution v2), run here on a free loopback port with a temp
 * config. Root only (layer owners).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry } from './registry-server';
import { pullImage, pushImage, RegistryClient } from './registry-client';
import { exportImage } from './image-layout';
import { makeImage, tempStore } from './image-test-util';
import { exec } from './exec';
import { MT_DOCKER_LAYER_GZIP, MT_DOCKER_MANIFEST, parseManifest } from './image-oci';
import { pollFor } from './launcher';

const skip = process.getuid?.() !== 0 ? 'needs root (layer owners)' : undefined;
const creds = { username: 'paas', password: 'pull-push-token' };

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'paas-h1-client-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Debian's docker-registry on a free loopback port, storage in `dir`. */
async function dockerRegistry(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    ['version: 0.1', 'log:', '  level: error', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`, 'http:', `  addr: 127.0.0.1:${port}`, ''].join('\n'),
  );
  const child = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const client = new RegistryClient(url);
  const up = await pollFor(() => client.request('GET', '/v2/').then((r) => (r.resume(), true)).catch(() => undefined), 15_000);
  if (!up) {
    child.kill('SIGKILL');
    throw new Error('docker-registry did not start');
  }
  return { url, child };
}

describe('registry push and pull', { skip }, () => {
  test('through the embedded registry: nothing is sent or fetched twice', () =>
    withTmp(async (dir) => {
      const a = await tempStore();
      const b = await tempStore();
      const reg = await startRegistry({ dir: join(dir, 'registry'), token: creds.password });
      try {
        const base = await makeImage(a.store, 'test/base:1', { 'etc/os': 'base\n'.repeat(50_000) });
        const v1 = await makeImage(a.store, 'test/app:v1', { 'app/v': '1' }, 'test/base:1');
        const v2 = await makeImage(a.store, 'test/app:v2', { 'app/v': '2' }, 'test/base:1');

        const p1 = await pushImage(a.store, 'test/app:v1', reg.url, 'team/app:v1', creds);
        assert.deepEqual([p1.blobsPushed, p1.blobsSkipped, p1.digest], [3, 0, v1.digest]);
        const p2 = await pushImage(a.store, 'test/app:v2', reg.url, 'team/app:v2', creds);
        assert.deepEqual([p2.blobsPushed, p2.blobsSkipped], [2, 1], 'the base layer is already there (HEAD)');
        assert.equal((await pushImage(a.store, 'test/app:v1', reg.url, 'team/app:v1', creds)).blobsPushed, 0);
        assert.equal(reg.stats.blobUploads, 5);

        const g1 = await pullImage(b.store, reg.url, 'team/app:v1', 'pulled/app:v1', creds);
        assert.deepEqual(g1.info.layers, v1.layers);
        assert.deepEqual(g1.info.config, v1.config);
        assert.equal(g1.info.digest, v1.digest, 'same manifest, byte for byte');
        assert.deepEqual([g1.layersFetched, g1.layersSkipped], [2, 0]);
        const afterFirst = { ...reg.stats };
        assert.equal(afterFirst.blobGets, 3, 'two layers and the config');

        const g2 = await pullImage(b.store, reg.url, 'team/app:v2', 'pulled/app:v2', creds);
        assert.deepEqual([g2.layersFetched, g2.layersSkipped], [1, 1]);
        assert.equal(reg.stats.blobGets - afterFirst.blobGets, 2, 'only the new layer and the config');
        const baseSize = (await readFile(a.store.blobPath(base.layers[0]!))).length;
        const v2Sizes = (await readFile(a.store.blobPath(v2.layers[1]!))).length;
        assert.ok(reg.stats.blobBytesSent - afterFirst.blobBytesSent < baseSize, 'the base layer did not cross again');
        assert.ok(reg.stats.blobBytesSent - afterFirst.blobBytesSent >= v2Sizes);

        const g3 = await pullImage(b.store, reg.url, `team/app@${v2.digest}`, 'pulled/app:pinned', creds);
        assert.equal(g3.layersFetched, 0);
        const lower = await b.store.lowerDirs(g2.info);
        assert.equal(await readFile(join(lower[0]!, 'app/v'), 'utf8'), '2');

        await assert.rejects(pullImage(b.store, reg.url, 'team/app:v1', 'x:1', { username: 'paas', password: 'wrong' }), {
          code: 'registry_error',
          message: /401/,
        });
        await assert.rejects(pullImage(b.store, reg.url, 'team/app:nope', 'x:1', creds), { code: 'registry_error', message: /MANIFEST_UNKNOWN/ });
      } finally {
        await reg.close();
        await a.cleanup();
        await b.cleanup();
      }
    }));

  test("with Debian's docker-registry: push, pull, and a gzip Docker-media-type image pushed by skopeo", () =>
    withTmp(async (dir) => {
      const a = await tempStore();
      const b = await tempStore();
      const { url, child } = await dockerRegistry(dir);
      try {
        await makeImage(a.store, 'test/base:1', { 'etc/os': 'base\n' });
        const v1 = await makeImage(a.store, 'test/app:v1', { 'app/v': '1' }, 'test/base:1', { Cmd: ['/app/v'] });
        const p = await pushImage(a.store, 'test/app:v1', url, 'team/app:v1');
        assert.equal(p.blobsPushed, 3);
        assert.equal((await pushImage(a.store, 'test/app:v1', url, 'team/app:v1')).blobsPushed, 0, 'HEAD finds them');
        const g = await pullImage(b.store, url, 'team/app:v1', 'pulled/app:v1');
        assert.deepEqual(g.info.layers, v1.layers);
        assert.equal(g.info.digest, v1.digest);

        await exportImage(a.store, 'test/app:v1', join(dir, 'layout'));
        const dest = `docker://${url.slice('http://'.length)}/team/docker:v1`;
        await exec('skopeo', ['copy', '--format', 'v2s2', '--dest-compress', '--dest-tls-verify=false', `oci:${join(dir, 'layout')}:v1`, dest]);
        const pushed = await new RegistryClient(url).getManifest('team/docker', 'v1');
        assert.equal(pushed.mediaType, MT_DOCKER_MANIFEST);
        assert.ok(parseManifest(pushed.data).layers.every((l) => l.mediaType === MT_DOCKER_LAYER_GZIP), 'gzip Docker layers');
        const c = await tempStore();
        try {
          const d = await pullImage(c.store, url, 'team/docker:v1', 'pulled/docker:v1');
          assert.deepEqual(d.info.layers, v1.layers, 'gzip Docker layers decompressed to the same diff ids');
          assert.equal(d.layersFetched, 2);
          assert.deepEqual(d.info.config.Cmd, ['/app/v']);
        } finally {
          await c.cleanup();
        }
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
        await a.cleanup();
        await b.cleanup();
      }
    }));
});
