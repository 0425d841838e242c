/**
 * The engine's one public entry: open an engine on a data dir, and run the host agent
 * that exposes it on NATS. Everything else in engine/ is private.
 */
export { openEngine, DEFAULT_CACHE_DIR } from './engine';
export { startAgent, type AgentOptions, type AgentHandle } from './agent';
export { STACK_REF } from './stack';
export { startRegistry, type RegistryOptions, type RegistryHandle, type RegistryStats } from './registry-server';
export * from './types';
export * from './errors';
export { startEngineApi, engineSocketPath, engineToken, type EngineApiServer } from './api-server';
export { EngineClient } from './api-client';
export { parseCidr, type Cidr } from './cidr';
export type { IsolationPeers } from './isolation';
export { ensureJobImage, setPullCredentials } from './agent-pull';
export type { RegistryPolicy } from './registry-url';
export { holdFileLock, lockHolder, LockHeldError } from './file-lock';
export { checkDataFormat, openDataFormat, DATA_FORMAT, DataFormatError } from './data-format';
