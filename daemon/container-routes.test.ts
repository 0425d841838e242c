/** The plan of routes to other hosts' containers (container-routes.ts): what is set, what is removed, what is never touched. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planRoutes, type RoutePlanInput } from './container-routes';

const host = (hostId: string, n: number, removed = false) => ({ hostId, subnet: `10.101.${n}.0/24`, address: `10.100.0.1${n}`, removed });
const input = (o: Partial<RoutePlanInput>): RoutePlanInput => ({ ours: [], foreign: new Set(), local: new Set(['10.100.0.11']), own: new Set(['10.101.1.0/24']), hosts: [], ...o });

describe('routes to hosts', () => {
  test('every other host gets a route to its subnet via its address; this host, its own subnet and its own addresses get none', () => {
    const plan = planRoutes(input({ hosts: [host('h1', 1), host('h2', 2), host('h3', 3), { hostId: 'same-machine', subnet: '10.101.9.0/24', address: '10.100.0.11', removed: false }] }));
    assert.deepEqual(plan, { replace: [{ subnet: '10.101.2.0/24', via: '10.100.0.12' }, { subnet: '10.101.3.0/24', via: '10.100.0.13' }], remove: [] });
  });

  test('routes already right are left as they are; a host that moved gets its route replaced', () => {
    const plan = planRoutes(input({ ours: [{ subnet: '10.101.2.0/24', via: '10.100.0.12' }, { subnet: '10.101.3.0/24', via: '10.100.0.99' }], hosts: [host('h2', 2), host('h3', 3)] }));
    assert.deepEqual(plan, { replace: [{ subnet: '10.101.3.0/24', via: '10.100.0.13' }], remove: [] });
  });

  test("a removed host's route goes; a silent one's and routes to hosts not heard yet stay", () => {
    const ours = [{ subnet: '10.101.2.0/24', via: '10.100.0.12' }, { subnet: '10.101.3.0/24', via: '10.100.0.13' }, { subnet: '10.101.4.0/24', via: '10.100.0.14' }];
    const plan = planRoutes(input({ ours, hosts: [host('h2', 2, true), host('h3', 3)] }));
    assert.deepEqual(plan, { replace: [], remove: [{ subnet: '10.101.2.0/24', via: '10.100.0.12' }] });
  });

  test('a subnet with a route of someone else (connected, or set by hand) is never shadowed', () => {
    const plan = planRoutes(input({ foreign: new Set(['10.101.2.0/24']), hosts: [host('h2', 2)] }));
    assert.deepEqual(plan, { replace: [], remove: [] });
  });

  test("paas's own leftover routes to this node's subnet or via its own address go", () => {
    const ours = [{ subnet: '10.101.1.0/24', via: '10.100.0.12' }, { subnet: '10.101.7.0/24', via: '10.100.0.11' }];
    assert.deepEqual(planRoutes(input({ ours })).remove, ours);
  });

  test('two hosts claiming one subnet: one route, the same whichever heartbeat came first', () => {
    const a = { hostId: 'a', subnet: '10.101.5.0/24', address: '10.100.0.15', removed: false };
    const b = { hostId: 'b', subnet: '10.101.5.0/24', address: '10.100.0.16', removed: false };
    assert.deepEqual(planRoutes(input({ hosts: [b, a] })).replace, [{ subnet: '10.101.5.0/24', via: '10.100.0.15' }]);
    assert.deepEqual(planRoutes(input({ hosts: [a, b] })).replace, [{ subnet: '10.101.5.0/24', via: '10.100.0.15' }]);
  });
});
