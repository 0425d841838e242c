import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBuildpacksFile, resolveBuildpacks } from './buildpacks-file';
import { ProcfileError, UnknownBuildpackError } from './errors';
import { parseProcfile } from './procfile';

test('parseProcfile reads name: command lines, skipping blanks and comments', () => {
  const text = '\uFEFF# processes\r\nweb: node server.js --port $PORT\r\n\n  worker:bundle exec sidekiq -q a:b  \nrelease_1-x: ./bin/migrate && echo ok\n';
  assert.deepEqual(parseProcfile(text), {
    web: 'node server.js --port $PORT',
    worker: 'bundle exec sidekiq -q a:b',
    'release_1-x': './bin/migrate && echo ok',
  });
  assert.deepEqual(parseProcfile(''), {});
  assert.deepEqual(Object.keys(parseProcfile('b: 1\na: 2\n')), ['b', 'a'], 'file order is kept');
});

test('parseProcfile rejects broken lines with the line number', () => {
  const cases: [string, number, RegExp][] = [
    ['web: ok\nno colon here\n', 2, /expected "name: command", got "no colon here"/],
    ['we b: x\n', 1, /process type "we b" may only contain letters, digits, dashes and underscores/],
    ['web.1: x\n', 1, /may only contain/],
    [': x\n', 1, /may only contain/],
    ['\n\nweb:   \n', 3, /process type "web" has no command/],
    ['web: a\nworker: b\nweb: c\n', 3, /"web" is declared twice \(first on line 1\)/],
    ['web: a\u0000b\n', 1, /control characters/],
  ];
  for (const [text, line, message] of cases) {
    assert.throws(
      () => parseProcfile(text),
      (err: unknown) => err instanceof ProcfileError && err.line === line && message.test(err.message) && err.code === 'invalid_procfile',
      JSON.stringify(text),
    );
  }
  assert.throws(() => parseProcfile('nope'), { message: 'Procfile line 1: expected "name: command", got "nope"' });
});

test('.buildpacks entries resolve by name, with heroku/ and paas/ prefixes', () => {
  const available = [
    { name: 'nodejs', dir: '/bp/nodejs' },
    { name: 'procfile', dir: '/bp/procfile' },
  ];
  const names = parseBuildpacksFile('# mine\nheroku/nodejs\n\n  procfile  \npaas/nodejs\r\n');
  assert.deepEqual(names, ['heroku/nodejs', 'procfile', 'paas/nodejs']);
  assert.deepEqual(resolveBuildpacks(names, available).map((bp) => bp.dir), ['/bp/nodejs', '/bp/procfile', '/bp/nodejs']);
  assert.throws(() => resolveBuildpacks(['ruby'], available), UnknownBuildpackError);
});
