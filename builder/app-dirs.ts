/**
 * Where the builder keeps an app's files (its git repository, its build cache): under
 * the app's id, which `paas apps:rename` does not change, so they follow a rename, and
 * an app created later under a destroyed or renamed app's name never gets its files.
 * App names start with a letter, so these never meet the by-name directories of older
 * versions of paas, which are adopted (moved) the first time the app's are needed.
 */
import fs from 'node:fs';
import path from 'node:path';

/** An app as the builder's directories know it: by id on disk, by name everywhere else. */
export interface AppRef {
  id: number;
  name: string;
}

/** `<root>/<id><suffix>` (suffix: `.git` for repositories); a by-name one of old is moved there. */
export function appDir(root: string, app: AppRef, suffix = ''): string {
  const dir = path.join(root, `${app.id}${suffix}`);
  const named = path.join(root, `${app.name}${suffix}`);
  if (!fs.existsSync(dir) && fs.existsSync(named)) fs.renameSync(named, dir);
  return dir;
}
