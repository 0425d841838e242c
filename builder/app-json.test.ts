/** app.json's health checks (Dokku's format) as paas reads them from a pushed tree. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { readAppJson } from './app-json';

describe('app.json health checks', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-appjson-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (text: string) => fs.writeFileSync(path.join(dir, 'app.json'), text);

  test('no app.json means no checks', () => {
    assert.deepEqual(readAppJson(dir), { healthchecks: {}, warnings: [] });
  });

  test("Dokku's startup check becomes a path with a timeout in ms and attempts; other checks are named as ignored", () => {
    write(
      JSON.stringify({
        name: 'shop',
        healthchecks: {
          web: [
            { type: 'startup', name: 'web check', path: '/health', attempts: 5, timeout: 2.5 },
            { type: 'startup', path: '/second' },
            { type: 'liveness', name: 'alive', path: '/alive' },
          ],
          worker: [{ type: 'startup', command: ['true'] }],
        },
      }),
    );
    const { healthchecks, warnings } = readAppJson(dir);
    assert.deepEqual(healthchecks, { web: { path: '/health', timeoutMs: 2500, attempts: 5 } });
    assert.equal(warnings.length, 3);
    assert.match(warnings.join('\n'), /uses the first \(\/health\)/);
    assert.match(warnings.join('\n'), /liveness check alive of web is ignored/);
    assert.match(warnings.join('\n'), /startup check of worker is ignored/);
  });

  test('a check without a type is a startup check', () => {
    write('{"healthchecks": {"web": [{"path": "/ready"}]}}');
    assert.deepEqual(readAppJson(dir).healthchecks, { web: { path: '/ready' } });
  });

  test('bad JSON, a malformed check or a relative path fail the push with the file named and what to do', () => {
    write('{"healthchecks": ');
    assert.throws(() => readAppJson(dir), { message: /^app\.json is not valid JSON \(.+\)\. Fix app\.json and push again\.$/ });
    write('{"healthchecks": {"web": {"path": "/x"}}}');
    assert.throws(() => readAppJson(dir), { message: /app\.json has invalid health checks \(healthchecks\.web: .+\)/ });
    write('{"healthchecks": {"web": [{"path": "/x", "attempts": -1}]}}');
    assert.throws(() => readAppJson(dir), { message: /healthchecks\.web\.0\.attempts/ });
    write('{"healthchecks": {"web": [{"path": "health"}]}}');
    assert.throws(() => readAppJson(dir), { message: /must start with \/ \(got "health"\)/ });
  });
});
