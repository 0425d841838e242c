/**
 * Placement, pure and fast: which host runs each new job. A job goes only where its
 * memory fits; among those, to the host with the fewest jobs of the same app and
 * process type (so an app's web processes spread over hosts and one host's death costs
 * the app only its share), then the most free memory, then the host id (deterministic).
 * A job that fits nowhere is returned with a reason, never dropped: the caller reports
 * it and the next reconcile pass tries again.
 *
 * Cost: O(log hosts) per job in the usual case (see placeJobs), O(hosts) at worst;
 * bench/scheduler.ts measures it.
 */

export interface HostCapacity {
  id: string;
  /** Memory a new job may still take on this host (total − reserve − jobs' limits). */
  freeBytes: number;
}

export interface PlacementRequest {
  /** Jobs with the same key are spread across hosts (the app and process type). */
  key: string;
  memoryBytes: number;
}

export interface Placed<R extends PlacementRequest> {
  request: R;
  hostId: string;
}

export interface Unplaced<R extends PlacementRequest> {
  request: R;
  reason: string;
}

export interface PlacementResult<R extends PlacementRequest> {
  placed: Placed<R>[];
  unplaced: Unplaced<R>[];
}

/**
 * Places `requests` in order. `existing` counts the jobs each host already runs, per
 * key (key → host id → count). Hosts' free memory is not modified; the result accounts
 * for its own placements.
 *
 * The usual case is fast: a key runs on few hosts, so the best host is the one with the
 * most free memory among the hosts without a job of that key. A max-tree over free
 * memory finds it in O(log hosts) once the key's own hosts are masked out. When that
 * host does not fit (or the key is on many hosts), a linear scan decides.
 */
export function placeJobs<R extends PlacementRequest>(
  hosts: readonly HostCapacity[],
  requests: readonly R[],
  existing: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map(),
): PlacementResult<R> {
  const result: PlacementResult<R> = { placed: [], unplaced: [] };
  // Sorted by id once: a tie goes to the lower index, as the tree's leftmost maximum does.
  hosts = [...hosts].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const n = hosts.length;
  const index = new Map(hosts.map((h, i) => [h.id, i]));
  const tree = new MaxTree(hosts.map((h) => h.freeBytes));
  // Hosts that run jobs of a key (index → count): sparse, most keys sit on few hosts.
  const used = new Map<string, Map<number, number>>();
  for (const request of requests) {
    let mine = used.get(request.key);
    if (!mine) {
      mine = new Map();
      for (const [hostId, count] of existing.get(request.key) ?? []) {
        const i = index.get(hostId);
        if (i !== undefined && count > 0) mine.set(i, count);
      }
      used.set(request.key, mine);
    }
    const need = request.memoryBytes;
    let best = -1;
    if (mine.size < n && mine.size <= 64) {
      for (const i of mine.keys()) tree.mask(i);
      const top = tree.top();
      for (const i of mine.keys()) tree.unmask(i);
      if (top >= 0 && tree.free[top] >= need) best = top;
    }
    if (best < 0) best = scan(tree.free, mine, need);
    if (best < 0) {
      result.unplaced.push({ request, reason: noFitReason(hosts, tree.free, need) });
      continue;
    }
    tree.set(best, tree.free[best] - need);
    mine.set(best, (mine.get(best) ?? 0) + 1);
    result.placed.push({ request, hostId: hosts[best].id });
  }
  return result;
}

/** The exhaustive choice: fits, fewest of the key, most free, lowest index. */
function scan(free: Float64Array, mine: ReadonlyMap<number, number>, need: number): number {
  let best = -1;
  let bestCount = 0;
  let bestFree = 0;
  for (let i = 0; i < free.length; i++) {
    const f = free[i];
    if (f < need) continue;
    const c = mine.get(i) ?? 0;
    if (best < 0 || c < bestCount || (c === bestCount && f > bestFree)) {
      best = i;
      bestCount = c;
      bestFree = f;
    }
  }
  return best;
}

/** A max segment tree over hosts' free memory; its top is the leftmost maximum. */
class MaxTree {
  readonly free: Float64Array;
  private readonly size: number;
  private readonly node: Float64Array;

  constructor(values: number[]) {
    this.free = Float64Array.from(values);
    let size = 1;
    while (size < values.length) size *= 2;
    this.size = size;
    this.node = new Float64Array(2 * size).fill(Number.NEGATIVE_INFINITY);
    for (let i = 0; i < values.length; i++) this.node[size + i] = values[i];
    for (let i = size - 1; i >= 1; i--) this.node[i] = Math.max(this.node[2 * i], this.node[2 * i + 1]);
  }

  set(i: number, value: number): void {
    this.free[i] = value;
    this.write(i, value);
  }

  /** Hides a host from top() until unmask(). */
  mask(i: number): void {
    this.write(i, Number.NEGATIVE_INFINITY);
  }

  unmask(i: number): void {
    this.write(i, this.free[i]);
  }

  /** Index of the leftmost host with the most free memory, -1 when all are masked. */
  top(): number {
    if (this.node[1] === Number.NEGATIVE_INFINITY) return -1;
    let i = 1;
    while (i < this.size) i = this.node[2 * i] >= this.node[2 * i + 1] ? 2 * i : 2 * i + 1;
    return i - this.size;
  }

  private write(i: number, value: number): void {
    let p = this.size + i;
    this.node[p] = value;
    for (p >>= 1; p >= 1; p >>= 1) this.node[p] = Math.max(this.node[2 * p], this.node[2 * p + 1]);
  }
}

function noFitReason(hosts: readonly HostCapacity[], free: Float64Array, need: number): string {
  if (hosts.length === 0) return 'no live host to run it on; start a host (paas up) or undrain one (paas hosts)';
  let most = 0;
  for (const f of free) most = Math.max(most, f);
  return `no host has ${mib(need)} free (the most free is ${mib(most)} on ${hosts.length} live host${hosts.length === 1 ? '' : 's'}); add a host or choose a smaller size (paas ps:type)`;
}

const mib = (bytes: number): string => `${Math.max(0, Math.floor(bytes / (1024 * 1024)))} MiB`;

/** The trivial placement the benchmark compares against: round-robin over hosts that fit. */
export function placeRoundRobin<R extends PlacementRequest>(hosts: readonly HostCapacity[], requests: readonly R[]): PlacementResult<R> {
  const result: PlacementResult<R> = { placed: [], unplaced: [] };
  const free = hosts.map((h) => h.freeBytes);
  let next = 0;
  for (const request of requests) {
    let placed = false;
    for (let tries = 0; tries < hosts.length; tries++) {
      const i = (next + tries) % hosts.length;
      if (free[i] >= request.memoryBytes) {
        free[i] -= request.memoryBytes;
        result.placed.push({ request, hostId: hosts[i].id });
        next = i + 1;
        placed = true;
        break;
      }
    }
    if (!placed) result.unplaced.push({ request, reason: 'no host fits' });
  }
  return result;
}
