/**
 * paas against a real external OCI registry: Debian's docker-registry (the CNCF
 * distribution registry v2) on a free loopback port, with its own config and storage,
 * (1) behind htpasswd basic auth and (2) behind `auth: token`, whose realm is a small
 * token service this test runs (test/helpers/registry-token-server.ts: JWTs the registry
 * verifies against the service's certificate). The builder's publishImage pushes and a
 * host's ensureJobImage pulls, each on a real image store through the real registry
 * client; the registry's access log and the token service's requests are counted to show
 * that layers the other side has are not sent again, and that one token serves a push.
 * A wrong password fails with an error that names the registry and what to set.
 * Then a real `paas up` with PAAS_REGISTRY_URL on the token-auth registry publishes a
 * pushed app there. Root only (layer owners, containers).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { execFileSync, spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { publishImage, setPublishTarget } from '../../builder';
import { removeBridge } from '../../engine/bridge';
import { ensureJobImage, parseCidr, setPullCredentials, type EngineApi, type ImageInfo, type RegistryCredentials } from '../../engine';
import type { ImageStore } from '../../engine/image-store';
import { pullImage, pushImage } from '../../engine/registry-client';
import { makeImage, tempStore } from '../../engine/image-test-util';
import { silentLogger } from '../../shared';
import { startDockerRegistry, type DockerRegistry } from '../helpers/docker-registry';
import { startTokenServer, type TokenServer } from '../helpers/registry-token-server';
import { eventually, loginAsAdmin, newSettings, newUser, request, sampleRepo, startPaas, type Cli, type PaasSettings, type RunningPaas } from '../helpers/paas';

const skip = process.getuid?.() !== 0 ? 'needs root (layer owners)' : undefined;
const alice: RegistryCredentials = { username: 'alice', password: 'alice-s3cret' };

/** An engine as publishImage and ensureJobImage use it, on a real store with the real registry client. */
function storeEngine(store: ImageStore): EngineApi {
  return {
    image: (ref: string) => store.get(ref),
    push: (ref: string, url: string, target: string, credentials?: RegistryCredentials) => pushImage(store, ref, url, target, credentials),
    pull: (url: string, source: string, ref: string, credentials?: RegistryCredentials) => pullImage(store, url, source, ref, credentials),
  } as unknown as EngineApi;
}

async function publish(builder: EngineApi, image: ImageInfo): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.setEncoding('utf8').on('data', (d: string) => (text += d));
  await publishImage(builder, image, out);
  out.end();
  return text;
}

/** What the registry's access log shows crossing the wire since `from`. */
function traffic(registry: DockerRegistry, from = 0): { uploads: number; blobGets: string[]; lines: string[] } {
  const lines = registry.requests().slice(from);
  return {
    uploads: lines.filter((l) => /^PUT \/v2\/\S+\/blobs\/uploads\/\S+ 201$/.test(l)).length,
    blobGets: lines.filter((l) => /^GET \/v2\/\S+\/blobs\/sha256:\w+ 200$/.test(l)).map((l) => /sha256:\w+/.exec(l)![0]),
    lines,
  };
}

/**
 * The builder publishes v1 then v2 (sharing the base layer); a host pulls v1 then v2.
 * Each step's traffic is read off the registry's own log.
 */
async function publishAndPull(registry: DockerRegistry, credentials: RegistryCredentials | undefined, repo: string): Promise<void> {
  const a = await tempStore();
  const b = await tempStore();
  try {
    const base = await makeImage(a.store, `${repo}-base:1`, { 'etc/os': 'base\n'.repeat(20_000) });
    const v1 = await makeImage(a.store, `${repo}:v1`, { 'app/v': '1' }, `${repo}-base:1`);
    const v2 = await makeImage(a.store, `${repo}:v2`, { 'app/v': '2' }, `${repo}-base:1`);
    const builder = storeEngine(a.store);
    const host = storeEngine(b.store);
    setPublishTarget(builder, { url: registry.url, credentials });
    setPullCredentials(host, credentials);

    let mark = registry.requests().length;
    assert.match(await publish(builder, v1), /Image published: 3 new layers, 0 already in the registry/);
    assert.equal(traffic(registry, mark).uploads, 3, 'two layers and the config');

    mark = registry.requests().length;
    await ensureJobImage(host, { id: 'j1', image: `${repo}:v1`, pullFrom: `${registry.url}/${repo}:v1` }, silentLogger);
    assert.equal((await b.store.get(`${repo}:v1`))?.digest, v1.digest, 'the host has the image, byte for byte');
    assert.equal(traffic(registry, mark).blobGets.length, 3);

    mark = registry.requests().length;
    assert.match(await publish(builder, v2), /Image published: 2 new layers, 1 already in the registry/);
    const second = traffic(registry, mark);
    assert.equal(second.uploads, 2, 'the app layer and the config; the base layer is not sent again');
    assert.ok(second.lines.includes(`HEAD /v2/${repo}/blobs/${base.layers[0]} 200`), 'the base layer was found by HEAD');

    mark = registry.requests().length;
    await ensureJobImage(host, { id: 'j2', image: `${repo}:v2`, pullFrom: `${registry.url}/${repo}:v2` }, silentLogger);
    const pulled = traffic(registry, mark).blobGets;
    assert.equal(pulled.length, 2, 'the new layer and the config');
    assert.ok(!pulled.some((d) => base.layers.includes(d)), 'the base layer is not fetched again');

    mark = registry.requests().length;
    assert.equal(await publish(builder, v1), '', 'nothing new to publish: no line');
    assert.equal(traffic(registry, mark).uploads, 0);
  } finally {
    await a.cleanup();
    await b.cleanup();
  }
}

async function rejectsWrongPassword(registry: DockerRegistry, repo: string): Promise<void> {
  const a = await tempStore();
  try {
    const image = await makeImage(a.store, `${repo}:v1`, { 'app/v': 'x' });
    const builder = storeEngine(a.store);
    setPublishTarget(builder, { url: registry.url, credentials: { username: 'alice', password: 'wrong' } });
    await assert.rejects(publish(builder, image), (err: Error) => {
      assert.match(err.message, new RegExp(`Could not publish the image to the registry at ${registry.url}`));
      assert.match(err.message, /refused the credentials of user 'alice'/);
      assert.match(err.message, /PAAS_REGISTRY_USER and PAAS_REGISTRY_TOKEN/);
      return true;
    });
    const host = storeEngine(a.store);
    setPullCredentials(host, { username: 'alice', password: 'wrong' });
    await assert.rejects(ensureJobImage(host, { id: 'j', image: `${repo}:none`, pullFrom: `${registry.url}/${repo}:v1` }, silentLogger), (err: Error) => {
      assert.match(err.message, new RegExp(`the registry at ${registry.url} refused the credentials of user 'alice'`));
      assert.match(err.message, /PAAS_REGISTRY_USER and PAAS_REGISTRY_TOKEN are its credentials/);
      return true;
    });
  } finally {
    await a.cleanup();
  }
}

describe('an external registry (docker-registry) with htpasswd basic auth', { skip }, () => {
  let dir: string;
  let registry: DockerRegistry;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-registry-basic-'));
    fs.writeFileSync(path.join(dir, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', alice.username, alice.password]));
    registry = await startDockerRegistry(path.join(dir, 'registry'), ['htpasswd:', '  realm: paas-test', `  path: ${path.join(dir, 'htpasswd')}`]);
  });

  after(async () => {
    await registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("the builder's push and a host's pull; shared layers cross once", () => publishAndPull(registry, alice, 'team/basic'));

  test('a wrong password: an error naming the registry and what to set', () => rejectsWrongPassword(registry, 'team/basic'));
});

describe('an external registry (docker-registry) with auth: token', { skip }, () => {
  let dir: string;
  let tokens: TokenServer;
  let registry: DockerRegistry;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-registry-token-'));
    tokens = await startTokenServer(path.join(dir, 'tokens'), { alice: { password: alice.password, actions: ['pull', 'push'] }, reader: { password: 'r', actions: ['pull'] } }, ['public/base']);
    registry = await startDockerRegistry(path.join(dir, 'registry'), tokens.registryAuth());
  });

  after(async () => {
    await registry?.stop();
    await tokens?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the registry wants a Bearer token from the realm', async () => {
    const res = await fetch(`${registry.url}/v2/team/app/manifests/v1`);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', new RegExp(`^Bearer realm="${tokens.realm}",service="${tokens.service}",scope="repository:team/app:pull"`));
  });

  test("the builder's push and a host's pull; shared layers cross once; one token per scope, cached", async () => {
    const before = tokens.requests.length;
    await publishAndPull(registry, alice, 'team/token');
    const fetched = tokens.requests.slice(before);
    assert.deepEqual(
      fetched.map((r) => `${r.user} ${r.scope} ${r.status}`),
      ['alice repository:team/token:pull,push 200', 'alice repository:team/token:pull 200'],
      'three publishes share one push token and two pulls one pull token',
    );
  });

  test('anonymous pulls of a public repository; private ones refused with what is missing', async () => {
    const a = await tempStore();
    const b = await tempStore();
    try {
      const image = await makeImage(a.store, 'public/base:1', { 'etc/os': 'public\n' });
      await pushImage(a.store, 'public/base:1', registry.url, 'public/base:1', alice);
      const got = await pullImage(b.store, registry.url, 'public/base:1', 'public/base:1');
      assert.equal(got.info.digest, image.digest);
      assert.ok(tokens.requests.some((r) => r.user === '-' && r.scope === 'repository:public/base:pull' && r.status === 200));
      await assert.rejects(pullImage(b.store, registry.url, 'team/token:v1', 'x:1'), {
        code: 'registry_error',
        message: new RegExp(`the registry at ${registry.url} refused a request without credentials`),
      });
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });

  test('a user the token service lets pull only cannot push: refused, naming the user', async () => {
    const a = await tempStore();
    try {
      await makeImage(a.store, 'team/token:ro', { 'app/v': 'ro' });
      await assert.rejects(pushImage(a.store, 'team/token:ro', registry.url, 'team/token:ro', { username: 'reader', password: 'r' }), {
        code: 'registry_error',
        message: /refused the credentials of user 'reader'/,
      });
    } finally {
      await a.cleanup();
    }
  });

  test('a wrong password: the token service refuses it, and the error names the registry and what to set', () => rejectsWrongPassword(registry, 'team/token'));

  test('a cached token the registry no longer accepts (new signing key, new realm) is replaced once', async () => {
    const port = Number(new URL(registry.url).port);
    await registry.stop();
    const rotated = await startTokenServer(path.join(dir, 'tokens2'), { alice: { password: alice.password, actions: ['pull', 'push'] } });
    try {
      registry = await startDockerRegistry(path.join(dir, 'registry'), rotated.registryAuth(), port);
      const b = await tempStore();
      try {
        // The pull token for team/token from the earlier test is still cached: the registry refuses it.
        const got = await pullImage(b.store, registry.url, 'team/token:v2', 'team/token:v2', alice);
        assert.equal(got.layersFetched, 2);
        assert.deepEqual(rotated.requests.map((r) => `${r.user} ${r.scope} ${r.status}`), ['alice repository:team/token:pull 200']);
        const refused = registry.requests().filter((l) => / 401$/.test(l) && !l.startsWith('GET /v2/ ')); // not the start-up probe
        assert.equal(refused.length, 1, `one request with the stale token: ${refused.join(', ')}`);
      } finally {
        await b.cleanup();
      }
    } finally {
      await rotated.close();
    }
  });

});

/** `git push paas main` without blocking this process: the token service the registry sends paas to runs in it. */
function gitPush(user: Cli, repo: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('git', ['push', 'paas', 'main'], { cwd: repo, env: user.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('close', (status) => resolve({ status, stderr }));
  });
}

describe('paas up with PAAS_REGISTRY_URL on a token-auth docker-registry: git push publishes there', { skip: skip ?? (!fs.existsSync('/usr/bin/git') && 'needs git') }, () => {
  const BRIDGE = 'paasg0';
  const CIDR = '10.103.0.1/16';
  let dir: string;
  let tokens: TokenServer;
  let registry: DockerRegistry;
  let settings: PaasSettings;
  let paas: RunningPaas;
  let user: Cli;
  let repo: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-registry-up-'));
    tokens = await startTokenServer(path.join(dir, 'tokens'), { alice: { password: alice.password, actions: ['pull', 'push'] } });
    registry = await startDockerRegistry(path.join(dir, 'registry'), tokens.registryAuth());
    settings = await newSettings({
      PAAS_BRIDGE_NAME: BRIDGE,
      PAAS_BRIDGE_CIDR: CIDR,
      // A namespace on the URL, as a GitLab project or a Docker Hub account would be.
      PAAS_REGISTRY_URL: `${registry.url}/acme`,
      PAAS_REGISTRY_USER: alice.username,
      PAAS_REGISTRY_TOKEN: alice.password,
    });
    paas = await startPaas(settings);
    user = newUser();
    loginAsAdmin(user, paas);
  });

  after(async () => {
    if (user && paas) {
      user.paas(['apps:destroy', 'shell', '--confirm', 'shell']);
      await eventually('containers to stop', async () => (fs.readdirSync(`${settings.dataDir}/engine/containers`).length === 0 ? true : undefined), 60_000).catch(() => undefined);
    }
    const code = await paas?.stop();
    await registry?.stop();
    await tokens?.close();
    await removeBridge(BRIDGE, parseCidr(CIDR)).catch(() => undefined);
    for (const d of [dir, settings?.dataDir, user?.home, repo]) if (d) fs.rmSync(d, { recursive: true, force: true });
    assert.equal(code, 0, 'paas up exits cleanly on Ctrl-C');
  });

  test('the first push publishes every layer under the namespace, with a token for that repository, and the app answers', async () => {
    repo = sampleRepo(user, 'shell-hello');
    assert.equal(user.paas(['apps:create', 'shell'], repo).status, 0);
    const push = await gitPush(user, repo);
    assert.equal(push.status, 0, push.stderr + '\n' + paas.output().slice(-4000));
    assert.match(push.stderr, /remote: {8}Image published: \d+ new layers, 0 already in the registry/);
    assert.ok(registry.requests().some((l) => /^PUT \/v2\/acme\/paas\/shell\/manifests\/\S+ 201$/.test(l)), registry.requests().join('\n'));
    assert.ok(tokens.requests.some((r) => r.user === 'alice' && r.scope === 'repository:acme/paas/shell:pull,push' && r.status === 200));
    const res = await eventually('the shell app to answer', async () => {
      const r = await request(settings.routerPort, `shell.${settings.domain}`);
      return r.status === 200 ? r : undefined;
    });
    assert.match(res.body, /Hello from shell-hello/);
  });

  test('the second push sends only what changed: the stack layer is found by HEAD', async () => {
    const mark = registry.requests().length;
    fs.appendFileSync(path.join(repo, 'Procfile'), '# changed\n');
    assert.equal(user.git(['commit', '-q', '-am', 'change'], repo).status, 0);
    const push = await gitPush(user, repo);
    assert.equal(push.status, 0, push.stderr + '\n' + paas.output().slice(-4000));
    const published = /Image published: (\d+) new layers?, (\d+) already in the registry/.exec(push.stderr);
    assert.ok(published, push.stderr);
    assert.ok(Number(published[2]) >= 1, 'at least the stack layer was already there');
    const lines = registry.requests().slice(mark);
    assert.equal(lines.filter((l) => /^PUT \/v2\/acme\/paas\/shell\/blobs\/uploads\/\S+ 201$/.test(l)).length, Number(published[1]));
    assert.ok(lines.some((l) => /^HEAD \/v2\/acme\/paas\/shell\/blobs\/sha256:\w+ 200$/.test(l)));
  });
});
