/** The buildpack runner: the classic Heroku buildpack contract plus the buildpacks paas ships. */
export { runBuildpacks } from './runner';
export { shippedBuildpacks, SHIPPED_BUILDPACKS } from './shipped';
export { parseProcfile } from './procfile';
export { launchCommand } from './launch';
export { createHostExecutor } from './host-executor';
export { createBuildpackFetcher, type BuildpackFetcherOptions } from './fetch';
export * from './errors';
export type {
  BuildpackExecutor,
  BuildpackRef,
  BuildResult,
  ExecOptions,
  FetchBuildpack,
  RunBuildpacksOptions,
  UsedBuildpack,
} from './types';
