/**
 * oclif's command manifest (oclif.manifest.json at the package root), kept fresh.
 *
 * Without it oclif requires every command module to learn the commands' ids and flags,
 * and some commands (`paas up`, `host`, `node`) import the whole platform: controller,
 * Sequelize, engine. Every `paas apps` paid about a second for modules it never used.
 * With the manifest, oclif loads only the command that runs.
 *
 * A manifest older than the compiled commands would hide a new command or show old
 * flags, so it is rewritten whenever a command module (or package.json) is newer. Where
 * the package root is not writable (an installed paas run by a user), a stale manifest is
 * left alone: the build (`npm run build`, scripts/install.sh) writes a fresh one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Plugin } from '@oclif/core';

export const MANIFEST_FILE = 'oclif.manifest.json';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** True when the manifest exists and no command module or package.json is newer. */
export function manifestIsFresh(root: string): boolean {
  const manifest = fs.statSync(path.join(root, MANIFEST_FILE), { throwIfNoEntry: false });
  if (!manifest) return false;
  const commands = path.join(root, 'dist', 'cli', 'commands');
  const newest = Math.max(fs.statSync(path.join(root, 'package.json')).mtimeMs, fs.existsSync(commands) ? newestMtime(commands) : 0);
  return manifest.mtimeMs >= newest;
}

/** Loads every command (the slow way, once) and writes what oclif caches of them. */
export async function writeManifest(root: string): Promise<void> {
  const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
  await plugin.load();
  const file = path.join(root, MANIFEST_FILE);
  // Whole or not at all: a CLI starting meanwhile must never read half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(plugin.manifest, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/** Rewrites a missing or stale manifest when it can; never fails the command that runs. */
export async function ensureManifest(root: string): Promise<void> {
  try {
    if (manifestIsFresh(root)) return;
    fs.accessSync(root, fs.constants.W_OK);
    await writeManifest(root);
  } catch {
    // Not writable, or a command that does not load: oclif reports the latter itself.
  }
}

if (require.main === module) {
  writeManifest(path.resolve(__dirname, '..', '..')).catch((err: unknown) => {
    console.error(`could not write ${MANIFEST_FILE}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
