/** ensureJobImage with a hand-written fake engine: pull only when missing, once per image, with the host's credential. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../shared';
import { ensureJobImage, setPullCredentials } from './agent-pull';
import type { EngineApi, ImageInfo, RegistryCredentials } from './types';

function fakeEngine(has: Set<string>) {
  const pulls: { registryUrl: string; source: string; ref: string; credentials?: RegistryCredentials }[] = [];
  const engine = {
    image: async (ref: string) => (has.has(ref) ? ({ ref } as ImageInfo) : undefined),
    pull: async (registryUrl: string, source: string, ref: string, credentials?: RegistryCredentials) => {
      pulls.push({ registryUrl, source, ref, credentials });
      await new Promise((r) => setTimeout(r, 20));
      has.add(ref);
      return { ref, digest: 'sha256:x', layersFetched: 1, layersReused: 1, bytesFetched: 1 };
    },
  } as unknown as EngineApi;
  return { engine, pulls };
}

test('an image the host has is not pulled', async () => {
  const { engine, pulls } = fakeEngine(new Set(['paas/a:1']));
  await ensureJobImage(engine, { id: 'j', image: 'paas/a:1', pullFrom: '10.0.0.1:5002/paas/a:1' }, silentLogger);
  assert.equal(pulls.length, 0);
});

test('a missing image is pulled once for concurrent jobs, from the registry the job names, with the credential', async () => {
  const { engine, pulls } = fakeEngine(new Set());
  setPullCredentials(engine, { username: 'paas', password: 'secret' });
  const job = (id: string) => ({ id, image: 'paas/a:2', pullFrom: 'http://10.86.0.1:5002/paas/a:2' });
  await Promise.all([ensureJobImage(engine, job('j1'), silentLogger), ensureJobImage(engine, job('j2'), silentLogger)]);
  assert.deepEqual(pulls, [{ registryUrl: 'http://10.86.0.1:5002', source: 'paas/a:2', ref: 'paas/a:2', credentials: { username: 'paas', password: 'secret' } }]);
});

test("a job's registry without a scheme is spoken to as the host's policy says (PAAS_INSECURE_REGISTRIES)", async () => {
  const { engine, pulls } = fakeEngine(new Set());
  await ensureJobImage(engine, { id: 'j', image: 'paas/a:4', pullFrom: 'registry.lan:5002/paas/a:4' }, silentLogger);
  setPullCredentials(engine, undefined, { insecure: ['registry.lan:5002'] });
  await ensureJobImage(engine, { id: 'j', image: 'paas/a:5', pullFrom: 'registry.lan:5002/paas/a:5' }, silentLogger);
  assert.deepEqual(pulls.map((p) => p.registryUrl), ['https://registry.lan:5002', 'http://registry.lan:5002']);
});

test('a missing image and no registry: an error that says what to set', async () => {
  const { engine } = fakeEngine(new Set());
  await assert.rejects(ensureJobImage(engine, { id: 'j', image: 'paas/a:3' }, silentLogger), /PAAS_REGISTRY_URL/);
});
