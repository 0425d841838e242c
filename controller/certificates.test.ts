/** Certificate checks without a server: names covered (SANs, CN fallback, wildcards), chains, dates. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { checkCertificate, coversHost, nameCovers } from './certificates';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-certcheck-'));
const openssl = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
const read = (f: string): string => fs.readFileSync(path.join(dir, f), 'utf8');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('certificate checks', () => {
  test('a wildcard name covers exactly one label below it; a wildcard domain only the same wildcard', () => {
    assert.ok(nameCovers('*.example.com', 'a.example.com'));
    assert.ok(!nameCovers('*.example.com', 'example.com'));
    assert.ok(!nameCovers('*.example.com', 'a.b.example.com'));
    assert.ok(!nameCovers('*.example.com', 'aexample.com'));
    assert.ok(nameCovers('*.example.com', '*.example.com'));
    assert.ok(!nameCovers('a.example.com', '*.example.com'));
    assert.ok(coversHost(['x.org', '*.example.com'], 'www.example.com'));
  });

  test('names come from SANs, else from the CN; a chain is checked on its first (leaf) certificate', () => {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'cn.key', '-out', 'cn.crt', '-days', '5', '-subj', '/CN=Legacy.Example.com']);
    const cnOnly = checkCertificate(read('cn.crt'), read('cn.key'));
    assert.deepEqual(cnOnly.names, ['legacy.example.com']);
    // A CA and a leaf it signed: leaf first, then the intermediate, as fullchain.pem has it.
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '5', '-subj', '/CN=Test CA']);
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=shop.example.com']);
    fs.writeFileSync(path.join(dir, 'ext'), 'subjectAltName=DNS:shop.example.com,DNS:*.shop.example.com\n');
    openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.crt', '-days', '5', '-extfile', 'ext']);
    const chain = checkCertificate(`${read('leaf.crt')}\n${read('ca.crt')}`, read('leaf.key'));
    assert.deepEqual(chain.names, ['shop.example.com', '*.shop.example.com']);
    assert.equal(chain.selfSigned, false);
    assert.equal(chain.chain.match(/BEGIN CERTIFICATE/g)?.length, 2);
    assert.match(chain.issuer, /CN=Test CA/);
    assert.throws(() => checkCertificate(`${read('ca.crt')}\n${read('leaf.crt')}`, read('leaf.key')), /does not belong to the certificate for Test CA|does not belong/);
    assert.throws(() => checkCertificate(read('leaf.crt'), read('leaf.key'), new Date(Date.now() + 30 * 86_400_000)), /expired on/);
    assert.throws(() => checkCertificate(read('leaf.crt'), read('leaf.key'), new Date(Date.now() - 86_400_000)), /not valid before/);
  });
});
