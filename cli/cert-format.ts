/** How the certs commands show a certificate (Heroku's certs:info layout). */
import type { SniEndpoint } from '../controller';

export function certLines(c: SniEndpoint): string[] {
  const days = Math.floor((Date.parse(c.ssl_cert.expires_at) - Date.now()) / 86_400_000);
  return [
    `Name:           ${c.name}`,
    `Common Name(s): ${c.ssl_cert.cert_domains.join(', ')}`,
    `Domains:        ${c.domains.join(', ') || '(none of the app\'s domains: add one with paas domains:add)'}`,
    `Expires At:     ${c.ssl_cert.expires_at} (${days < 0 ? 'expired' : `in ${days} days`})`,
    `Issuer:         ${c.ssl_cert.issuer}`,
    `Starts At:      ${c.ssl_cert.starts_at}`,
    `Subject:        ${c.ssl_cert.subject}`,
    `SSL certificate is ${c.ssl_cert.self_signed ? 'self signed' : 'not self signed (verified by its issuer)'}.`,
  ];
}
