import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { holdFileLock, lockHolder, LockHeldError, parseOwner, withFileLock } from './file-lock';

describe('file locks', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'paas-file-lock-'));
  after(() => rm(dir, { recursive: true, force: true }));

  test('an owner is "pid starttime", or a bare pid from older locks', () => {
    assert.deepEqual(parseOwner('123 4567\n'), { pid: 123, started: '4567' });
    assert.deepEqual(parseOwner('123'), { pid: 123 });
    assert.equal(parseOwner(''), undefined);
    assert.equal(parseOwner('x'), undefined);
  });

  test('a held lock refuses a second holder, naming the pid, and is free again once released', async () => {
    const lock = join(dir, 'a.lock');
    const held = await holdFileLock(lock, 'the data dir /x');
    assert.equal(await lockHolder(lock), process.pid);
    await assert.rejects(holdFileLock(lock, 'the data dir /x'), (err: unknown) => {
      assert.ok(err instanceof LockHeldError);
      assert.equal(err.pid, process.pid);
      assert.match(err.message, new RegExp(`the data dir /x is in use by paas process ${process.pid}`));
      return true;
    });
    await held.release();
    assert.equal(await lockHolder(lock), undefined);
    await (await holdFileLock(lock, 'again')).release();
  });

  test('a waiting holder takes the lock when its holder lets go', async () => {
    const lock = join(dir, 'b.lock');
    const first = await holdFileLock(lock, 'b');
    const second = holdFileLock(lock, 'b', 10_000, 20);
    setTimeout(() => void first.release(), 100);
    await (await second).release();
  });

  test("a dead owner's lock, or one whose pid now names another process, is taken over", async () => {
    const child = spawn(process.execPath, ['-e', '']);
    const pid = child.pid!;
    await new Promise((r) => child.once('exit', r));
    const dead = join(dir, 'c.lock');
    await mkdir(dead);
    await writeFile(join(dead, 'pid'), String(pid));
    assert.equal(await lockHolder(dead), undefined);
    await (await holdFileLock(dead, 'c')).release();
    // This very process, but with another start time: a pid reused after the owner died.
    const reused = join(dir, 'd.lock');
    await mkdir(reused);
    await writeFile(join(reused, 'pid'), `${process.pid} 1`);
    const taken = await holdFileLock(reused, 'd');
    assert.match(await readFile(join(reused, 'pid'), 'utf8'), new RegExp(`^${process.pid} \\d+$`));
    await taken.release();
  });

  test('a lock its maker left without a pid is held for a while (being made), then taken over', async () => {
    const lock = join(dir, 'f.lock');
    await mkdir(lock);
    await assert.rejects(holdFileLock(lock, 'f'), LockHeldError);
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    await (await holdFileLock(lock, 'f')).release();
  });

  test('withFileLock runs one holder at a time', async () => {
    const lock = join(dir, 'e.lock');
    const order: string[] = [];
    const run = (name: string): Promise<void> =>
      withFileLock(lock, async () => {
        order.push(`${name} in`);
        await new Promise((r) => setTimeout(r, 50));
        order.push(`${name} out`);
      }, 10);
    await Promise.all([run('a'), run('b')]);
    assert.deepEqual(order, ['a in', 'a out', 'b in', 'b out']);
  });
});
