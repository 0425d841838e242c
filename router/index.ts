/** The router: the HTTP edge that serves every app by its host name. */
export { startRouter, type RouterOptions, type RunningRouter } from './start';
export { RouteTable, normalizeHost } from './table';
