/**
 * The container's root filesystem: the image's layers (read-only, shared) stacked
 * under a per-container writable layer with overlayfs (copy on write).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { exec, execRaw } from './exec';

export interface OverlayDirs {
  /** Unpacked image layers, top layer first. */
  lower: string[];
  upper: string;
  work: string;
  target: string;
}

export async function isMounted(target: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[1] === target);
}

export async function mountOverlay(d: OverlayDirs): Promise<void> {
  for (const dir of [d.upper, d.work, d.target]) await mkdir(dir, { recursive: true });
  if (await isMounted(d.target)) return;
  const options = `lowerdir=${d.lower.join(':')},upperdir=${d.upper},workdir=${d.work}`;
  await exec('mount', ['-t', 'overlay', 'overlay', '-o', options, d.target]);
}

/** Unmounts (lazily if busy); not mounted is fine. */
export async function unmountOverlay(target: string): Promise<void> {
  if (!(await isMounted(target))) return;
  const r = await execRaw('umount', [target]);
  if (r.code !== 0) await exec('umount', ['--lazy', target]);
}
