/** The client of the engine's unix-socket API, for the CLI's operator commands. */
import http from 'node:http';
import { PaasError, UnavailableError } from '../shared';

export class EngineClient {
  constructor(
    private readonly socketPath: string,
    private readonly token: string,
  ) {}

  request<T>(method: string, path: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: this.socketPath, path, method, headers: { authorization: `Bearer ${this.token}` } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const data: unknown = text ? JSON.parse(text) : undefined;
          if ((res.statusCode ?? 500) >= 400) {
            const e = (data ?? {}) as { id?: string; message?: string };
            reject(new PaasError(e.id ?? 'engine_error', e.message ?? `HTTP ${res.statusCode}`, { status: res.statusCode, expose: true }));
          } else resolve(data as T);
        });
      });
      req.on('error', (err) => reject(new UnavailableError(`Cannot reach the engine at ${this.socketPath}: ${err.message}. Is paas up running on this host (as root)?`, err)));
      req.end();
    });
  }
}
