/**
 * Log drain receivers for tests, on 127.0.0.1: a syslog listener (TLS or plain TCP) and
 * an HTTPS endpoint, both parsing octet-counted frames as a real receiver would, plus a
 * test CA (openssl) whose certificate for 127.0.0.1 they serve.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { parseFrames } from '../../controller/drains/syslog-frame';

export interface TestCa {
  caFile: string;
  key: string;
  cert: string;
}

/** A CA and a certificate it signed for 127.0.0.1 and localhost, valid for two days. */
export function makeTestCa(dir: string): TestCa {
  const openssl = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=paas drains test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', '-new', ...ec, '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1']);
  fs.writeFileSync(path.join(dir, 'srv.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.crt', '-days', '2', '-extfile', 'srv.ext']);
  return { caFile: path.join(dir, 'ca.crt'), key: fs.readFileSync(path.join(dir, 'srv.key'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'srv.crt'), 'utf8') };
}

/** A syslog receiver (syslog+tls:// or syslog://) that can be stopped and started again on its port. */
export class SyslogReceiver {
  readonly messages: string[] = [];
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly port: number,
    private readonly tlsOptions?: { key: string; cert: string },
  ) {}

  get url(): string {
    return `${this.tlsOptions ? 'syslog+tls' : 'syslog'}://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const onSocket = (socket: net.Socket): void => {
      this.sockets.add(socket);
      let pending = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        const { messages, rest } = parseFrames(Buffer.concat([pending, d]));
        this.messages.push(...messages);
        pending = Buffer.from(rest);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => this.sockets.delete(socket));
    };
    this.server = this.tlsOptions ? tls.createServer(this.tlsOptions, onSocket) : net.createServer(onSocket);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  /** Down: no listener, and the open connections are closed. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
    this.server = undefined;
  }
}

export interface DrainPost {
  headers: IncomingHttpHeaders;
  messages: string[];
}

/** An HTTPS drain endpoint; while `failing`, it answers 500 and keeps nothing. */
export class HttpsReceiver {
  readonly posts: DrainPost[] = [];
  refused = 0;
  failing = false;
  /** Requests being answered now, and the most there ever were at once. */
  private inFlight = 0;
  maxInFlight = 0;
  private server?: https.Server;
  port = 0;

  constructor(private readonly tlsOptions: { key: string; cert: string }) {}

  get url(): string {
    return `https://127.0.0.1:${this.port}/drain`;
  }

  get messages(): string[] {
    return this.posts.flatMap((p) => p.messages);
  }

  async start(): Promise<void> {
    this.server = https.createServer(this.tlsOptions, (req, res) => {
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
      res.on('close', () => this.inFlight--);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.failing) {
          this.refused++;
          res.writeHead(500).end('down for the test');
          return;
        }
        const { messages, rest } = parseFrames(Buffer.concat(chunks));
        if (rest.length) {
          res.writeHead(400).end('an incomplete frame');
          return;
        }
        this.posts.push({ headers: req.headers, messages });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
