import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BuildpackReleaseError } from './errors';
import { mergeReleases, parseRelease } from './release';

test('parseRelease reads default_process_types and config_vars, ignoring addons', () => {
  const yaml = [
    '---',
    'addons:',
    '  - heroku-postgresql',
    'config_vars:',
    '  LANG: en_US.UTF-8',
    '  WEB_CONCURRENCY: 2',
    'default_process_types:',
    '  web: "npm start"',
    '  console: node --interactive',
  ].join('\n');
  assert.deepEqual(parseRelease(yaml, 'x'), {
    processTypes: { web: 'npm start', console: 'node --interactive' },
    configVars: { LANG: 'en_US.UTF-8', WEB_CONCURRENCY: '2' },
  });
});

test('parseRelease accepts empty output and an empty mapping', () => {
  for (const text of ['', '\n', '--- {}\n', '---\n', 'default_process_types:\n']) {
    assert.deepEqual(parseRelease(text, 'x'), { processTypes: {}, configVars: {} }, JSON.stringify(text));
  }
});

test('parseRelease rejects what it cannot trust', () => {
  const bad: [string, RegExp][] = [
    ['web: [unclosed', /printed invalid YAML/],
    ['- a\n- b\n', /must print a YAML mapping/],
    ['default_process_types: npm start', /default_process_types must be a mapping/],
    ['default_process_types:\n  "bad name": x', /invalid name "bad name"/],
    ['config_vars:\n  "A-B": x', /config_vars has an invalid name "A-B"/],
    ['default_process_types:\n  web: {a: 1}', /default_process_types.web must be a string/],
  ];
  for (const [text, message] of bad) {
    assert.throws(
      () => parseRelease(text, 'nodejs'),
      (err: unknown) => err instanceof BuildpackReleaseError && message.test(err.message) && err.message.startsWith('Buildpack nodejs: '),
      text,
    );
  }
});

test('mergeReleases: later buildpacks win key by key', () => {
  assert.deepEqual(
    mergeReleases([
      { processTypes: { web: 'a', worker: 'w' }, configVars: { X: '1', Y: '1' } },
      { processTypes: { web: 'b' }, configVars: { Y: '2' } },
    ]),
    { processTypes: { web: 'b', worker: 'w' }, configVars: { X: '1', Y: '2' } },
  );
});
