/** How hosts read in `paas hosts` and `paas hosts:info`. */
import type { HostInfo } from '../controller';

/** up, down, or draining: what an operator needs to know first about a host. */
export const hostState = (h: HostInfo): string => (!h.alive ? 'down' : h.draining ? 'draining' : h.restarting ? 'restarting' : 'up');
export const gib = (bytes: number | null): string => (bytes === null ? '?' : `${Math.round(bytes / 2 ** 30)} GiB`);
