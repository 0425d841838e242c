/**
 * What a certificate upload is, checked with node:crypto before anything is stored:
 * a PEM chain whose first certificate is the leaf, a private key that belongs to it,
 * dates that cover now, and the host names it covers (CN and SANs, wildcards too).
 * Every refusal says what is wrong and how to fix the files.
 */
import crypto from 'node:crypto';
import { InvalidInputError } from '../shared';

export interface CheckedCertificate {
  /** The chain as PEM blocks, leaf first, normalized (one trailing newline each). */
  chain: string;
  /** The private key as unencrypted PKCS#8 PEM. */
  privateKey: string;
  /** DNS names the leaf covers: SANs, else the CN; wildcards as `*.example.com`. */
  names: string[];
  subject: string;
  issuer: string;
  startsAt: Date;
  expiresAt: Date;
  selfSigned: boolean;
  fingerprint: string;
  leaf: crypto.X509Certificate;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function checkCertificate(chainPem: string, keyPem: string, now = new Date()): CheckedCertificate {
  const blocks = chainPem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) {
    throw new InvalidInputError('The certificate is not a PEM certificate (-----BEGIN CERTIFICATE-----). Pass the certificate file (e.g. server.crt or fullchain.pem), not the key or a DER file; convert DER with `openssl x509 -inform der -in cert.der -out cert.pem`.', 'invalid_certificate');
  }
  let certs: crypto.X509Certificate[];
  try {
    certs = blocks.map((b) => new crypto.X509Certificate(b));
  } catch (err) {
    throw new InvalidInputError(`The certificate cannot be read: ${(err as Error).message}. Check the file with \`openssl x509 -in FILE -noout -text\`.`, 'invalid_certificate');
  }
  const leaf = certs[0];
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(keyPem)) {
    throw new InvalidInputError('The private key is encrypted with a passphrase. Decrypt it first: `openssl pkey -in KEY_FILE -out key.pem`.', 'encrypted_private_key');
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(keyPem);
  } catch {
    throw new InvalidInputError('The private key is not a PEM private key (-----BEGIN PRIVATE KEY-----, RSA or EC). Pass the key file that was generated with the certificate request.', 'invalid_private_key');
  }
  if (!leaf.checkPrivateKey(key)) {
    throw new InvalidInputError(`The private key does not belong to the certificate for ${describe(leaf)}. Pass the key that was generated with this certificate's request (the first certificate in the file is the one checked).`, 'key_mismatch');
  }
  const startsAt = new Date(leaf.validFrom);
  const expiresAt = new Date(leaf.validTo);
  if (expiresAt.getTime() <= now.getTime()) {
    throw new InvalidInputError(`The certificate for ${describe(leaf)} expired on ${expiresAt.toISOString()}. Renew it with your certificate authority and add the new one.`, 'certificate_expired');
  }
  if (startsAt.getTime() > now.getTime()) {
    throw new InvalidInputError(`The certificate for ${describe(leaf)} is not valid before ${startsAt.toISOString()}. Check this machine's clock, or add it once it is valid.`, 'certificate_not_yet_valid');
  }
  const names = coveredNames(leaf);
  if (names.length === 0) {
    throw new InvalidInputError('The certificate names no DNS host (no subjectAltName DNS entries and no CN). Issue it for the domains it should serve.', 'certificate_without_names');
  }
  return {
    chain: blocks.map((b) => `${b.trim()}\n`).join(''),
    privateKey: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
    names,
    subject: leaf.subject.replace(/\n/g, ', '),
    issuer: leaf.issuer.replace(/\n/g, ', '),
    startsAt,
    expiresAt,
    selfSigned: leaf.issuer === leaf.subject && leaf.verify(leaf.publicKey),
    fingerprint: leaf.fingerprint256,
    leaf,
  };
}

/** SAN DNS names if there are any (RFC 6125: then the CN is ignored), else the CN. */
export function coveredNames(cert: crypto.X509Certificate): string[] {
  const sans = (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
  if (sans.length) return [...new Set(sans)];
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1]?.toLowerCase();
  return cn && /^[a-z0-9*.-]+$/.test(cn) ? [cn] : [];
}

/**
 * Whether a certificate name serves a host name: exact, or `*.example.com` for exactly
 * one label below example.com. A wildcard domain of an app (`*.example.com`) is served
 * only by the same wildcard name.
 */
export function nameCovers(certName: string, host: string): boolean {
  if (certName === host) return true;
  if (!certName.startsWith('*.') || host.startsWith('*.')) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot) === certName.slice(1);
}

export const coversHost = (names: string[], host: string): boolean => names.some((n) => nameCovers(n, host));

function describe(cert: crypto.X509Certificate): string {
  return coveredNames(cert).join(', ') || cert.subject.replace(/\n/g, ', ');
}
