/**
 * Test support for the integration tests (not a test file itself): an engine on a
 * throw-away data dir with its own bridge, and a cleanup that removes everything the
 * test made (containers, mounts, netns, veths, bridge, data dir) even after a failure.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import http from 'node:http';
import { silentLogger, type Logger } from '../shared';
import type { EngineApi, EngineOptions } from './types';
import { openEngine } from './engine';
import { removeBridge } from './bridge';
import { parseCidr } from './cidr';
import { execRaw } from './exec';
import { netNames } from './netns';
import { shortName } from './container-paths';

/** Why integration tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'integration tests need root (namespaces, mounts, cgroups, iptables)';
  return undefined;
}

export interface TestEngineSetup {
  options: EngineOptions;
  open(log?: Logger): Promise<EngineApi>;
  cleanup(): Promise<void>;
}

/** A fresh data dir; `bridge`/`cidr` must be distinct per test file (files run in parallel). */
export async function testEngine(bridge: string, cidr: string, extra: Partial<EngineOptions> = {}): Promise<TestEngineSetup> {
  const dataDir = await mkdtemp(join(tmpdir(), 'paas-engine-test-'));
  const options: EngineOptions = {
    dataDir,
    runtime: 'auto',
    bridgeName: bridge,
    bridgeCidr: cidr,
    debianMirror: process.env.PAAS_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian',
    ...extra,
  };
  const opened: EngineApi[] = [];
  return {
    options,
    async open(log = silentLogger) {
      const e = await openEngine(options, log);
      opened.push(e);
      return e;
    },
    async cleanup() {
      for (const e of opened) {
        for (const c of await e.list().catch(() => [])) await e.remove(c.id).catch(() => undefined);
        await e.close();
      }
      // Belt and braces, in case the engine itself failed half-way.
      const containers = join(dataDir, 'containers');
      for (const id of await readdir(containers).catch(() => [] as string[])) {
        await execRaw('runc', ['--root', join(dataDir, 'runtime'), 'delete', '--force', id]);
        await execRaw('crun', ['--root', join(dataDir, 'runtime'), 'delete', '--force', id]);
        const n = netNames(shortName(containers, id));
        await execRaw('ip', ['link', 'del', n.hostVeth]);
        await execRaw('ip', ['netns', 'del', n.netns]);
      }
      const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').map((l) => l.split(' ')[1] ?? '');
      for (const m of mounts.filter((p) => p.startsWith(dataDir)).reverse()) await execRaw('umount', ['--lazy', m]);
      await rm(dataDir, { recursive: true, force: true });
      await removeBridge(bridge, parseCidr(cidr));
    },
  };
}

/** GET a URL without keep-alive (a pooled socket would keep the test process alive). */
export function httpGet(url: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout fetching ${url}`)));
    req.on('error', reject);
  });
}

/** Collects a stream's output as a string (for RunOptions.output). */
export function collector(): { stream: Writable; text(): string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => out };
}
