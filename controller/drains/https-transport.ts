/**
 * https:// drains as Heroku sends them: one POST per batch, body `application/logplex-1`
 * (the octet-counted syslog frames, concatenated), with Logplex-Msg-Count,
 * Logplex-Frame-Id and Logplex-Drain-Token headers. Any 2xx is delivered; anything else,
 * a network error or no answer within 10 s is a failure and the batch is retried.
 */
import https from 'node:https';
import tls from 'node:tls';
import type { DrainTarget } from './drain-url';
import { SEND_TIMEOUT_MS, type DrainTls, type DrainTransport } from './transport';

export const USER_AGENT = 'paas-logplex/1';

export class HttpsTransport implements DrainTransport {
  private readonly agent: https.Agent;

  constructor(
    private readonly target: DrainTarget,
    private readonly token: string,
    trust: DrainTls,
  ) {
    // Keep-alive: a busy drain posts a batch every few hundred milliseconds.
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: trust.ca ? [...tls.rootCertificates, ...trust.ca] : undefined });
  }

  send(frames: Buffer[], frameId: string): Promise<void> {
    const body = Buffer.concat(frames);
    const url = this.target.url;
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          timeout: SEND_TIMEOUT_MS,
          auth: url.username ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined,
          headers: {
            'content-type': 'application/logplex-1',
            'content-length': String(body.length),
            'user-agent': USER_AGENT,
            'logplex-msg-count': String(frames.length),
            'logplex-frame-id': frameId,
            'logplex-drain-token': this.token,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new Error(`${url.host} answered ${status} ${res.statusMessage ?? ''}`.trim()));
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${url.host} did not answer within ${SEND_TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
