/** The shapes the buildpack runner shares with its caller (the builder). */
import type { Writable } from 'node:stream';

export interface ExecOptions {
  /** Extra environment for the step, merged by the executor over the stack's own environment. */
  env?: Record<string, string>;
  stdout?: Writable;
  stderr?: Writable;
}

/**
 * Runs one step where the build happens. In production that is inside the build container
 * of the stack (as uid 1000); in tests it is the host. Every path the runner passes is a
 * path as the executor sees it.
 */
export interface BuildpackExecutor {
  /** Runs argv where the build happens (inside the build container); returns the exit code. */
  exec(argv: string[], options: ExecOptions): Promise<number>;
}

/** A buildpack: its name (`nodejs`) and its directory as the executor sees it. */
export interface BuildpackRef {
  name: string;
  dir: string;
  /** For a third-party buildpack: where it came from (git URL without credentials, `#ref`, or path). */
  source?: string;
  /** For a buildpack fetched with git: the commit that runs. */
  version?: string;
}

/**
 * Makes a third-party buildpack available to the build: `reference` is a `https://` or `git://`
 * URL (optionally `#branch-tag-or-sha`), a `file://` URL or an absolute path on the host. Returns
 * the buildpack as the executor sees it. Throws BuildpackFetchError when it cannot.
 */
export type FetchBuildpack = (reference: string) => Promise<BuildpackRef>;

export interface RunBuildpacksOptions {
  executor: BuildpackExecutor;
  /** The app's source, writable; compiled in place (the builder then copies it to /app). */
  buildDir: string;
  /** Kept between builds of the same app. */
  cacheDir: string;
  /** One file per config var: file name = key, content = value verbatim. */
  envDir: string;
  /** Buildpacks available, in detection order. Default: shippedBuildpacks() (host paths). */
  buildpacks?: BuildpackRef[];
  /** Explicit buildpack names to run in order (e.g. the app's buildpack setting); beats `.buildpacks`. */
  use?: string[];
  /**
   * A writable scratch dir (executor side) where the chosen buildpacks are copied so that each
   * can write its `export` file next to its bin/. Default: a fresh `mktemp -d`, removed afterwards.
   */
  workDir?: string;
  /** Receives the build log in Heroku's grammar. Never ended by the runner. */
  output: Writable;
  /** Extra environment for every step (NPM_CONFIG_REGISTRY, STACK, SOURCE_VERSION...). */
  env?: Record<string, string>;
  /**
   * Called for each URL or absolute path in `use` or `.buildpacks` (e.g. createBuildpackFetcher
   * wrapped by the builder so the result is mounted into the build). Without it such entries are
   * refused. `./dir` entries (a buildpack inside the app) need no fetching.
   */
  fetchBuildpack?: FetchBuildpack;
}

export interface UsedBuildpack {
  /** The buildpack's name (`nodejs`). */
  name: string;
  /** What its bin/detect printed (`Node.js`). */
  detected: string;
  /** Third-party buildpacks: the URL (without credentials) or path, and the git commit. */
  source?: string;
  version?: string;
}

export interface BuildResult {
  buildpacks: UsedBuildpack[];
  /** bin/release default_process_types, overridden type by type by the Procfile. */
  processTypes: Record<string, string>;
  /** bin/release config_vars (Heroku applies these only where the app has not set the key). */
  configVars: Record<string, string>;
}
