/**
 * The certificate the router shows for names no app certificate covers: self-signed for
 * `*.<domain>` and `<domain>`, made with openssl (Debian's) at the first start and kept
 * in <data dir>/router/, so browsers that were told to trust it once keep trusting it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { UnavailableError } from '../shared';

export interface PemPair {
  cert: string;
  key: string;
}

export function defaultCertificate(dataDir: string, domain: string): PemPair {
  const dir = path.join(dataDir, 'router');
  const certFile = path.join(dir, 'default-cert.pem');
  const keyFile = path.join(dir, 'default-key.pem');
  if (!fs.existsSync(certFile) || !fs.existsSync(keyFile)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmpKey = `${keyFile}.${process.pid}.tmp`;
    const tmpCert = `${certFile}.${process.pid}.tmp`;
    try {
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', tmpKey, '-out', tmpCert, '-days', '3650',
        '-subj', `/O=paas/CN=*.${domain}`, '-addext', `subjectAltName=DNS:*.${domain},DNS:${domain}`,
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      throw new UnavailableError(`The router cannot make its default certificate with openssl: ${(err as Error).message}. Install it (apt-get install openssl) or put a certificate and key at ${certFile} and ${keyFile}.`, err);
    }
    fs.chmodSync(tmpKey, 0o600);
    // Key first: a crash between the renames leaves no certificate without its key.
    fs.renameSync(tmpKey, keyFile);
    fs.renameSync(tmpCert, certFile);
  }
  return { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8') };
}
