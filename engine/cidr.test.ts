import { test } from 'node:test';
import assert from 'node:assert/strict';
import { intToIp, ipToInt, lowestFreeAddress, overlaps, parseCidr } from './cidr';

test('parses the bridge CIDR', () => {
  assert.deepEqual(parseCidr('10.77.0.1/16'), { address: '10.77.0.1', prefix: 16, network: '10.77.0.0', subnet: '10.77.0.0/16' });
  assert.equal(parseCidr('192.168.5.9/24').network, '192.168.5.0');
  assert.throws(() => parseCidr('10.77.0.1'), { code: 'invalid_params' });
  assert.throws(() => parseCidr('10.300.0.1/16'));
});

test('ip <-> int', () => {
  assert.equal(ipToInt('10.77.1.2'), 10 * 2 ** 24 + 77 * 2 ** 16 + 258);
  assert.equal(intToIp(ipToInt('255.255.255.254')), '255.255.255.254');
});

test('IPAM: lowest free address, skipping network, bridge and used addresses', () => {
  const c = parseCidr('10.77.0.1/16');
  assert.equal(lowestFreeAddress(c, new Set()), '10.77.0.2');
  assert.equal(lowestFreeAddress(c, new Set(['10.77.0.2', '10.77.0.3'])), '10.77.0.4');
  assert.equal(lowestFreeAddress(c, new Set(['10.77.0.3'])), '10.77.0.2');
  const mid = parseCidr('10.0.0.5/29'); // .0 net, .7 broadcast, .5 bridge
  assert.equal(lowestFreeAddress(mid, new Set(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'])), '10.0.0.6');
  assert.equal(lowestFreeAddress(mid, new Set(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.6'])), undefined);
});

test('subnet overlap', () => {
  assert.ok(overlaps(parseCidr('10.79.0.1/16'), parseCidr('10.79.200.1/24')));
  assert.ok(!overlaps(parseCidr('10.79.0.1/16'), parseCidr('10.80.0.1/16')));
  assert.ok(overlaps(parseCidr('10.0.0.1/8'), parseCidr('10.200.3.4/32', 0)));
  assert.ok(!overlaps(parseCidr('192.168.0.1/24'), parseCidr('192.0.2.2/24')));
});
