/** paasd: the roles of one node, composed. */
export { startPlatform, type Platform } from './platform';
export { startNode, type RunningNode } from './node';
export { roleProblems } from './node-requirements';
