/**
 * The production install's systemd units (packaging/systemd, installed by scripts/install.sh):
 * systemd itself checks each one (`systemd-analyze verify` prints a line for every key it
 * cannot parse and then ignores it, so a typo would silently drop, say, KillMode=process
 * and with it every app's containers at the next agent restart), and each runs `paas node`
 * with roles paas knows, from where install.sh puts paas.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_CONFIG_FILE, parseRoles } from '../shared';

const root = path.resolve(__dirname, '..', '..');
const unitsDir = path.join(root, 'packaging', 'systemd');
const units = fs.readdirSync(unitsDir).filter((f) => f.endsWith('.service')).sort();

/** `Key=value` lines of a unit's [Service] section (repeated keys in order). */
function serviceSettings(text: string): [string, string][] {
  const section = /^\[Service\]\n([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(text)?.[1] ?? '';
  return section.split('\n').filter((l) => /^[A-Za-z]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
}

describe('systemd units (packaging/systemd)', () => {
  test('there is one unit per role install.sh offers', () => {
    const script = fs.readFileSync(path.join(root, 'scripts', 'install.sh'), 'utf8');
    const offered = /^\s+(\S+(?: \| \S+)*)\) units\+=\("paas-\$role\.service"\)/m.exec(script)?.[1].split(' | ') ?? [];
    assert.deepEqual(units, offered.map((r) => `paas-${r}.service`).sort());
  });

  for (const unit of units) {
    test(`${unit}: systemd-analyze verify reports nothing`, () => {
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', path.join(unitsDir, unit)], { encoding: 'utf8' });
      assert.ok(!r.error, `systemd-analyze is needed (Debian package systemd; scripts/install-deps.sh installs it): ${r.error?.message}`);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(`${r.stdout}${r.stderr}`.trim(), '', 'every line of the unit is understood by systemd');
    });

    test(`${unit}: runs paas node from /opt/paas with known roles and the node's configuration file`, () => {
      const settings = serviceSettings(fs.readFileSync(path.join(unitsDir, unit), 'utf8'));
      const get = (key: string): string[] => settings.filter(([k]) => k === key).map(([, v]) => v);
      assert.deepEqual(get('ExecStart'), ['/usr/bin/node /opt/paas/bin/paas node']);
      const env = Object.fromEntries(get('Environment').map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
      assert.equal(env.PAAS_CONFIG_FILE, DEFAULT_CONFIG_FILE);
      const roles = parseRoles(env.PAAS_ROLES ?? '');
      assert.equal(roles.error, undefined, `PAAS_ROLES=${env.PAAS_ROLES}`);
      assert.ok(roles.roles?.length, 'the unit names its roles');
      // A unit whose node runs containers must let them outlive it (an upgrade or restart of
      // the agent or builder keeps the apps and builds running, T18).
      if (roles.roles?.some((r) => r === 'host' || r === 'builder')) assert.deepEqual([get('KillMode'), get('Delegate')], [['process'], ['yes']]);
    });
  }
});
