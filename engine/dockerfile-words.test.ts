import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expandWord, expandWords, keyValues, splitRawWords } from './dockerfile-words';
import { DockerfileError } from './errors';

const vars = new Map([
  ['NAME', 'paas'],
  ['EMPTY', ''],
  ['SPACED', 'a b'],
]);

describe('Dockerfile words', () => {
  test('substitutes $VAR, ${VAR} and the :- :+ - + forms', () => {
    assert.equal(expandWord('/home/$NAME/${NAME}x', vars), '/home/paas/paasx');
    assert.equal(expandWord('${MISSING:-dflt} ${EMPTY:-e} ${EMPTY-e} ${NAME:+set} ${MISSING:+set}', vars), 'dflt e  set ');
    assert.equal(expandWord('${MISSING:-${NAME}-x}', vars), 'paas-x');
    assert.equal(expandWord('cost: $5 and $', vars), 'cost: $5 and $');
    assert.throws(() => expandWord('${MISSING:?must be set}', vars), /must be set/);
  });

  test('quotes and escapes: single quotes are literal, double quotes substitute', () => {
    assert.equal(expandWord(`'$NAME' "$NAME" \\$NAME "a\\"b" "c\\d"`, vars), '$NAME paas $NAME a"b c\\d');
    assert.throws(() => expandWord('"open', vars), DockerfileError);
  });

  test('splits on unquoted whitespace only, before substitution', () => {
    assert.deepEqual(splitRawWords('a "b c"  d\\ e \'f g\''), ['a', '"b c"', 'd\\ e', "'f g'"]);
    assert.deepEqual(expandWords('$SPACED "x y" z', vars), ['a b', 'x y', 'z']);
  });

  test('key=value pairs and the legacy ENV form', () => {
    assert.deepEqual(keyValues('A=1 B="two words" C=$NAME D', vars, '\\', false), [
      ['A', '1'],
      ['B', 'two words'],
      ['C', 'paas'],
      ['D', undefined],
    ]);
    assert.deepEqual(keyValues('GREETING hello  $NAME', vars, '\\', true), [['GREETING', 'hello  paas']]);
    assert.throws(() => keyValues('LONELY', vars, '\\', true), /needs a value/);
  });
});
