/**
 * RELIABILITY.md T9: the controller killed with SIGKILL at each crash point, many times,
 * while config changes stream in; after every restart the releases must still be
 * numbered 1..N without gaps or duplicates, each release's config must be exactly its
 * parent's plus the one key it set, every acknowledged write must be there, exactly one
 * release is current, and every release's event reaches NATS (at least once).
 * Runs on SQLite and on the machine's MariaDB, against a real nats-server.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import { startEmbeddedNats, type EmbeddedNats } from '../daemon/nats-server';
import { silentLogger, subjects } from '../shared';
import { freePort } from '../test/helpers/ports';
import { startControllerProcess as startProcess } from '../test/helpers/controller-process';
import { createTestDatabase, type TestDatabase } from '../test/helpers/mariadb';
import { ControllerClient } from './client';
import type { CrashPoint } from './crash-points';

const POINTS: CrashPoint[] = ['release.locked', 'release.inserted', 'release.before-commit', 'release.committed', 'outbox.published', 'outbox.marked'];
const RUNS = Number(process.env.PAAS_CRASH_RUNS ?? 20);

for (const dialect of ['sqlite', 'mariadb'] as const) {
  describe(`controller killed at every crash point (${dialect})`, () => {
    let dataDir: string;
    let db: TestDatabase | undefined;
    let nats: EmbeddedNats;
    let nc: NatsConnection;
    let env: Record<string, string>;
    let token: string;
    const published = new Set<number>();

    before(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-crash-'));
      if (dialect === 'mariadb') db = await createTestDatabase();
      nats = await startEmbeddedNats(dataDir, await freePort(), silentLogger);
      nc = await connect({ servers: nats.url });
      const sub = nc.subscribe(subjects.releaseCreated.name);
      void (async () => {
        for await (const m of sub) published.add((JSON.parse(new TextDecoder().decode(m.data)) as { version: number }).version);
      })();
      env = { PAAS_DATA_DIR: dataDir, PAAS_API_PORT: String(await freePort()), PAAS_BIND_ADDRESS: '127.0.0.1', NATS_URL: nats.url, ...(db ? { DATABASE_URL: db.url } : {}) };
      const first = await startProcess(env);
      const { token: t } = await new ControllerClient(first.info.url).login('admin@paas.local', first.info.adminPassword ?? '');
      token = t;
      await new ControllerClient(first.info.url, token).createApp('crashy');
      first.kill();
      await first.exited;
    });

    after(async () => {
      await nc?.close();
      await nats?.stop();
      await db?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    test(`${POINTS.length} crash points × ${RUNS} runs keep releases and configs intact`, async () => {
      const acknowledged = new Set<string>();
      let n = 0;
      for (const point of POINTS) {
        for (let run = 0; run < RUNS; run++) {
          const proc = await startProcess({ ...env, PAAS_CRASH_AT: point, PAAS_CRASH_AFTER: String(1 + (run % 3)) });
          const client = new ControllerClient(proc.info.url, token);
          let alive = true;
          void proc.exited.then(() => (alive = false));
          // Two writers at a time until the process dies (outbox points die on relay).
          for (let i = 0; alive && i < 30; i++) {
            const keys = [`K${n++}`, `K${n++}`];
            await Promise.all(keys.map((k) => client.setConfig('crashy', { [k]: String(n) }).then(() => acknowledged.add(k), () => undefined)));
          }
          proc.kill();
          await proc.exited;
        }
      }

      const final = await startProcess(env);
      const client = new ControllerClient(final.info.url, token);
      try {
        const releases = (await client.releases('crashy')).sort((a, b) => a.version - b.version);
        const versions = releases.map((r) => r.version);
        assert.deepEqual(versions, Array.from({ length: versions.length }, (_, i) => i + 1), 'versions are 1..N, unique, without gaps');
        assert.deepEqual(releases.filter((r) => r.current).map((r) => r.version), [versions.length], 'exactly one current release: the last');
        let parent: Record<string, string> = {};
        for (const r of releases) {
          const config = await client.releaseConfig('crashy', r.version);
          const key = /^Set (K\d+) config vars$/.exec(r.description)?.[1];
          assert.ok(key, r.description);
          assert.deepEqual(config, { ...parent, [key]: config[key] }, `v${r.version} is its parent plus ${key}`);
          parent = config;
        }
        const finalConfig = await client.config('crashy');
        assert.deepEqual(finalConfig, parent);
        for (const k of acknowledged) assert.ok(k in finalConfig, `acknowledged write ${k} survived`);
        const deadline = Date.now() + 10_000;
        while (published.size < versions.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual([...published].sort((a, b) => a - b), versions, 'every release was announced on NATS');
      } finally {
        final.kill();
        await final.exited;
      }
    });
  });
}
