/** The scheduler: turns formations of current releases into jobs on live hosts. */
export { startScheduler, type SchedulerOptions, type RunningScheduler } from './reconciler';
export { plan, type Plan } from './plan';
export { CrashBackoff } from './backoff';
