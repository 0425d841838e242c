/** What the forwarder needs of a drain's connection: send a batch, or fail. */
export interface DrainTransport {
  /**
   * Delivers one batch of octet-counted frames (in order). Resolves once the receiver
   * has it as far as the protocol can tell; rejects otherwise, and the batch is retried.
   * `frameId` is the same for a retry of the same lines (an HTTPS receiver can dedupe on it).
   */
  send(frames: Buffer[], frameId: string): Promise<void>;
  close(): void;
}

/** Extra trust for drains' TLS (PAAS_DRAINS_CA_FILE): PEM CAs added to the system's. */
export interface DrainTls {
  ca?: string[];
}

/** A batch not delivered within this is a failure (and is retried). */
export const SEND_TIMEOUT_MS = 10_000;
