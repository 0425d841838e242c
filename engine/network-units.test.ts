import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerSideBatch, hostSideBatch, macForIp, netNames } from './netns';
import { bridgeRules, missingRules } from './bridge';
import { parseCidr } from './cidr';

test('MAC addresses follow the IP (Docker scheme), so a reused address keeps its MAC', () => {
  assert.equal(macForIp('10.234.0.2'), '02:42:0a:ea:00:02');
  assert.equal(macForIp('172.17.255.254'), '02:42:ac:11:ff:fe');
});

test('per-container setup is two ip batches: host side, then namespace side', () => {
  const names = netNames('0123456789');
  const a = { bridge: 'paash3', ip: '10.234.0.9', prefix: 16, gateway: '10.234.0.1' };
  assert.equal(
    hostSideBatch(names, a),
    'netns add paas-0123456789\n' +
      'link add pv0123456789 type veth peer name eth0 address 02:42:0a:ea:00:09 netns paas-0123456789\n' +
      'link set dev pv0123456789 master paash3 up\n',
  );
  assert.equal(containerSideBatch(a), 'link set lo up\naddr add 10.234.0.9/16 dev eth0\nlink set dev eth0 addrgenmode none\nlink set eth0 up\nroute add default via 10.234.0.1\n');
  assert.ok(names.hostVeth.length <= 15);
});

test('bridge rules: only the missing ones are restored, per table', () => {
  const rules = bridgeRules('paash3', parseCidr('10.234.0.1/16'));
  const all = missingRules('', rules);
  assert.match(all, /^\*nat\n(-A POSTROUTING .*\n){3}COMMIT\n\*filter\n(-A FORWARD .*\n){3}-A INPUT -d 127.0.0.0\/8 .*DROP\n-A INPUT -i paash3 .*DROP\nCOMMIT\n$/);
  const save = `*nat\n${rules[0]![1]}\n${rules[1]![1]}\n${rules[2]![1]}\nCOMMIT\n*filter\n${rules[3]![1]}\nCOMMIT\n`;
  assert.equal(missingRules(save, rules), `*filter\n${rules[4]![1]}\n${rules[5]![1]}\n${rules[6]![1]}\n${rules[7]![1]}\nCOMMIT\n`);
  // The same rule text in the other table does not count.
  assert.ok(missingRules(`*filter\n${rules[0]![1]}\nCOMMIT\n`, rules).includes(rules[0]![1]));
  const everything = `*nat\n${rules.slice(0, 3).map((r) => r[1]).join('\n')}\nCOMMIT\n*filter\n${rules.slice(3).map((r) => r[1]).join('\n')}\nCOMMIT\n`;
  assert.equal(missingRules(everything, rules), '');
});
