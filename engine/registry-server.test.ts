/**
 * The embedded registry over real HTTP: the distribution protocol's status codes,
 * headers and error JSON, chunked and monolithic uploads with digest checks, manifests
 * by tag and digest, basic auth; and skopeo (a real client) pushing to and inspecting it.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type RegistryHandle } from './registry-server';
import { MT_OCI_CONFIG, MT_OCI_LAYER, MT_OCI_MANIFEST, sha256Digest } from './image-oci';
import { exportImage } from './image-layout';
import { makeImage, tempStore } from './image-test-util';
import { exec } from './exec';

const TOKEN = 'test-token-h1';
const auth = `Basic ${Buffer.from(`paas:${TOKEN}`).toString('base64')}`;

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function call(reg: RegistryHandle, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}, withAuth = true): Promise<Res> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string | number> = { ...headers };
    if (withAuth) h.Authorization = auth;
    if (body) h['Content-Length'] = body.length;
    const req = http.request(new URL(path, reg.url), { method, headers: h, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const errorCode = (r: Res): string => (JSON.parse(r.body.toString()) as { errors: { code: string }[] }).errors[0]!.code;

describe('embedded registry: protocol', () => {
  let dir: string;
  let reg: RegistryHandle;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'paas-h1-registry-'));
    reg = await startRegistry({ dir, token: TOKEN });
  });
  after(async () => {
    await reg.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('base endpoint and authentication', async () => {
    const anon = await call(reg, 'GET', '/v2/', undefined, {}, false);
    assert.equal(anon.status, 401);
    assert.match(String(anon.headers['www-authenticate']), /^Basic realm=/);
    assert.equal(errorCode(anon), 'UNAUTHORIZED');
    const wrong = await call(reg, 'GET', '/v2/', undefined, { Authorization: `Basic ${Buffer.from('paas:nope').toString('base64')}` }, false);
    assert.equal(wrong.status, 401);
    const ok = await call(reg, 'GET', '/v2/');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['docker-distribution-api-version'], 'registry/2.0');
  });

  test('chunked upload, digest check, blob HEAD/GET', async () => {
    const data = Buffer.from('hello chunked world');
    const digest = sha256Digest(data);
    const start = await call(reg, 'POST', '/v2/team/app/blobs/uploads/');
    assert.equal(start.status, 202);
    const loc = String(start.headers.location);
    assert.match(loc, /^\/v2\/team\/app\/blobs\/uploads\/[a-f0-9-]{36}$/);
    const p1 = await call(reg, 'PATCH', loc, data.subarray(0, 5), { 'Content-Range': '0-4' });
    assert.equal(p1.status, 202);
    assert.equal(p1.headers.range, '0-4');
    const bad = await call(reg, 'PATCH', loc, data.subarray(5), { 'Content-Range': '3-9' });
    assert.equal(bad.status, 416);
    const p2 = await call(reg, 'PATCH', loc, data.subarray(5, 10));
    assert.equal(p2.headers.range, '0-9');
    const done = await call(reg, 'PUT', `${loc}?digest=${digest}`, data.subarray(10));
    assert.equal(done.status, 201);
    assert.equal(done.headers['docker-content-digest'], digest);
    assert.equal(done.headers.location, `/v2/team/app/blobs/${digest}`);
    const head = await call(reg, 'HEAD', `/v2/team/app/blobs/${digest}`);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(data.length));
    assert.deepEqual((await call(reg, 'GET', `/v2/team/app/blobs/${digest}`)).body, data);

    const start2 = await call(reg, 'POST', '/v2/team/app/blobs/uploads/');
    const mismatch = await call(reg, 'PUT', `${String(start2.headers.location)}?digest=${sha256Digest('other')}`, data);
    assert.equal(mismatch.status, 400);
    assert.equal(errorCode(mismatch), 'DIGEST_INVALID');
    assert.equal((await call(reg, 'HEAD', `/v2/team/app/blobs/${sha256Digest('other')}`)).status, 404);
    const unknown = await call(reg, 'GET', `/v2/team/app/blobs/${sha256Digest('nope')}`);
    assert.equal(unknown.status, 404);
    assert.equal(errorCode(unknown), 'BLOB_UNKNOWN');
    assert.equal((await call(reg, 'PATCH', '/v2/team/app/blobs/uploads/00000000-0000-0000-0000-000000000000', data)).status, 404);
    assert.equal(errorCode(await call(reg, 'GET', '/v2/Bad_Name/tags/list')), 'NAME_INVALID');
    const small = await startRegistry({ dir: join(dir, 'small'), maxBlobBytes: 10 });
    try {
      const big = await call(small, 'POST', `/v2/x/blobs/uploads/?digest=${digest}`, data, {}, false);
      assert.equal(big.status, 413);
      assert.equal(errorCode(big), 'SIZE_INVALID');
      assert.equal((await call(small, 'HEAD', `/v2/x/blobs/${digest}`, undefined, {}, false)).status, 404);
    } finally {
      await small.close();
    }
  });

  test('monolithic upload, manifests by tag and digest, tags list', async () => {
    const layer = Buffer.from('layer bytes');
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256Digest(layer)] } }));
    for (const blob of [layer, config]) {
      const r = await call(reg, 'POST', `/v2/mono/blobs/uploads/?digest=${sha256Digest(blob)}`, blob);
      assert.equal(r.status, 201);
    }
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MT_OCI_MANIFEST,
        config: { mediaType: MT_OCI_CONFIG, digest: sha256Digest(config), size: config.length },
        layers: [{ mediaType: MT_OCI_LAYER, digest: sha256Digest(layer), size: layer.length }],
      }),
    );
    const digest = sha256Digest(manifest);
    const missing = Buffer.from(manifest.toString().replace(sha256Digest(layer), sha256Digest('missing')));
    const refused = await call(reg, 'PUT', '/v2/mono/manifests/v1', missing, { 'Content-Type': MT_OCI_MANIFEST });
    assert.equal(refused.status, 400);
    assert.equal(errorCode(refused), 'MANIFEST_BLOB_UNKNOWN');
    const wrongDigest = await call(reg, 'PUT', `/v2/mono/manifests/${sha256Digest('x')}`, manifest, { 'Content-Type': MT_OCI_MANIFEST });
    assert.equal(errorCode(wrongDigest), 'DIGEST_INVALID');
    const put = await call(reg, 'PUT', '/v2/mono/manifests/v1', manifest, { 'Content-Type': MT_OCI_MANIFEST });
    assert.equal(put.status, 201);
    assert.equal(put.headers['docker-content-digest'], digest);
    for (const ref of ['v1', digest]) {
      const got = await call(reg, 'GET', `/v2/mono/manifests/${ref}`);
      assert.equal(got.status, 200);
      assert.equal(got.headers['content-type'], MT_OCI_MANIFEST);
      assert.equal(got.headers['docker-content-digest'], digest);
      assert.deepEqual(got.body, manifest);
    }
    assert.equal((await call(reg, 'HEAD', '/v2/mono/manifests/v1')).status, 200);
    const unknown = await call(reg, 'GET', '/v2/mono/manifests/v2');
    assert.equal(unknown.status, 404);
    assert.equal(errorCode(unknown), 'MANIFEST_UNKNOWN');
    await call(reg, 'PUT', '/v2/mono/manifests/a-tag', manifest, { 'Content-Type': MT_OCI_MANIFEST });
    assert.deepEqual(JSON.parse((await call(reg, 'GET', '/v2/mono/tags/list')).body.toString()), { name: 'mono', tags: ['a-tag', 'v1'] });
    assert.deepEqual(JSON.parse((await call(reg, 'GET', '/v2/mono/tags/list?n=1&last=a-tag')).body.toString()).tags, ['v1']);
    assert.equal(errorCode(await call(reg, 'GET', '/v2/nothing/tags/list')), 'NAME_UNKNOWN');
    const mount = await call(reg, 'POST', `/v2/other/blobs/uploads/?mount=${sha256Digest(layer)}&from=mono`);
    assert.equal(mount.status, 201, 'cross-repository mount of a blob it has');
  });
});

describe('embedded registry: skopeo as the client', { skip: process.getuid?.() !== 0 ? 'needs root (layer owners)' : undefined }, () => {
  test('skopeo copy pushes a paas layout to it; skopeo inspect reads it back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paas-h1-regsk-'));
    const { store, cleanup } = await tempStore();
    const reg = await startRegistry({ dir: join(dir, 'registry'), token: TOKEN });
    try {
      const img = await makeImage(store, 'test/app:v1', { 'app/x': 'x' }, undefined, { Cmd: ['/app/x'] });
      await exportImage(store, 'test/app:v1', join(dir, 'layout'));
      const target = `docker://127.0.0.1:${reg.port}/team/app:v1`;
      const creds = `paas:${TOKEN}`;
      await exec('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${join(dir, 'layout')}:v1`, target]);
      const inspect = JSON.parse(await exec('skopeo', ['inspect', '--tls-verify=false', '--creds', creds, target])) as { Digest: string; Layers: string[] };
      assert.equal(inspect.Layers.length, 1);
      assert.match(inspect.Digest, /^sha256:/);
      const raw = await exec('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', creds, target]);
      assert.equal((JSON.parse(raw) as { layers: unknown[] }).layers.length, img.layers.length);
      await assert.rejects(exec('skopeo', ['inspect', '--tls-verify=false', '--creds', 'paas:wrong', target]), /unauthorized|401|authentication/i);
    } finally {
      await reg.close();
      await cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
