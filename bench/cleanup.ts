/**
 * What every benchmark that starts a whole paas does at its end. Containers outlive
 * `paas up` by design: an app is destroyed (and its containers waited for) before paas
 * stops, or their root filesystems stay mounted and the data dir cannot be removed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseCidr } from '../engine';
import { removeBridge } from '../engine/bridge';
import { eventually, type Cli, type PaasSettings, type RunningPaas } from '../test/helpers/paas';

export async function destroyApp(user: Cli, settings: PaasSettings, app: string): Promise<void> {
  user.paas(['apps:destroy', app, '--confirm', app]);
  await eventually('the app containers to stop', async () => (fs.readdirSync(path.join(settings.dataDir, 'engine', 'containers')).length === 0 ? true : undefined), 60_000).catch(() => undefined);
}

/** Stops paas, removes the benchmark's bridge (when it made one), its data dir and the user's home. */
export async function stopPaas(paas: RunningPaas, settings: PaasSettings, user: Cli, bridge?: { name: string; cidr: string }): Promise<void> {
  await paas.stop();
  if (bridge) await removeBridge(bridge.name, parseCidr(bridge.cidr)).catch(() => undefined);
  fs.rmSync(settings.dataDir, { recursive: true, force: true });
  fs.rmSync(user.home, { recursive: true, force: true });
}
