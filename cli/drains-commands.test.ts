/**
 * paas drains, drains:add and drains:remove as a user runs them, against a real
 * controller process and a nats-server of its own: what each prints, and the refusals.
 */
import assert from 'node:assert/strict';
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

describe('paas drains commands against a controller', () => {
  let controller: ControllerProcess;
  let nats: EmbeddedNats;
  let dataDir: string;
  let dev: Cli;
  const a = ['-a', 'shop'];


  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-cli-drains-'));
    nats = await startEmbeddedNats(dataDir, await freePort(), silentLogger);
    controller = await startControllerProcess({ PAAS_DATA_DIR: dataDir, PAAS_API_PORT: String(await freePort()), PAAS_BIND_ADDRESS: '127.0.0.1', NATS_URL: nats.url });
    const url = controller.info.url;
    const { token } = await new ControllerClient(url).login('admin@paas.local', controller.info.adminPassword ?? '');
    await new ControllerClient(url, token).request('POST', '/users', { email: 'dev@example.com', password: 'correct horse battery' });
    dev = newUser();
    ok(dev.paas(['login', '--api', url, '--email', 'dev@example.com'], undefined, { PAAS_PASSWORD: 'correct horse battery' }));
    ok(dev.paas(['apps:create', 'shop']));
  });
  after(async () => {
    controller?.kill('SIGTERM');
    await controller?.exited;
    await nats?.stop();
    for (const dir of [dataDir, dev?.home]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('drains on an app without drains says how to add one', () => {
    assert.match(ok(dev.paas(['drains', ...a])).stdout, /shop has no log drains\.\nAdd one with paas drains:add syslog\+tls:\/\/HOST:PORT -a shop/);
  });

  test('drains:add, drains, drains --json, drains:remove', () => {
    const added = ok(dev.paas(['drains:add', 'syslog+tls://logs.example.com:6514', ...a])).stdout;
    assert.match(added, /^Successfully added drain syslog\+tls:\/\/logs\.example\.com:6514\n/);
    assert.match(added, /with d\.[0-9a-f-]{36} as the syslog host name/);
    assert.match(ok(dev.paas(['drains', ...a])).stdout, /^=== shop Drains\nsyslog\+tls:\/\/logs\.example\.com:6514 \(d\.[0-9a-f-]{36}\)\n/);
    const [drain] = JSON.parse(ok(dev.paas(['drains', '--json', ...a])).stdout) as { url: string; token: string }[];
    assert.equal(drain!.url, 'syslog+tls://logs.example.com:6514');
    assert.match(ok(dev.paas(['drains:remove', drain!.token, ...a])).stdout, /^Successfully removed drain syslog\+tls:\/\/logs\.example\.com:6514\n/);
    assert.match(ok(dev.paas(['drains', ...a])).stdout, /shop has no log drains/);
  });

  test('bad URLs and unknown drains are refused with what to do', () => {
    fails(dev.paas(['drains:add', 'http://logs.example.com/', ...a]), /use https:\/\/\. A drain URL looks like syslog\+tls:\/\/host:port/);
    fails(dev.paas(['drains:add', 'syslog+tls://logs.example.com', ...a]), /needs a port/);
    fails(dev.paas(['drains:remove', 'syslog://nope:1', ...a]), /syslog:\/\/nope:1 is not a drain of shop\. See `paas drains -a shop`/);
  });
});
