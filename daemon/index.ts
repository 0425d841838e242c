/** paasd: everything one host runs, composed. */
export { startPlatform, type Platform } from './platform';
