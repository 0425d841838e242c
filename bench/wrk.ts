/**
 * Runs wrk (Debian's package) against a URL and reads its summary: requests/s and the
 * p50/p99 latencies from `--latency`. A run with socket errors or non-2xx answers
 * throws, so a broken proxy can never pass as a fast one.
 */
import { execFile } from 'node:child_process';

export interface WrkResult {
  rps: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
}

export interface WrkOptions {
  host?: string;
  seconds?: number;
  connections?: number;
  threads?: number;
}

const toMs = (value: string, unit: string): number => Number(value) * ({ us: 0.001, ms: 1, s: 1000 }[unit] ?? NaN);

export function parseWrk(out: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const requests = /(\d+) requests in/.exec(out);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s)\s*$/m.exec(out);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(out);
  if (!rps || !requests || !p50 || !p99) throw new Error(`could not read wrk's output:\n${out}`);
  const errors = /Socket errors:.*|Non-2xx or 3xx responses:.*/.exec(out);
  if (errors) throw new Error(`wrk saw failures (${errors[0].trim()}):\n${out}`);
  return { rps: Number(rps[1]), requests: Number(requests[1]), p50Ms: toMs(p50[1], p50[2]), p99Ms: toMs(p99[1], p99[2]) };
}

/** Asynchronous on purpose: a proxy under test may run in this very process. */
export function wrk(url: string, o: WrkOptions = {}): Promise<WrkResult> {
  const args = [`-t${o.threads ?? 1}`, `-c${o.connections ?? 50}`, `-d${o.seconds ?? 5}s`, '--latency', ...(o.host ? ['-H', `Host: ${o.host}`] : []), url];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: ((o.seconds ?? 5) + 30) * 1000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`wrk failed: ${err.message} ${stderr}`));
      try {
        resolve(parseWrk(stdout));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}
