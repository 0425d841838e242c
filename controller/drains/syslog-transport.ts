/**
 * syslog+tls:// and syslog://: one persistent connection per drain, opened at the first
 * batch and again after any error (the next batch, after the forwarder's backoff).
 * A batch counts as delivered when every frame was written and the socket flushed it
 * (the write callback) without error: syslog has no acknowledgement, so lines the
 * receiver drops after that are lost, as with Heroku's syslog drains.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { DrainTarget } from './drain-url';
import { SEND_TIMEOUT_MS, type DrainTls, type DrainTransport } from './transport';

export class SyslogTransport implements DrainTransport {
  private socket?: net.Socket;
  /** Why the current socket is no longer usable, once it is not. */
  private broken?: Error;

  constructor(
    private readonly target: DrainTarget,
    private readonly trust: DrainTls,
  ) {}

  async send(frames: Buffer[]): Promise<void> {
    const socket = await this.connection();
    try {
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          socket.write(Buffer.concat(frames), (err) => (err ? reject(err) : this.broken ? reject(this.broken) : resolve()));
        }),
        `writing to ${this.target.host}:${this.target.port}`,
      );
    } catch (err) {
      this.drop(err as Error);
      throw err;
    }
  }

  close(): void {
    this.drop(new Error('drain closed'));
  }

  private drop(err: Error): void {
    if (!this.socket) return;
    this.broken = err;
    this.socket.destroy();
    this.socket = undefined;
  }

  private async connection(): Promise<net.Socket> {
    if (this.socket && !this.broken) return this.socket;
    this.socket = undefined;
    this.broken = undefined;
    const { host, port } = this.target;
    const socket =
      this.target.kind === 'syslog+tls'
        ? // The system's CAs plus the operator's extra bundle; SNI and the certificate check use the drain's host name.
          tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ca: this.trust.ca ? [...tls.rootCertificates, ...this.trust.ca] : undefined })
        : net.connect({ host, port });
    const connected = this.target.kind === 'syslog+tls' ? 'secureConnect' : 'connect';
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once(connected, () => resolve());
        socket.once('error', reject);
      }),
      `connecting to ${host}:${port}`,
    ).catch((err: unknown) => {
      socket.destroy();
      throw err;
    });
    socket.setKeepAlive(true, 60_000);
    // A receiver that closes or resets the connection: the next batch reconnects. Anything
    // it sends us is ignored (syslog receivers send nothing).
    const lost = (err?: Error): void => {
      if (this.socket === socket) this.broken = err ?? new Error(`${host}:${port} closed the connection`);
    };
    socket.on('error', lost);
    socket.on('end', () => lost());
    socket.on('close', () => lost());
    socket.on('data', () => undefined);
    this.socket = socket;
    return socket;
  }
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out ${what} after ${SEND_TIMEOUT_MS / 1000} s`)), SEND_TIMEOUT_MS);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
