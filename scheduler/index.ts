/** The scheduler: turns formations of current releases into jobs on live hosts. */
export { startScheduler, type SchedulerOptions, type RunningScheduler } from './reconciler';
export { plan, type Plan } from './plan';
export { CrashBackoff } from './backoff';
export { Deploys, type DeployState, type DeployTransition } from './deploys';
export { placeJobs, type HostCapacity, type PlacementRequest } from './placement';
export { SIZES, sizeLimits, isKnownSize, type SizeLimits } from './sizes';
export { startLeaderElection, type LeaderLock } from './leader';
