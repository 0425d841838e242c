/**
 * Private keys of certificates are stored encrypted (AES-256-GCM) so a copy of the
 * database alone does not give them away. The key-encryption key is 32 random bytes in
 * <data dir>/secrets/certs-key (mode 0600), made at the first use. Controllers that
 * share one database must share this file too (copy it to every node's data dir).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UnavailableError } from '../shared';

const VERSION = 'v1';

export class CertVault {
  private constructor(private readonly key: Buffer) {}

  static open(dataDir: string): CertVault {
    const dir = path.join(dataDir, 'secrets');
    const file = path.join(dir, 'certs-key');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!fs.existsSync(file)) {
      try {
        // wx: two controllers starting at once keep whichever key was written first.
        fs.writeFileSync(file, crypto.randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new UnavailableError(`${file} does not hold a 32-byte key. Restore it from a backup (or delete it and add every certificate again).`);
    return new CertVault(key);
  }

  seal(plain: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':');
  }

  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || data === undefined) throw new UnavailableError('A stored private key is not in a format this controller knows.');
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new UnavailableError('A stored private key cannot be decrypted with secrets/certs-key: this controller has another key file than the one that stored it. Copy the same certs-key to every controller.');
    }
  }
}
