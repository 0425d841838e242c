/**
 * The engine's errors. All of them are PaasErrors with a stable code, so the daemon's
 * API and the agent's NATS replies can pass them on without guessing.
 */
import { ConflictError, InvalidInputError, NotFoundError, PaasError } from '../shared';

/** A lifecycle call that the container's current state does not allow (e.g. start a removed container). */
export class InvalidTransitionError extends ConflictError {
  constructor(
    readonly containerId: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`container ${containerId} cannot go from ${from} to ${to}`, 'invalid_transition');
  }
}

export class ContainerNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`no such container: ${id}`, 'container_not_found');
  }
}

export class ContainerExistsError extends ConflictError {
  constructor(id: string) {
    super(`a container with id ${id} already exists`, 'container_exists');
  }
}

export class ImageNotFoundError extends NotFoundError {
  constructor(ref: string) {
    super(`no such image: ${ref}`, 'image_not_found');
  }
}

/** A layer archive that tries to write outside its root (absolute paths, `..`). */
export class UnsafeArchiveError extends InvalidInputError {
  constructor(message: string) {
    super(message, 'unsafe_archive');
  }
}

/** A system tool (runc, ip, tar, …) failed; stderr is kept for the operator's log. */
export class CommandFailedError extends PaasError {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super('command_failed', `${command} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim().slice(0, 2000)}`, {
      status: 500,
    });
  }
}

/** Neither runc nor crun can run a container on this host. */
export class RuntimeUnavailableError extends PaasError {
  constructor(message: string) {
    super('runtime_unavailable', message, { status: 503, expose: true });
  }
}

/** The one-shot run was aborted by its caller's AbortSignal. */
export class RunAbortedError extends PaasError {
  constructor(id: string) {
    super('run_aborted', `container ${id} was aborted`, { status: 499, expose: true });
  }
}

/** A host port (protocol, address) that another container already publishes. */
export class PortConflictError extends ConflictError {
  constructor(
    readonly hostPort: number,
    readonly protocol: string,
    readonly holder: string,
  ) {
    super(`host port ${hostPort}/${protocol} is already published by ${holder}`, 'port_conflict');
  }
}

export class VolumeNotFoundError extends NotFoundError {
  constructor(name: string) {
    super(`no such volume: ${name}`, 'volume_not_found');
  }
}

/** removeVolume on a volume that a (running or stopped) container still mounts. */
export class VolumeInUseError extends ConflictError {
  constructor(
    readonly volume: string,
    readonly containers: string[],
  ) {
    super(`volume ${volume} is in use by ${containers.join(', ')}`, 'volume_in_use');
  }
}

/** An archive over the configured limits (files, expanded bytes): refused, nothing kept. */
export class ArchiveLimitError extends InvalidInputError {
  constructor(message: string) {
    super(message, 'archive_too_large');
  }
}

/** removeImage on an image that a container still uses (pass force to untag anyway). */
export class ImageInUseError extends ConflictError {
  constructor(ref: string, containers: string[]) {
    super(`image ${ref} is used by container(s) ${containers.join(', ')}`, 'image_in_use');
  }
}

/** Content whose sha256 is not the digest it was fetched or uploaded under. */
export class DigestMismatchError extends InvalidInputError {
  constructor(what: string, expected: string, actual: string) {
    super(`${what}: expected digest ${expected}, got ${actual}`, 'digest_mismatch');
  }
}

/** An image (or layout) in a form paas cannot use: media type, platform, schema. */
export class UnsupportedImageError extends InvalidInputError {
  constructor(message: string) {
    super(message, 'unsupported_image');
  }
}

/** A registry answered with an error (status and the registry's own error codes kept). */
export class RegistryError extends PaasError {
  constructor(
    readonly httpStatus: number,
    message: string,
  ) {
    super('registry_error', message, {
      status: httpStatus === 401 || httpStatus === 403 ? 401 : httpStatus === 404 ? 404 : 502,
      expose: true,
      retryable: httpStatus >= 500,
    });
  }
}

/** A Dockerfile that cannot be built as written: syntax, an unsupported instruction, a bad source. */
export class DockerfileError extends InvalidInputError {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line === undefined ? message : `Dockerfile line ${line}: ${message}`, 'dockerfile_invalid');
  }
}

/** A Dockerfile RUN step exited non-zero (Docker's wording, so users recognise it). */
export class BuildStepFailedError extends PaasError {
  constructor(
    readonly command: string,
    readonly exitCode: number,
    readonly line: number,
  ) {
    super('build_step_failed', `The command '${command}' returned a non-zero code: ${exitCode}`, { status: 422, expose: true });
  }
}

/** A container's writable layer uses an overlayfs feature no OCI layer can express (redirect_dir, metacopy). */
export class UncommittableLayerError extends InvalidInputError {
  constructor(message: string) {
    super(message, 'uncommittable_layer');
  }
}

/** exec, kill, attach or stats on a container that is not running. */
export class ContainerNotRunningError extends ConflictError {
  constructor(
    readonly containerId: string,
    readonly state: string,
  ) {
    super(`container ${containerId} is not running (${state})`, 'container_not_running');
  }
}

/** conmon (the per-container monitor) is missing or could not create the container. */
export class MonitorFailedError extends PaasError {
  constructor(id: string, message: string) {
    super('monitor_failed', `container ${id} could not be started: ${message}`, { status: 500 });
  }
}
