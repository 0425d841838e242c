/**
 * paas certs, certs:add, certs:info, certs:redirect and certs:remove as a user runs them,
 * against a real controller process (and a nats-server of its own for its events), with
 * certificates made by openssl: what each prints, and the refusals' messages.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ControllerClient } from '../controller';
import { startEmbeddedNats, type EmbeddedNats } from '../daemon/nats-server';
import { silentLogger } from '../shared';
import { startControllerProcess, type ControllerProcess } from '../test/helpers/controller-process';
import { newUser, type Cli } from '../test/helpers/paas';
import { fails, ok } from '../test/helpers/cli-results';
import { freePort } from '../test/helpers/ports';

describe('paas certs commands against a controller', () => {
  let controller: ControllerProcess;
  let nats: EmbeddedNats;
  let dataDir: string;
  let dev: Cli;
  const a = ['-a', 'shop'];
  const file = (name: string): string => path.join(dataDir, 'pem', name);


  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-cli-certs-'));
    fs.mkdirSync(path.join(dataDir, 'pem'));
    for (const [name, cn] of [['www', 'www.example.com'], ['other', 'www.example.com']]) {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', file(`${name}.key`), '-out', file(`${name}.crt`),
        '-days', '30', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`], { stdio: 'ignore' });
    }
    nats = await startEmbeddedNats(dataDir, await freePort(), silentLogger);
    controller = await startControllerProcess({ PAAS_DATA_DIR: dataDir, PAAS_API_PORT: String(await freePort()), PAAS_BIND_ADDRESS: '127.0.0.1', NATS_URL: nats.url });
    const url = controller.info.url;
    const { token } = await new ControllerClient(url).login('admin@paas.local', controller.info.adminPassword ?? '');
    await new ControllerClient(url, token).request('POST', '/users', { email: 'dev@example.com', password: 'correct horse battery' });
    dev = newUser();
    ok(dev.paas(['login', '--api', url, '--email', 'dev@example.com'], undefined, { PAAS_PASSWORD: 'correct horse battery' }));
    ok(dev.paas(['apps:create', 'shop']));
    ok(dev.paas(['domains:add', 'www.example.com', ...a]));
  });
  after(async () => {
    controller?.kill('SIGTERM');
    await controller?.exited;
    await nats?.stop();
    for (const dir of [dataDir, dev?.home]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('certs on an app without certificates says how to add one', () => {
    assert.match(ok(dev.paas(['certs', ...a])).stdout, /shop has no SSL certificates\.\nUse paas certs:add CRT KEY/);
  });

  test('certs:add refuses a key of another certificate and a missing file, with the fix', () => {
    fails(dev.paas(['certs:add', file('www.crt'), file('other.key'), ...a]), /does not belong to the certificate for www\.example\.com/);
    fails(dev.paas(['certs:add', file('nope.crt'), file('www.key'), ...a]), /Cannot read the certificate file .*nope\.crt/);
    fails(dev.paas(['certs:add', file('www.crt'), file('www.key'), '--domain', 'api.example.com', ...a]), /api\.example\.com is not a domain of shop/);
  });

  test('certs:add, certs, certs:info', () => {
    const added = ok(dev.paas(['certs:add', file('www.crt'), file('www.key'), ...a]));
    assert.match(added.stderr, /Adding SSL certificate to shop\.\.\. done/);
    assert.match(added.stdout, /shop now uses shop-[0-9a-f]{6} for www\.example\.com/);
    assert.match(added.stdout, /Common Name\(s\): www\.example\.com\n/);
    assert.match(added.stdout, /SSL certificate is self signed\./);
    const list = ok(dev.paas(['certs', ...a])).stdout;
    assert.match(list, /^NAME +COMMON NAME\(S\) +DOMAINS +EXPIRES +TRUSTED\n/);
    assert.match(list, /shop-[0-9a-f]{6} +www\.example\.com +www\.example\.com +\d{4}-\d\d-\d\d +False/);
    const info = ok(dev.paas(['certs:info', ...a])).stdout;
    assert.match(info, /Domains: +www\.example\.com\nExpires At: +\S+ \(in (29|30) days\)/);
    assert.doesNotMatch(ok(dev.paas(['certs', '--json', ...a])).stdout, /PRIVATE KEY|BEGIN CERTIFICATE/);
    const json = ok(dev.paas(['certs:info', '--json', ...a])).stdout;
    assert.doesNotMatch(json, /PRIVATE KEY/, 'the key is never shown');
    const cert = JSON.parse(json) as { name: string; domains: string[] };
    assert.match(cert.name, /^shop-[0-9a-f]{6}$/);
    assert.deepEqual(cert.domains, ['www.example.com']);
  });

  test('certs:redirect shows, turns on and off the HTTP→HTTPS redirect', () => {
    assert.match(ok(dev.paas(['certs:redirect', ...a])).stdout, /shop serves HTTP and HTTPS/);
    assert.match(ok(dev.paas(['certs:redirect', '--on', ...a])).stderr, /Redirecting HTTP to HTTPS for shop\.\.\. done/);
    assert.match(ok(dev.paas(['certs:redirect', ...a])).stdout, /shop redirects HTTP to HTTPS\./);
    ok(dev.paas(['certs:redirect', '--off', ...a]));
    assert.match(ok(dev.paas(['certs:redirect', ...a])).stdout, /shop serves HTTP and HTTPS/);
  });

  test('certs:remove asks for --confirm, then removes', () => {
    fails(dev.paas(['certs:remove', ...a]), /To proceed, run: paas certs:remove --name shop-[0-9a-f]{6} -a shop --confirm shop/);
    assert.match(ok(dev.paas(['certs:remove', '--confirm', 'shop', ...a])).stderr, /Removing SSL certificate shop-[0-9a-f]{6} from shop\.\.\. done/);
    assert.match(ok(dev.paas(['certs', ...a])).stdout, /shop has no SSL certificates/);
  });
});
