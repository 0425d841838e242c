/**
 * RELIABILITY.md T13, the database half: MariaDB restarts while users keep changing
 * config. The controller (its own process, production mode on a private mariadbd that
 * the test stops and starts) must stay up, answer each call either fully applied or with
 * an error that says to retry (503, never a half-applied config), and serve again as
 * soon as the database is back, without a restart of its own.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ControllerClient } from './client';
import { PaasError } from '../shared';
import { startControllerProcess, type ControllerProcess } from '../test/helpers/controller-process';
import { startMariadbServer, type MariadbServer } from '../test/helpers/mariadb-server';
import { freePort } from '../test/helpers/ports';

const hasMariadb = fs.existsSync('/usr/sbin/mariadbd') && process.getuid?.() === 0;

describe('the controller through a restart of MariaDB (T13)', { skip: !hasMariadb && 'needs root and mariadbd' }, () => {
  let db: MariadbServer;
  let controller: ControllerProcess;
  let dataDir: string;
  let api: ControllerClient;

  before(async () => {
    db = await startMariadbServer();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-t13-'));
    controller = await startControllerProcess({ PAAS_DATA_DIR: dataDir, PAAS_API_PORT: String(await freePort()), PAAS_BIND_ADDRESS: '127.0.0.1', DATABASE_URL: db.url });
    const { token } = await new ControllerClient(controller.info.url).login('admin@paas.local', controller.info.adminPassword ?? '');
    api = new ControllerClient(controller.info.url, token);
    await api.createApp('tdb');
  });

  after(async () => {
    controller?.kill('SIGTERM');
    await controller?.exited;
    await db?.destroy();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('config:set during a restart: each call applied whole or refused with 503, and the controller serves again', async () => {
    const outcomes: { i: number; ok: boolean; status?: number; message?: string }[] = [];
    let i = 0;
    let stop = false;
    const writer = (async () => {
      while (!stop) {
        const n = i++;
        try {
          await api.setConfig('tdb', { [`A${n}`]: `a ${n}`, [`B${n}`]: `b ${n}` });
          outcomes.push({ i: n, ok: true });
        } catch (err) {
          const e = err as PaasError;
          outcomes.push({ i: n, ok: false, status: e.status, message: e.message });
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    })();
    const okCount = (): number => outcomes.filter((o) => o.ok).length;
    const waitFor = async (what: string, cond: () => boolean, ms: number): Promise<void> => {
      const deadline = Date.now() + ms;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    await waitFor('writes before the restart', () => okCount() >= 10, 30_000);
    await db.stop();
    const down = outcomes.length;
    await waitFor('refusals while the database is down', () => outcomes.length >= down + 5, 30_000);
    await db.start();
    const back = okCount();
    await waitFor('writes after the restart', () => okCount() >= back + 10, 60_000);
    stop = true;
    await writer;

    const refused = outcomes.filter((o) => !o.ok);
    assert.ok(refused.length >= 5, 'calls were refused while the database was down');
    for (const r of refused) {
      assert.equal(r.status, 503, `refused with 503, not ${r.status}: ${r.message}`);
      assert.match(r.message ?? '', /database is unavailable.*try again/i);
    }
    // Whole or nothing, per call; everything answered ok is there.
    const config = await api.config('tdb');
    for (const o of outcomes) {
      const a = config[`A${o.i}`] === `a ${o.i}`;
      const b = config[`B${o.i}`] === `b ${o.i}`;
      assert.equal(a, b, `call ${o.i} is applied whole or not at all`);
      if (o.ok) assert.ok(a, `call ${o.i} was answered ok, so it is there`);
    }
    // One release per applied change, numbered without gaps.
    const releases = await api.releases('tdb');
    const applied = outcomes.filter((o) => config[`A${o.i}`] !== undefined).length;
    assert.equal(releases.length, applied);
    assert.deepEqual(releases.map((r) => r.version).sort((x, y) => x - y), Array.from({ length: applied }, (_, k) => k + 1));
  });
});
