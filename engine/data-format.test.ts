import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { checkDataFormat, DATA_FORMAT, DataFormatError, openDataFormat, readDataFormat } from './data-format';

describe('data dir format', async () => {
  const base = await mkdtemp(join(tmpdir(), 'paas-data-format-'));
  after(() => rm(base, { recursive: true, force: true }));

  test('a new dir is written with this paas format when opened', async () => {
    const dir = join(base, 'new');
    assert.equal(await readDataFormat(dir), 0);
    await openDataFormat(dir);
    assert.equal((await readFile(join(dir, 'format'), 'utf8')).trim(), String(DATA_FORMAT));
    assert.equal(await checkDataFormat(dir), DATA_FORMAT);
  });

  test('a dir written by a newer paas is refused, and left as it was', async () => {
    const dir = join(base, 'newer');
    await openDataFormat(dir);
    await writeFile(join(dir, 'format'), `${DATA_FORMAT + 1}\n`);
    await assert.rejects(openDataFormat(dir), (err: unknown) => err instanceof DataFormatError && /newer than this paas reads/.test(err.message));
    assert.equal((await readFile(join(dir, 'format'), 'utf8')).trim(), String(DATA_FORMAT + 1));
  });

  test('a format file that is not a version is refused with what to do', async () => {
    const dir = join(base, 'garbled');
    await openDataFormat(dir);
    await writeFile(join(dir, 'format'), 'two');
    await assert.rejects(checkDataFormat(dir), /not a format version; restore it/);
  });
});
