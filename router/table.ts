/**
 * The route table: exact host name → the app's live web backends. Lookups never match
 * a prefix or a suffix; `evil-hello.example.com` is not `hello.example.com`.
 */
import type { Route } from '../controller';

export interface Backend {
  id: string;
  ip: string;
  port: number;
  /** web.1: the name router log lines give the backend (absent from an older controller). */
  dyno?: string;
}

export interface RouteEntry {
  app: string;
  backends: Backend[];
  /** Round-robin cursor. */
  next: number;
}

export class RouteTable {
  private readonly byHost = new Map<string, RouteEntry>();
  private readonly hostsOfApp = new Map<string, string[]>();

  /** Replaces everything the table knows about one app. */
  set(route: Route): void {
    this.remove(route.app);
    const entry: RouteEntry = { app: route.app, backends: route.backends, next: 0 };
    const hosts = route.domains.map((d) => d.toLowerCase());
    for (const h of hosts) this.byHost.set(h, entry);
    this.hostsOfApp.set(route.app, hosts);
  }

  remove(app: string): void {
    for (const h of this.hostsOfApp.get(app) ?? []) this.byHost.delete(h);
    this.hostsOfApp.delete(app);
  }

  /** Replaces the whole table (a full reload from the controller). */
  replace(routes: Route[]): void {
    for (const app of [...this.hostsOfApp.keys()]) this.remove(app);
    for (const r of routes) this.set(r);
  }

  /** The exact name first, then a wildcard one level up (`*.example.com` for `a.example.com`). */
  lookup(hostHeader: string | undefined): RouteEntry | undefined {
    if (!hostHeader) return undefined;
    const host = normalizeHost(hostHeader);
    const exact = this.byHost.get(host);
    if (exact) return exact;
    const dot = host.indexOf('.');
    return dot > 0 ? this.byHost.get(`*${host.slice(dot)}`) : undefined;
  }

  /** The app's current entry (entries are replaced when its routes change). */
  entryOf(app: string): RouteEntry | undefined {
    const host = this.hostsOfApp.get(app)?.[0];
    return host === undefined ? undefined : this.byHost.get(host);
  }

  pick(entry: RouteEntry): Backend | undefined {
    if (entry.backends.length === 0) return undefined;
    const b = entry.backends[entry.next % entry.backends.length];
    entry.next = (entry.next + 1) % entry.backends.length;
    return b;
  }

  get size(): number {
    return this.hostsOfApp.size;
  }
}

/** Lowercase, without the port and a trailing dot. */
export function normalizeHost(host: string): string {
  const h = host.trim().toLowerCase();
  const withoutPort = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.replace(/:\d+$/, '');
  return withoutPort.replace(/\.$/, '');
}
