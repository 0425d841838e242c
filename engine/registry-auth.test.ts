/** The token flow's pure parts: WWW-Authenticate challenges, scopes, the repository a path is about. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWwwAuthenticate, repositoryOfPath, repositoryScope } from './registry-auth';

test('a Bearer challenge as distribution and Docker Hub send it: quoted values keep their commas', () => {
  assert.deepEqual(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push' } },
  ]);
});

test('Basic challenges, spaces around separators, unquoted values and escapes', () => {
  assert.deepEqual(parseWwwAuthenticate('Basic realm="paas registry"'), [{ scheme: 'basic', params: { realm: 'paas registry' } }]);
  assert.deepEqual(parseWwwAuthenticate('BEARER  realm = "http://a/t" , service=reg , error="invalid_token"'), [
    { scheme: 'bearer', params: { realm: 'http://a/t', service: 'reg', error: 'invalid_token' } },
  ]);
  assert.deepEqual(parseWwwAuthenticate('Bearer realm="say \\"hi\\""'), [{ scheme: 'bearer', params: { realm: 'say "hi"' } }]);
});

test('several challenges in one header; nothing or garbage gives what could be read', () => {
  assert.deepEqual(parseWwwAuthenticate('Basic realm="r1", Bearer realm="http://t/token",service="s"'), [
    { scheme: 'basic', params: { realm: 'r1' } },
    { scheme: 'bearer', params: { realm: 'http://t/token', service: 's' } },
  ]);
  assert.deepEqual(parseWwwAuthenticate(''), []);
  assert.deepEqual(parseWwwAuthenticate('Bearer "stray'), [{ scheme: 'bearer', params: {} }]);
});

test('scopes: one repository, its actions once each', () => {
  assert.equal(repositoryScope('team/app', ['pull']), 'repository:team/app:pull');
  assert.equal(repositoryScope('team/app', ['pull', 'push', 'pull']), 'repository:team/app:pull,push');
});

test('the repository a /v2/ path is about (names with slashes too); none for the ping', () => {
  assert.equal(repositoryOfPath('/v2/team/app/blobs/sha256:abc'), 'team/app');
  assert.equal(repositoryOfPath('/v2/group/project/paas/app/manifests/v3'), 'group/project/paas/app');
  assert.equal(repositoryOfPath('/v2/app/blobs/uploads/0b1c-uuid'), 'app');
  assert.equal(repositoryOfPath('/v2/team/app/tags/list'), 'team/app');
  assert.equal(repositoryOfPath('/v2/'), undefined);
});
