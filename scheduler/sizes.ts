/**
 * Dyno sizes: the one table lives with the controller (controller/api/sizes.ts), which
 * validates the names; the scheduler reads the limits a host enforces from it.
 */
import { normalizeSize } from '../controller/api/sizes';

export { SIZES, sizeLimits, type SizeLimits } from '../controller/api/sizes';

export function isKnownSize(size: string): boolean {
  return normalizeSize(size) !== null;
}
