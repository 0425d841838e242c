/** Hosts' /24s from the pool (subnet-pool.ts): first free, reserved ranges skipped, full pool reported. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bridgeCidrOf, firstFreeSubnet } from './subnet-pool';

describe('host subnet pool', () => {
  test('the first /24 neither taken nor overlapping a reserved subnet', () => {
    assert.equal(firstFreeSubnet('10.200.0.0/16', []), '10.200.0.0/24');
    assert.equal(firstFreeSubnet('10.200.0.0/16', ['10.200.0.0/24', '10.200.2.0/24']), '10.200.1.0/24');
    assert.equal(firstFreeSubnet('10.200.0.0/16', [], ['10.200.0.0/23', '10.200.2.7']), '10.200.3.0/24');
    assert.equal(firstFreeSubnet('10.200.0.5/22', ['10.200.0.0/24']), '10.200.1.0/24', 'a pool written with a host address counts from its network');
  });

  test('a full pool has none; a pool smaller than a /24 is refused', () => {
    assert.equal(firstFreeSubnet('10.200.0.0/23', ['10.200.0.0/24', '10.200.1.0/24']), undefined);
    assert.throws(() => firstFreeSubnet('10.200.0.0/25', []), /must be a \/24 or larger/);
  });

  test("a host's bridge takes its subnet's first address", () => {
    assert.equal(bridgeCidrOf('10.200.3.0/24'), '10.200.3.1/24');
  });
});
