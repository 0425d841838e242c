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
