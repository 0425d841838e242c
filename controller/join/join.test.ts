/**
 * Admitting hosts (issue #10) on both databases and a real NATS: `paas host:join`'s
 * client (daemon/host-join.ts) against the controller's responder. A good token writes
 * the config file with the host's subnet and the registry's credentials; a bad, revoked
 * or expired one gets a clear error and writes nothing; a rejoin keeps its subnet, and
 * no two hosts share one.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import { startNatsCluster, type NatsCluster } from '../../test/helpers/nats-cluster';
import { joinCluster } from '../../daemon/host-join';
import { readConfigFile } from '../../shared';
import { DIALECTS, startTestController, type TestController } from '../test-fixture';
import { JoinToken } from './join-models';

const SETTINGS = {
  subnetPool: '10.101.0.0/16',
  // The control plane's own bridge: the pool's first /24 must be skipped.
  reserved: ['10.101.0.0/24'],
  registryUrl: 'http://10.100.0.1:5002',
  registryToken: 'registry-secret',
  // An external registry's robot account, and one spoken to over plain HTTP.
  registryUser: 'robot-paas',
  insecureRegistries: 'registry.lan:5000',
  nodeCidr: '10.100.0.0/24',
};

for (const dialect of DIALECTS) {
  describe(`hosts join with a token (${dialect})`, () => {
    let nats: NatsCluster;
    let nc: NatsConnection;
    let ctl: TestController;
    let dir: string;
    const configFile = (name: string): string => path.join(dir, name);
    const join = (file: string, token: string, hostId: string, natsUrl = nats.url) =>
      joinCluster({ natsUrl, token, hostId, address: '10.100.0.11', env: { PAAS_CONFIG_FILE: file }, timeoutMs: 5_000 });

    before(async () => {
      nats = await startNatsCluster(1);
      nc = await connect({ servers: nats.url });
      ctl = await startTestController(dialect, { nc, join: { ...SETTINGS, natsUrl: undefined } });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-join-'));
    });

    after(async () => {
      await ctl?.close();
      await nc?.close();
      await nats?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    test('an operator makes a token; the new machine joins with it and gets its subnet and the registry credentials in its config file', async () => {
      const made = await ctl.admin.createJoinToken();
      assert.match(made.token, /^pjt_[0-9a-f]{8}_[0-9a-f]{64}$/);
      assert.equal(made.command, `sudo paas host:join <nats-url> --token ${made.token}`);
      assert.ok(Math.abs(Date.parse(made.expires_at) - Date.now() - 24 * 3600_000) < 60_000, 'valid 24 h by default');
      const file = configFile('host-a.env');
      fs.writeFileSync(file, '# mine\nPAAS_LOG_LEVEL=debug\nNATS_URL=nats://old:4222\n');
      const joined = await join(file, made.token, 'host-a');
      assert.equal(joined.reply.subnet, '10.101.1.0/24', 'the first /24 of the pool that is not reserved');
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      const values = readConfigFile({ PAAS_CONFIG_FILE: file })!.values;
      assert.deepEqual(values, {
        PAAS_LOG_LEVEL: 'debug',
        NATS_URL: nats.url,
        PAAS_HOST_ID: 'host-a',
        PAAS_HOST_ADDRESS: '10.100.0.11',
        PAAS_BRIDGE_CIDR: '10.101.1.1/24',
        PAAS_REGISTRY_URL: SETTINGS.registryUrl,
        PAAS_REGISTRY_TOKEN: SETTINGS.registryToken,
        PAAS_REGISTRY_USER: SETTINGS.registryUser,
        PAAS_INSECURE_REGISTRIES: SETTINGS.insecureRegistries,
        PAAS_NODE_CIDR: SETTINGS.nodeCidr,
      });
      assert.ok(fs.readFileSync(file, 'utf8').startsWith('# mine\n'), 'the rest of the file is kept');
      const [listed] = await ctl.admin.joinTokens();
      assert.equal(listed?.uses, 1);
      assert.equal(listed?.state, 'active');
      assert.ok(!JSON.stringify(listed).includes(made.token.slice(13)), 'lists never show the secret');
    });

    test('a rejoin keeps its subnet; another host gets another one', async () => {
      const { token } = await ctl.admin.createJoinToken(600);
      assert.equal((await join(configFile('host-a.env'), token, 'host-a')).reply.subnet, '10.101.1.0/24');
      assert.equal((await join(configFile('host-b.env'), token, 'host-b')).reply.subnet, '10.101.2.0/24');
      assert.equal((await join(configFile('host-a2.env'), token, 'host-a')).reply.subnet, '10.101.1.0/24');
    });

    test('unknown, revoked and expired tokens are refused with what to do, and nothing is written', async () => {
      const file = configFile('refused.env');
      const { token, id } = await ctl.admin.createJoinToken();
      const forged = token.slice(0, -4) + (token.endsWith('0000') ? '1111' : '0000');
      await assert.rejects(join(file, forged, 'host-x'), /not accepted \(unknown token\)\. Ask an operator for a new one: paas hosts:join-token Nothing was written\./);
      await assert.rejects(join(file, 'hunter2', 'host-x'), /not a join token/);
      await ctl.admin.revokeJoinToken(id);
      await assert.rejects(join(file, token, 'host-x'), /was revoked/);
      assert.equal((await ctl.admin.joinTokens()).find((t) => t.id === id)?.state, 'revoked');
      const other = await ctl.admin.createJoinToken();
      await JoinToken.update({ expiresAt: new Date(Date.now() - 1000) }, { where: { id: other.id } });
      await assert.rejects(join(file, other.token, 'host-x'), /expired at .*Ask an operator for a new one/);
      assert.equal(fs.existsSync(file), false);
    });

    test('an unreachable NATS and a NATS without a controller say so, and nothing is written', async () => {
      const file = configFile('unreachable.env');
      const { token } = await ctl.admin.createJoinToken();
      const lone = await startNatsCluster(1);
      try {
        await assert.rejects(join(file, token, 'host-y', lone.url), /NATS at 127\.0\.0\.1:\d+ is up, but no controller answered/);
      } finally {
        await lone.stop();
      }
      await assert.rejects(join(file, token, 'host-y', lone.url), /Cannot reach NATS at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
      assert.equal(fs.existsSync(file), false);
    });

    test('only operators make, list and revoke tokens', async () => {
      const user = await ctl.user(`someone-${dialect}@example.com`);
      await assert.rejects(user.createJoinToken(), /operator/);
      await assert.rejects(user.joinTokens(), /operator/);
      await assert.rejects(ctl.admin.createJoinToken(5), /expires_in_seconds/);
    });
  });
}
