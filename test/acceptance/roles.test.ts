/**
 * Roles on separate nodes (issue #10), each its own `paas node` process on one NATS (a
 * nats-server of the test's own, on a free loopback port): a controller-only node
 * configured by its file, a router-only node and a scheduler-only node that reach the
 * API over PAAS_CONTROLLER_URL with the control node's system token. No containers: the
 * route is a web job reported through the API (as the scheduler reports jobs) that
 * points at a plain HTTP server of the test.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ControllerClient } from '../../controller/client';
import { startEmbeddedNats, type EmbeddedNats } from '../../daemon/nats-server';
import { silentLogger } from '../../shared';
import { eventually, request } from '../helpers/paas';
import { refusedNode, startNodeProcess, type NodeProcess } from '../helpers/paas-node';
import { freePort } from '../helpers/ports';

const DOMAIN = 'paas.test';

describe('a cluster of single-role nodes', () => {
  let dir: string;
  let nats: EmbeddedNats;
  let backend: http.Server;
  let backendPort: number;
  let control: NodeProcess;
  let router: NodeProcess | undefined;
  let scheduler: NodeProcess | undefined;
  let apiUrl: string;
  let systemToken: string;
  let routerPort: number;
  let admin: ControllerClient;
  let system: ControllerClient;
  const remote = (): Record<string, string> => ({ NATS_URL: nats.url, PAAS_CONTROLLER_URL: apiUrl, PAAS_CONTROLLER_TOKEN: systemToken, PAAS_BIND_ADDRESS: '127.0.0.1', PAAS_DOMAIN: DOMAIN });

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-roles-'));
    nats = await startEmbeddedNats(path.join(dir, 'nats'), await freePort(), silentLogger);
    backend = http.createServer((req, res) => res.end(`backend saw ${req.headers.host}`));
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    backendPort = (backend.address() as AddressInfo).port;
    // The control node takes its settings from its file, as under systemd.
    const file = path.join(dir, 'control.env');
    const apiPort = await freePort();
    fs.writeFileSync(file, [
      '# a control node with the controller only',
      'PAAS_ROLES=controller',
      `PAAS_DATA_DIR=${path.join(dir, 'control')}`,
      `PAAS_API_PORT=${apiPort}`,
      'PAAS_BIND_ADDRESS=127.0.0.1',
      `PAAS_DOMAIN=${DOMAIN}`,
      `NATS_URL=${nats.url}`,
      '',
    ].join('\n'));
    control = await startNodeProcess({ PAAS_CONFIG_FILE: file, PAAS_HOST_ID: 'control-1' });
    assert.match(control.output(), new RegExp(`paas node control-1 is up: controller \\(settings from ${file}\\)`));
    assert.ok(control.output().includes(`other nodes' PAAS_CONTROLLER_TOKEN: the content of ${path.join(dir, 'control', 'secrets', 'system-token')}`), control.output());
    const password = /Admin login \(shown once\): \S+ \/ (\S+)/.exec(control.output())?.[1];
    assert.ok(password, control.output());
    apiUrl = `http://127.0.0.1:${apiPort}`;
    systemToken = fs.readFileSync(path.join(dir, 'control', 'secrets', 'system-token'), 'utf8').trim();
    admin = new ControllerClient(apiUrl, (await new ControllerClient(apiUrl).login('admin@paas.local', password)).token);
    system = new ControllerClient(apiUrl, systemToken);
  });

  after(async () => {
    await scheduler?.stop();
    await router?.stop();
    await control?.stop();
    await nats?.stop();
    await new Promise((r) => backend?.close(r));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a router node without PAAS_CONTROLLER_URL refuses to start and says what to set', async () => {
    const r = await refusedNode({ PAAS_ROLES: 'router', NATS_URL: nats.url, PAAS_DATA_DIR: path.join(dir, 'refused') });
    assert.equal(r.code, 1, r.output);
    // oclif wraps an error's lines to the terminal and marks each with ›.
    const said = r.output.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ');
    assert.match(said, /paas node could not start: this node \(roles router\) cannot start: the router role calls the API and this node runs no controller: set PAAS_CONTROLLER_URL/);
    assert.match(said, /set PAAS_CONTROLLER_TOKEN to the system token of a control node/);
    assert.equal(fs.existsSync(path.join(dir, 'refused')), false, 'nothing was started, not even its data dir');
  });

  test('a router-only node answers 404 No such app for an unknown host', async () => {
    routerPort = await freePort();
    router = await startNodeProcess({ ...remote(), PAAS_ROLES: 'router', PAAS_HOST_ID: 'router-1', PAAS_DATA_DIR: path.join(dir, 'router'), PAAS_ROUTER_PORT: String(routerPort), PAAS_ROUTER_HTTPS_PORT: String(await freePort()), PAAS_ROUTER_WORKERS: '1' });
    assert.match(router.output(), /paas node router-1 is up: router\n/);
    assert.match(router.output(), new RegExp(`API +${apiUrl} \\(remote\\)`));
    const r = await request(routerPort, `nothing.${DOMAIN}`);
    assert.equal(r.status, 404);
    assert.match(r.body, /No such app/);
  });

  test("the router node loads a route the controller learns and proxies to it; the app's other names stay 404", async () => {
    await admin.createApp('shop');
    await system.reportJob('shop-web-1', { app: 'shop', release: 1, type: 'web', host: 'ghost', state: 'up', ip: '127.0.0.1', port: backendPort, dyno: 'web.1' });
    const r = await eventually('the route through the router node', async () => {
      const res = await request(routerPort, `shop.${DOMAIN}`);
      return res.status === 200 ? res : undefined;
    }, 15_000);
    assert.equal(r.body, `backend saw shop.${DOMAIN}`);
    assert.equal((await request(routerPort, `shop2.${DOMAIN}`)).status, 404);
  });

  test('a scheduler-only node acts on the remote controller: the job of a host that never heartbeats is forgotten and leaves the router', async () => {
    scheduler = await startNodeProcess({ ...remote(), PAAS_ROLES: 'scheduler', PAAS_HOST_ID: 'sched-1', PAAS_DATA_DIR: path.join(dir, 'scheduler') });
    assert.match(scheduler.output(), /paas node sched-1 is up: scheduler\n/);
    await eventually('the scheduler forgets the dead host\'s job', async () => ((await system.recordedJobs()).some((j) => j.id === 'shop-web-1') ? undefined : true), 30_000);
    const r = await eventually('the router drops the route', async () => {
      const res = await request(routerPort, `shop.${DOMAIN}`);
      return res.status === 503 ? res : undefined;
    }, 15_000);
    assert.match(r.body, /Application unavailable/);
  });
});
