/** How a registry reference's scheme is chosen (Docker's rules, plus PAAS_REGISTRY_URL's own scheme). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namesRegistry, registryOf } from './registry-url';

test('a reference names a registry by a dot, a port or localhost in its first component, or a scheme', () => {
  assert.equal(namesRegistry('registry.example.com/app:1'), true);
  assert.equal(namesRegistry('myregistry:5000/app'), true);
  assert.equal(namesRegistry('localhost/app'), true);
  assert.equal(namesRegistry('http://myregistry/app'), true);
  assert.equal(namesRegistry('paas/stack:bookworm'), false);
  assert.equal(namesRegistry('ubuntu:22.04'), false);
});

test('without a scheme: loopback is plain HTTP, everything else HTTPS, private addresses included', () => {
  assert.equal(registryOf('127.0.0.1:5000/team/base:1').registryUrl, 'http://127.0.0.1:5000');
  assert.equal(registryOf('localhost:5000/base').registryUrl, 'http://localhost:5000');
  assert.equal(registryOf('[::1]:5000/base').registryUrl, 'http://[::1]:5000');
  assert.equal(registryOf('10.0.0.1:5002/paas/app:v1').registryUrl, 'https://10.0.0.1:5002');
  assert.deepEqual(registryOf('myregistry:5000/app'), { registryUrl: 'https://myregistry:5000', repository: 'app' });
});

test('the insecure list (host or host:port) makes plain HTTP; a configured URL lends its scheme', () => {
  const policy = { insecure: ['myregistry:5000', '10.0.0.9'], urls: ['http://registry.lan:5002', 'https://10.0.0.1:5002'] };
  assert.equal(registryOf('myregistry:5000/app', policy).registryUrl, 'http://myregistry:5000');
  assert.equal(registryOf('myregistry:5001/app', policy).registryUrl, 'https://myregistry:5001', 'another port is another registry');
  assert.equal(registryOf('10.0.0.9:7000/app', policy).registryUrl, 'http://10.0.0.9:7000', 'a host without port covers every port');
  assert.equal(registryOf('registry.lan:5002/paas/app:v2', policy).registryUrl, 'http://registry.lan:5002');
  assert.equal(registryOf('10.0.0.1:5002/paas/app:v2', policy).registryUrl, 'https://10.0.0.1:5002');
});

test('an explicit scheme wins over every rule; a path before the repository is part of it', () => {
  const policy = { insecure: ['registry.lan:5002'] };
  assert.deepEqual(registryOf('https://registry.lan:5002/paas/app:v2', policy), { registryUrl: 'https://registry.lan:5002', repository: 'paas/app:v2' });
  assert.deepEqual(registryOf('http://10.86.0.1:5002/paas/app:v2'), { registryUrl: 'http://10.86.0.1:5002', repository: 'paas/app:v2' });
  assert.deepEqual(registryOf('https://registry.gitlab.com/group/project/paas/app:v2'), {
    registryUrl: 'https://registry.gitlab.com',
    repository: 'group/project/paas/app:v2',
  });
});

test('a reference without a registry is refused with what to write instead', () => {
  assert.throws(() => registryOf('paas/stack:bookworm'), /names no registry \(use registry\.example\.com\/repo:tag\)/);
});
