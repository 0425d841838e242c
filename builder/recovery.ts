/**
 * T11: what a builder killed mid-build left behind, cleaned up at the next start, before
 * any push is accepted. Its pending builds become failed with a line in their log, its
 * workspaces are removed, and its build containers (labelled paas.build; they outlive
 * the daemon like every container) are stopped and removed. Build locks are in memory,
 * so they are free at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ControllerClient } from '../controller';
import type { EngineApi } from '../engine';
import { errorMessage, heroku, type Logger } from '../shared';
import { takeSpooledLogs } from './build-log';

export const INTERRUPTED_LINE = 'The builder stopped during this build (paas was restarted or crashed), so it failed. Push again to build.';

export async function recoverInterruptedBuilds(o: { client: ControllerClient; engine: EngineApi; buildsDir: string; logsDir: string; log: Logger }): Promise<void> {
  const failed = await o.client.interruptBuilds(heroku.error(INTERRUPTED_LINE), takeSpooledLogs(o.logsDir));
  if (failed.length) o.log.warn('marked interrupted builds failed', { builds: failed.map((b) => b.id) });

  for (const c of await o.engine.list()) {
    if (!c.labels['paas.build']) continue;
    try {
      if (c.state === 'running') await o.engine.stop(c.id, 0);
      await o.engine.remove(c.id);
    } catch (err) {
      o.log.warn('could not remove a leftover build container', { id: c.id, err: errorMessage(err) });
    }
  }

  if (fs.existsSync(o.buildsDir)) {
    for (const entry of fs.readdirSync(o.buildsDir)) fs.rmSync(path.join(o.buildsDir, entry), { recursive: true, force: true });
  }
}
