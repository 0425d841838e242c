/** The controller: the platform API and the only owner of the database. */
export { startController, type ControllerOptions, type RunningController } from './start';
export * from './client';
