import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildpackNameOf, parseBuildpacksFile, redact, resolveBuildpacks } from './buildpacks-file';
import { BuildpackFetchError, ProcfileError, UnknownBuildpackError } from './errors';
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

test('.buildpacks entries resolve by name, with heroku/ and paas/ prefixes', async () => {
  const available = [
    { name: 'nodejs', dir: '/bp/nodejs' },
    { name: 'procfile', dir: '/bp/procfile' },
  ];
  const names = parseBuildpacksFile('# mine\nheroku/nodejs\n\n  procfile  \npaas/nodejs\r\n');
  assert.deepEqual(names, ['heroku/nodejs', 'procfile', 'paas/nodejs']);
  const context = { buildDir: '/tmp/build' };
  assert.deepEqual((await resolveBuildpacks(names, available, context)).map((bp) => bp.dir), ['/bp/nodejs', '/bp/procfile', '/bp/nodejs']);
  await assert.rejects(resolveBuildpacks(['ruby'], available, context), UnknownBuildpackError);
});

test('.buildpacks URLs and paths go to the fetch hook; ./dir is a buildpack inside the app', async () => {
  const fetched: string[] = [];
  const context = {
    buildDir: '/tmp/build',
    fetchBuildpack: async (reference: string) => {
      fetched.push(reference);
      return { name: 'x', dir: `/fetched/${fetched.length}` };
    },
  };
  const refs = await resolveBuildpacks(['https://example.com/a/heroku-buildpack-x.git#v2', '/srv/buildpacks/y', './buildpacks/assets'], [], context);
  assert.deepEqual(fetched, ['https://example.com/a/heroku-buildpack-x.git#v2', '/srv/buildpacks/y']);
  assert.deepEqual(refs[2], { name: 'assets', dir: '/tmp/build/buildpacks/assets', source: './buildpacks/assets' });
  await assert.rejects(resolveBuildpacks(['./../../etc'], [], context), BuildpackFetchError);
  await assert.rejects(resolveBuildpacks(['https://u:token@example.com/x.git'], [], { buildDir: '/b' }), (err: Error) => {
    assert.ok(err instanceof BuildpackFetchError);
    assert.equal(err.message, 'Buildpack https://example.com/x.git cannot be used: this paas runs only the buildpacks it ships.');
    return true;
  });
  assert.equal(buildpackNameOf('https://github.com/heroku/heroku-buildpack-static.git#main'), 'heroku-buildpack-static');
  assert.equal(redact('https://user:secret@host/x.git'), 'https://host/x.git');
});
