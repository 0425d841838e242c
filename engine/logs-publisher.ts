/**
 * onLog: every new line of every running container, pushed to listeners (the agent can
 * forward them to the platform's log stream). Tails run only while someone listens: one
 * file descriptor and one inotify watch per running container, no process.
 */
import type { Logger } from '../shared';
import type { LogEntry, LogFlow } from './types';
import type { ContainerPaths } from './container-paths';
import { LineAssembler } from './logs-format';
import { FOLLOW_BUDGET_BYTES, LogTail } from './logs-tail';

type Listener = (id: string, entry: LogEntry) => void;

export class LogPublisher {
  private readonly listeners = new Set<Listener>();
  private readonly flows = new Map<Listener, LogFlow>();
  private readonly tails = new Map<string, AbortController>();

  constructor(
    private readonly paths: ContainerPaths,
    private readonly isRunning: (id: string) => boolean,
    private readonly runningIds: () => string[],
    private readonly log: Logger,
    /** Resolves when the container stops (wakes its tail at once). */
    private readonly stopped: (id: string) => Promise<unknown> = () => new Promise(() => undefined),
  ) {}

  subscribe(listener: Listener, flow?: LogFlow): () => void {
    const first = this.listeners.size === 0;
    this.listeners.add(listener);
    if (flow) this.flows.set(listener, flow);
    if (first) for (const id of this.runningIds()) this.follow(id, 'end');
    return () => {
      this.listeners.delete(listener);
      this.flows.delete(listener);
      if (this.listeners.size === 0) this.close();
    };
  }

  /** A container just started: publish its output from its first line. */
  started(id: string): void {
    if (this.listeners.size > 0) this.follow(id, 'current');
  }

  private follow(id: string, from: 'current' | 'end'): void {
    this.tails.get(id)?.abort();
    const ac = new AbortController();
    this.tails.set(id, ac);
    void this.pump(id, from, ac).catch((err) => this.log.warn('log tail failed', { id, err }));
  }

  private full(id: string): boolean {
    for (const f of this.flows.values()) if (f.full(id)) return true;
    return false;
  }

  /** True while every listener has flow control and none accepts the container's lines. */
  private saturated(id: string): boolean {
    if (this.flows.size === 0 || this.flows.size < this.listeners.size) return false;
    for (const f of this.flows.values()) if (f.accepting(id)) return false;
    return true;
  }

  private async pump(id: string, from: 'current' | 'end', ac: AbortController): Promise<void> {
    const tail = await LogTail.open(this.paths, id, from);
    const asm = new LineAssembler();
    // The exit itself changes nothing in the log's directory: `stopped` wakes the wait at once.
    let woken = false;
    void this.stopped(id).then(() => {
      woken = true;
      tail.poke();
    });
    try {
      for (let last = false; ; ) {
        // A full listener: the lines wait in the file (conmon bounds it), not in memory.
        if (this.full(id) && !ac.signal.aborted) {
          await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        // Bounded bites, so a flooding container never holds more than one in memory.
        if (this.saturated(id)) {
          const skipped = await tail.skip(FOLLOW_BUDGET_BYTES);
          if (skipped > 0) for (const f of this.flows.values()) f.skipped(id, skipped);
          if (skipped > 0) continue;
        } else {
          const batch = await tail.read(FOLLOW_BUDGET_BYTES);
          for (const r of batch) for (const e of asm.push(r)) this.emit(id, e);
          if (batch.length > 0) continue;
        }
        // Caught up after the stop was seen: what it wrote last has been read.
        if (last || ac.signal.aborted) break;
        if (!this.isRunning(id)) {
          last = true;
          continue;
        }
        if (!woken) await tail.wait(250, ac.signal);
      }
      for (const e of asm.flush(new Date().toISOString())) this.emit(id, e);
    } finally {
      await tail.close();
      if (this.tails.get(id) === ac) this.tails.delete(id);
    }
  }

  private emit(id: string, e: LogEntry): void {
    for (const l of this.listeners) {
      try {
        l(id, e);
      } catch (err) {
        this.log.error('log listener failed', { id, err });
      }
    }
  }

  close(): void {
    for (const ac of this.tails.values()) ac.abort();
    this.tails.clear();
  }
}
