/**
 * Errors of a buildpack build. They are the app's fault (status 422, shown to the user);
 * `reported` says the runner already wrote them to the build log as ` !     ` lines, so the
 * builder must not print them a second time.
 */
import { PaasError } from '../shared/errors';

export class BuildpackError extends PaasError {
  reported = false;
  /** A second ` !     ` line telling the user what to do. */
  readonly hint?: string;

  constructor(code: string, message: string, options: { status?: number; cause?: unknown; hint?: string } = {}) {
    super(code, message, { status: options.status ?? 422, expose: true, cause: options.cause });
    this.hint = options.hint;
  }
}

export class NoBuildpackDetectedError extends BuildpackError {
  constructor() {
    super('no_buildpack_detected', 'No default language could be detected for this app.', {
      hint: 'HINT: add a package.json (Node.js) or a Procfile to the app, or list buildpacks in a .buildpacks file.',
    });
  }
}

export class CompileFailedError extends BuildpackError {
  constructor(
    readonly buildpack: string,
    readonly exitCode: number,
    detected: string,
  ) {
    super('buildpack_compile_failed', `Push rejected, failed to compile ${detected} app.`);
  }
}

export class ProcfileError extends BuildpackError {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super('invalid_procfile', `Procfile line ${line}: ${message}`);
  }
}

export class UnknownBuildpackError extends BuildpackError {
  constructor(
    readonly buildpack: string,
    available: string[],
  ) {
    super('unknown_buildpack', `Unknown buildpack "${buildpack}". Available buildpacks: ${available.join(', ')}.`);
  }
}

export class BuildpackNotCompatibleError extends BuildpackError {
  constructor(readonly buildpack: string) {
    super('buildpack_not_compatible', `App not compatible with buildpack: ${buildpack}`);
  }
}

export class BuildpackReleaseError extends BuildpackError {
  constructor(
    readonly buildpack: string,
    reason: string,
  ) {
    super('invalid_release_output', `Buildpack ${buildpack}: bin/release ${reason}`);
  }
}

/** The machinery failed (not the app): a scratch dir or a copy could not be made. */
export class BuildpackStepError extends BuildpackError {
  constructor(message: string) {
    super('buildpack_step_failed', message, { status: 500 });
  }
}

/** A third-party buildpack (git URL or path) could not be fetched, or is not a buildpack. */
export class BuildpackFetchError extends BuildpackError {
  constructor(message: string, options: { hint?: string; cause?: unknown; retryable?: boolean } = {}) {
    super('buildpack_fetch_failed', message, { hint: options.hint, cause: options.cause });
  }
}
