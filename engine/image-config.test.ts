import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeEnv, mergeImageConfig, parseUser } from './image-config';

test('env lists merge by key, later wins', () => {
  assert.deepEqual(mergeEnv(['PATH=/bin', 'A=1'], ['A=2', 'B=x=y']), ['PATH=/bin', 'A=2', 'B=x=y']);
});

test('commit config merges over the base', () => {
  const m = mergeImageConfig({ Env: ['A=1'], User: '1000:1000', Labels: { a: '1' } }, { Env: ['B=2'], Cmd: ['web'], Labels: { b: '2' } });
  assert.deepEqual(m, { Env: ['A=1', 'B=2'], User: '1000:1000', Cmd: ['web'], Labels: { a: '1', b: '2' } });
});

test('numeric users only', () => {
  assert.deepEqual(parseUser('1000:1000'), { uid: 1000, gid: 1000 });
  assert.deepEqual(parseUser('33'), { uid: 33, gid: 33 });
  assert.equal(parseUser('paas'), undefined);
  assert.equal(parseUser(undefined), undefined);
});
