/**
 * Certificates through the API on SQLite and on MariaDB: add (checked with node:crypto),
 * list, info, remove, the HTTP→HTTPS setting, the operators' /router/tls with the key
 * decrypted, the key sealed at rest, and every refusal (mismatched key, expired,
 * garbage, encrypted key, names that are not the app's, another user's app).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PaasError } from '../shared';
import { ControllerClient } from './client';
import { DIALECTS, startTestController, type TestController } from './test-fixture';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-certs-'));
const openssl = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });

/** A self-signed certificate and key for `names`, valid from now for 30 days. */
function makeCert(file: string, names: string[]): { cert: string; key: string } {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${file}.key`, '-out', `${file}.crt`, '-days', '30',
    '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`]);
  return { cert: fs.readFileSync(path.join(dir, `${file}.crt`), 'utf8'), key: fs.readFileSync(path.join(dir, `${file}.key`), 'utf8') };
}

/** A certificate that expired in 2020 (openssl ca can set past dates; req -x509 cannot). */
function expiredCert(): { cert: string; key: string } {
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'serial'), '01\n');
  fs.writeFileSync(path.join(dir, 'ca.cnf'), '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nserial=serial\nnew_certs_dir=.\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n');
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'old.key', '-out', 'old.csr', '-subj', '/CN=www.example.com']);
  openssl(['ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'old.key', '-in', 'old.csr', '-out', 'old.crt', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z']);
  return { cert: fs.readFileSync(path.join(dir, 'old.crt'), 'utf8'), key: fs.readFileSync(path.join(dir, 'old.key'), 'utf8') };
}

const www = makeCert('www', ['www.example.com']);
const wild = makeCert('wild', ['*.example.com', 'example.com']);
const other = makeCert('other', ['www.example.com']);
const old = expiredCert();
openssl(['pkey', '-in', 'www.key', '-aes256', '-passout', 'pass:secret', '-out', 'locked.key']);
const locked = fs.readFileSync(path.join(dir, 'locked.key'), 'utf8');

async function refused(p: Promise<unknown>, status: number, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof PaasError, String(err));
    assert.equal(err.status, status);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

for (const dialect of DIALECTS) {
  describe(`certificates (${dialect})`, () => {
    let t: TestController;
    let dev: ControllerClient;

    before(async () => {
      t = await startTestController(dialect);
      dev = await t.user('dev@example.com');
      await dev.createApp('shop');
      await dev.request('POST', '/apps/shop/domains', { hostname: 'www.example.com' });
      await dev.request('POST', '/apps/shop/domains', { hostname: 'api.example.com' });
    });
    after(async () => {
      await t.close();
    });

    test('add, list, info: the names it covers and the app domains it serves', async () => {
      const added = await dev.addCert('shop', { certificate_chain: www.cert, private_key: www.key });
      assert.deepEqual(added.domains, ['www.example.com']);
      assert.deepEqual(added.ssl_cert.cert_domains, ['www.example.com']);
      assert.equal(added.ssl_cert.self_signed, true);
      assert.match(added.name, /^shop-[0-9a-f]{6}$/);
      const list = await dev.certs('shop');
      assert.deepEqual(list.map((c) => c.name), [added.name]);
      assert.equal((await dev.cert('shop', added.id)).name, added.name);
      assert.equal((await dev.cert('shop', added.name)).id, added.id);

      const w = await dev.addCert('shop', { certificate_chain: wild.cert, private_key: wild.key });
      assert.deepEqual(w.domains, ['www.example.com', 'api.example.com'].sort(), 'a wildcard serves each app domain one level below');
      const limited = await dev.addCert('shop', { certificate_chain: wild.cert, private_key: wild.key, domains: ['api.example.com'] });
      assert.deepEqual(limited.domains, ['api.example.com']);
    });

    test('the private key is sealed at rest and only operators get it, decrypted, from /router/tls', async () => {
      const rows = (await t.controller.sequelize.query('SELECT privateKey FROM certs', { type: 'SELECT' })) as { privateKey: string }[];
      assert.ok(rows.length >= 1);
      for (const r of rows) {
        assert.match(r.privateKey, /^v1:/);
        assert.doesNotMatch(r.privateKey, /PRIVATE KEY/);
      }
      const listed = JSON.stringify(await dev.certs('shop'));
      assert.doesNotMatch(listed, /PRIVATE KEY/);
      await refused(dev.routerTls(), 403, 'forbidden', /operator/);
      const state = await t.system.routerTls();
      const first = state.certificates.find((c) => c.hostnames.includes('www.example.com'));
      assert.ok(first);
      assert.match(first.private_key, /BEGIN PRIVATE KEY/);
      assert.equal(first.app, 'shop');
      assert.deepEqual(state.force_https, []);
    });

    test('refusals: mismatched key, expired, garbage, encrypted key, names not of the app, unknown --domain', async () => {
      await refused(dev.addCert('shop', { certificate_chain: www.cert, private_key: other.key }), 422, 'key_mismatch', /does not belong to the certificate for www\.example\.com/);
      await refused(dev.addCert('shop', { certificate_chain: old.cert, private_key: old.key }), 422, 'certificate_expired', /expired on 2020-02-01/);
      await refused(dev.addCert('shop', { certificate_chain: 'hello', private_key: www.key }), 422, 'invalid_certificate', /not a PEM certificate/);
      const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
      await refused(dev.addCert('shop', { certificate_chain: broken, private_key: www.key }), 422, 'invalid_certificate', /cannot be read/);
      await refused(dev.addCert('shop', { certificate_chain: www.cert, private_key: 'nope' }), 422, 'invalid_private_key', /not a PEM private key/);
      await refused(dev.addCert('shop', { certificate_chain: www.cert, private_key: locked }), 422, 'encrypted_private_key', /openssl pkey/);
      await dev.createApp('blog');
      await refused(dev.addCert('blog', { certificate_chain: www.cert, private_key: www.key }), 422, 'no_matching_domain', /none of which is a domain of blog.*paas domains:add/);
      await refused(dev.addCert('shop', { certificate_chain: wild.cert, private_key: wild.key, domains: ['shop.example.org'] }), 422, 'unknown_domain', /not a domain of shop/);
      await refused(dev.addCert('shop', { certificate_chain: www.cert, private_key: www.key, domains: ['api.example.com'] }), 422, 'domain_not_covered', /does not cover api\.example\.com/);
      const stranger = await t.user('stranger@example.com');
      await refused(stranger.addCert('shop', { certificate_chain: www.cert, private_key: www.key }), 404, 'not_found', /Couldn't find that app/);
      await refused(dev.cert('shop', 'nope'), 404, 'not_found', /paas certs -a shop/);
    });

    test('the HTTP→HTTPS redirect setting, and remove', async () => {
      assert.deepEqual(await dev.httpsSettings('shop'), { force_https: false });
      await dev.setForceHttps('shop', true);
      assert.deepEqual(await dev.httpsSettings('shop'), { force_https: true });
      assert.deepEqual((await t.system.routerTls()).force_https, ['shop']);
      await refused(dev.request('PATCH', '/apps/shop/https', { force_https: 'yes' }), 422, 'invalid_params', /force_https/);
      for (const c of await dev.certs('shop')) await dev.removeCert('shop', c.name);
      assert.deepEqual(await dev.certs('shop'), []);
      assert.deepEqual((await t.system.routerTls()).certificates, []);
    });

    test('certificates survive a restart (the vault key stays in the data dir) and go with their app', async () => {
      await dev.addCert('shop', { certificate_chain: www.cert, private_key: www.key });
      await t.restart();
      assert.equal((await t.system.routerTls()).certificates.length, 1);
      const { token } = await new ControllerClient(t.controller.url).login('dev@example.com', 'correct horse battery');
      dev = new ControllerClient(t.controller.url, token);
      await dev.destroyApp('shop');
      assert.deepEqual(await t.system.routerTls(), { certificates: [], force_https: [] });
    });
  });
}

after(() => fs.rmSync(dir, { recursive: true, force: true }));
