/**
 * Container networking against the real thing (root only): containers of one app
 * reaching each other on the bridge (other apps cannot: network-isolation.test.ts), published ports through iptables DNAT (from 127.0.0.1, the
 * bridge address and another container), cleanup of veth, netns and rules, and
 * addresses and rules after an engine restart. Own bridge paash3 10.234.0.1/16.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { EngineApi } from './types';
import { collector, httpGet, skipReason, testEngine, type TestEngineSetup } from './integration-fixture';
import { STACK_REF } from './stack';
import { pollFor } from './launcher';
import { exec, execRaw } from './exec';
import { netNames } from './netns';
import { shortName } from './container-paths';
import { networkSettled } from './container-network';
import { publishedRules } from './ports-publish';
import { dnatRule, portTag } from './ports-rules';
import { join } from 'node:path';
import { LABEL_APP } from './job-mapping';

const skip = skipReason();
const BRIDGE = 'paash3';
const uniq = (name: string): string => `${name}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
const NODE_MOUNT = { source: process.execPath, destination: '/usr/local/bin/node', readonly: true };
const SERVER = ['node', '-e', "require('http').createServer((q,s)=>s.end('hi from '+require('os').hostname())).listen(5000)"];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const present = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

test('container networking integration', { skip, timeout: 300_000 }, async (t) => {
  const setup: TestEngineSetup = await testEngine(BRIDGE, '10.234.0.1/16');
  const namesOf = (id: string): ReturnType<typeof netNames> => netNames(shortName(join(setup.options.dataDir, 'containers'), id));
  let engine: EngineApi;
  try {
    engine = await setup.open();
    await engine.ensureStack();

    const serve = async (id: string, extra: Partial<Parameters<EngineApi['create']>[0]> = {}): Promise<string> => {
      const c = await engine.create({ id, image: STACK_REF, cmd: SERVER, mounts: [NODE_MOUNT], ...extra });
      await engine.start(id);
      await pollFor(() => httpGet(`http://${c.ip}:5000/`, 1000).catch(() => undefined), 10_000, 50);
      return c.ip!;
    };
    // Teardown runs in the background after stop/remove: wait until it is done (or fail).
    const torndown = async (id: string, tag: string): Promise<void> => {
      const n = namesOf(id);
      const gone = async (): Promise<true | undefined> =>
        !(await present(`/sys/class/net/${n.hostVeth}`)) && !(await present(`/run/netns/${n.netns}`)) && !(await publishedRules()).some((r) => r.tag === tag)
          ? true
          : undefined;
      assert.equal(await pollFor(gone, 5000, 20), true, `network of ${id} torn down`);
    };
    const curlFromContainer = async (url: string, labels?: Record<string, string>): Promise<string> => {
      const out = collector();
      const r = await engine.run({ id: uniq('curl'), image: STACK_REF, cmd: ['curl', '-sS', '--max-time', '5', url], labels }, { output: out.stream });
      assert.equal(r.exitCode, 0, out.text());
      return out.text();
    };

    await t.test('two containers of one app on one host reach each other by IP, and the host reaches them', async () => {
      const a = uniq('srv');
      const app = { [LABEL_APP]: 'netapp' };
      const ip = await serve(a, { hostname: 'server-a', labels: app });
      assert.match(ip, /^10\.234\.\d+\.\d+$/);
      assert.equal(await httpGet(`http://${ip}:5000/`), 'hi from server-a');
      assert.equal(await curlFromContainer(`http://${ip}:5000/`, app), 'hi from server-a');
      await engine.remove(a);
    });

    await t.test('published ports: 127.0.0.1, the bridge address and other containers reach it; one publisher per port', async () => {
      const hostPort = await freePort();
      const id = uniq('pub');
      const t0 = performance.now();
      await engine.create({ id, image: STACK_REF, cmd: SERVER, mounts: [NODE_MOUNT], hostname: 'published', ports: [{ hostPort, containerPort: 5000 }] });
      await engine.start(id);
      t.diagnostic(`create+start with a published port: ${(performance.now() - t0).toFixed(0)} ms`);
      const get = (host: string): Promise<string | undefined> => httpGet(`http://${host}:${hostPort}/`, 1000).catch(() => undefined);
      assert.equal(await pollFor(() => get('127.0.0.1'), 10_000, 50), 'hi from published');
      assert.equal(await get(engine.bridgeAddress), 'hi from published');
      // Hairpin: another container through the host's address.
      assert.equal(await curlFromContainer(`http://${engine.bridgeAddress}:${hostPort}/`), 'hi from published');

      const tag = portTag(id, namesOf(id).netns);
      assert.equal((await publishedRules()).filter((r) => r.tag === tag).length, 1);

      const rival = uniq('rival');
      await engine.create({ id: rival, image: STACK_REF, cmd: SERVER, mounts: [NODE_MOUNT], ports: [{ hostPort, containerPort: 5000 }] });
      await assert.rejects(engine.start(rival), { code: 'port_conflict', message: new RegExp(id) });
      assert.equal((await engine.inspect(rival))?.state, 'created');
      assert.equal(await get('127.0.0.1'), 'hi from published', 'the refused start did not disturb the publisher');
      await engine.remove(rival);

      // A port a host process listens on is refused too: DNAT would steal its traffic.
      const busy = createServer().listen(0, '0.0.0.0');
      await new Promise((r) => busy.once('listening', r));
      try {
        const squatter = uniq('squat');
        const busyPort = (busy.address() as { port: number }).port;
        await engine.create({ id: squatter, image: STACK_REF, cmd: ['sleep', '30'], ports: [{ hostPort: busyPort, containerPort: 1 }] });
        await assert.rejects(engine.start(squatter), { code: 'port_conflict', message: /process on the host/ });
        await engine.remove(squatter);
      } finally {
        busy.close();
      }

      const n = namesOf(id);
      assert.ok(await present(`/sys/class/net/${n.hostVeth}`));
      const t1 = performance.now();
      await engine.stop(id, 0);
      t.diagnostic(`stop (teardown in the background): ${(performance.now() - t1).toFixed(0)} ms`);
      await torndown(id, tag);
      assert.equal((await publishedRules()).filter((r) => r.tag === tag).length, 0, 'rules go when the container stops');
      assert.equal(await get('127.0.0.1'), undefined);
      assert.ok(!(await present(`/sys/class/net/${n.hostVeth}`)), 'veth gone');
      assert.ok(!(await present(`/run/netns/${n.netns}`)), 'netns gone');
      // Restart publishes again; removal withdraws.
      await engine.start(id);
      assert.equal(await pollFor(() => get('127.0.0.1'), 10_000, 50), 'hi from published');
      await engine.remove(id);
      await torndown(id, tag);
      assert.equal((await publishedRules()).filter((r) => r.tag === tag).length, 0);
      assert.ok(!(await present(`/sys/class/net/${n.hostVeth}`)));
      assert.ok(!(await present(`/run/netns/${n.netns}`)));
    });

    await t.test('a neighbour on the bridge reaches no host service, not even on 127.0.0.1 (CVE-2020-8558)', async () => {
      // route_localnet (needed for 127.0.0.1 published ports) would let it, were it not for the INPUT
      // rules: containers may not open connections to the host at all (only answers come back).
      const secret = createServer((sock) => sock.end('secret\n'));
      await new Promise<void>((r) => secret.listen(0, '127.0.0.1', r));
      const control = createServer((sock) => sock.end('control\n'));
      await new Promise<void>((r) => control.listen(0, engine.bridgeAddress, r));
      const ns = `h3atk${process.pid % 100000}`;
      try {
        await exec('ip', ['netns', 'add', ns]);
        await exec('ip', ['link', 'add', ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
        await exec('ip', ['link', 'set', ns, 'master', BRIDGE, 'up']);
        const inNs = (...args: string[]): Promise<string> => exec('ip', ['netns', 'exec', ns, ...args]);
        await inNs('ip', 'addr', 'add', '10.234.255.250/16', 'dev', 'eth0');
        await inNs('ip', 'link', 'set', 'eth0', 'up');
        await inNs('sysctl', '-qw', 'net.ipv4.conf.eth0.route_localnet=1');
        // lo stays down, so 127.0.0.0/8 is not local in there and goes to the bridge.
        await inNs('ip', 'route', 'add', '127.0.0.0/8', 'via', engine.bridgeAddress, 'dev', 'eth0', 'src', '10.234.255.250');
        const port = (srv: ReturnType<typeof createServer>): number => (srv.address() as { port: number }).port;
        const fetchFrom = (host: string, p: number): Promise<{ code: number | null; stdout: string }> =>
          execRaw('ip', ['netns', 'exec', ns, 'curl', '-sS', '--max-time', '2', `telnet://${host}:${p}`]);
        // Positive control: the path works (the host reaches a server in the neighbour), so the
        // refusals below are the firewall's, not a broken setup's.
        const listener = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', "require('net').createServer((s) => s.end('neighbour\\n')).listen(7777)"], { stdio: 'ignore' });
        try {
          const reached = await pollFor(async () => ((await execRaw('curl', ['-sS', '--max-time', '2', 'telnet://10.234.255.250:7777'])).stdout === 'neighbour\n' ? true : undefined), 10_000, 100);
          assert.equal(reached, true, 'the host reaches the neighbour through the bridge');
        } finally {
          listener.kill('SIGKILL');
        }
        const toHost = await fetchFrom(engine.bridgeAddress, port(control));
        assert.notEqual(toHost.stdout, 'control\n', 'the neighbour must not reach a host service on the bridge address');
        assert.notEqual(toHost.code, 0);
        const attack = await fetchFrom('127.0.0.1', port(secret));
        assert.notEqual(attack.stdout, 'secret\n');
        assert.notEqual(attack.code, 0);
      } finally {
        await execRaw('ip', ['link', 'del', ns]);
        await execRaw('ip', ['netns', 'del', ns]);
        secret.close();
        control.close();
      }
    });

    await t.test('after an engine restart: addresses stay taken, port rules are found again, stale ones removed', async () => {
      const kept = uniq('kept');
      const keptInfo = await engine.create({ id: kept, image: STACK_REF, cmd: ['true'] });
      const hostPort = await freePort();
      const web = uniq('web');
      const webIp = await serve(web, { hostname: 'survivor', ports: [{ hostPort, containerPort: 5000 }] });

      // Leftovers of a crash: a rule into our subnet owned by nobody, a veth on our bridge owned by nobody.
      const ghostTag = portTag('ghost', 'paas-0000000000');
      const ghostPort = await freePort();
      await exec('iptables', ['-w', '-t', 'nat', '-A', 'PAAS-DNAT', ...splitRule(dnatRule({ hostPort: ghostPort, containerPort: 1 }, '10.234.200.200', ghostTag))]);
      await exec('ip', ['link', 'add', 'pv0000000000', 'type', 'veth', 'peer', 'name', 'pc0000000000']);
      await exec('ip', ['link', 'set', 'pv0000000000', 'master', BRIDGE]);
      try {
        await engine.close();
        engine = await setup.open();
        assert.equal((await engine.inspect(kept))?.ip, keptInfo.ip);
        const fresh = await engine.create({ id: uniq('fresh'), image: STACK_REF, cmd: ['true'] });
        assert.ok(![keptInfo.ip, webIp, engine.bridgeAddress].includes(fresh.ip), `${fresh.ip} is new`);
        const rules = await publishedRules();
        assert.ok(!rules.some((r) => r.tag === ghostTag), 'stale rule removed at open');
        assert.ok(rules.some((r) => r.tag === portTag(web, namesOf(web).netns)), 'the running container keeps its rule');
        assert.ok(!(await present('/sys/class/net/pv0000000000')), 'stale veth removed at open');
        assert.equal(await httpGet(`http://127.0.0.1:${hostPort}/`), 'hi from survivor');
        await assert.rejects(engine.create({ id: uniq('badip'), image: STACK_REF, cmd: ['true'], ports: [{ hostPort, containerPort: 1, hostIp: 'nope' }] }), {
          code: 'invalid_ports',
        });
      } finally {
        await execRaw('ip', ['link', 'del', 'pv0000000000']);
        const ghost = (await publishedRules()).find((r) => r.tag === ghostTag);
        if (ghost) await execRaw('iptables', ['-w', '-t', 'nat', '-D', 'PAAS-DNAT', ...splitRule(ghost.line.replace(/^-A PAAS-DNAT /, ''))]);
      }
      for (const c of await engine.list()) await engine.remove(c.id);
    });
  } finally {
    await setup.cleanup();
    await networkSettled();
  }
});

/** iptables-save text to argv (the comment is the only quoted word). */
function splitRule(rule: string): string[] {
  return rule.match(/"[^"]*"|\S+/g)!.map((w) => w.replace(/^"|"$/g, ''));
}
