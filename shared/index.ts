/** The shared kernel: errors, config, logging, NATS helpers and the subject catalogue. */
export * from './errors';
export * from './config';
export * from './config-file';
export * from './roles';
export * from './keyed-mutex';
export * from './coalesce';
export * from './log';
export * from './nats';
export * from './subjects';
export * from './host-liveness';
export * as heroku from './heroku-output';
export * from './metrics';
export * from './attach-protocol';
