import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  asCidr,
  existingAppChains,
  filterRules,
  isolationScript,
  missingJumps,
  natRules,
  removalScript,
  viewKey,
  type IsolationView,
} from './isolation-rules';

const view = (over: Partial<IsolationView> = {}): IsolationView => ({
  bridge: 'paas0',
  subnet: '10.77.0.0/16',
  local: [
    { ip: '10.77.0.2', app: 'shop' },
    { ip: '10.77.0.3', app: 'shop' },
    { ip: '10.77.0.4', app: 'blog' },
  ],
  remote: { shop: ['10.78.0.9'], mail: ['10.78.0.10'] },
  peerSubnets: ['10.78.0.0/16'],
  nodes: ['10.0.0.0/24', '192.168.1.5'],
  resolvers: ['10.255.255.53'],
  ...over,
});

/** The rules of one chain, in order, without the `-A chain ` prefix. */
function chain(script: string, name: string): string[] {
  return script
    .split('\n')
    .filter((l) => l.startsWith(`-A ${name} `))
    .map((l) => l.slice(`-A ${name} `.length));
}

const rules = (v = view()): string[] => chain(filterRules(v).script, 'PAAS-ISO-paas0');
const lastIndex = (list: string[], match: (l: string) => boolean): number => list.reduce((last, l, i) => (match(l) ? i : last), -1);
const indexOf = (list: string[], rule: string): number => {
  const i = list.indexOf(rule);
  assert.notEqual(i, -1, `missing rule: ${rule}\n${list.join('\n')}`);
  return i;
};

test('answers pass first: an established connection keeps working whatever changes', () => {
  assert.equal(rules()[0], '-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
});

test('a packet from the bridge with a source outside its subnet is dropped (no posing as a node or another app)', () => {
  assert.equal(rules()[1], '-i paas0 ! -s 10.77.0.0/16 -j DROP');
});

test('published ports (DNAT) stay reachable', () => {
  indexOf(rules(), '-o paas0 -m conntrack --ctstate DNAT -j ACCEPT');
});

test('into a container: its app chain first, then containers of any subnet dropped, then nodes accepted, then everyone else dropped', () => {
  const r = rules();
  const shop2 = indexOf(r, '-o paas0 -d 10.77.0.2/32 -j PIA-paas0-1');
  const shop3 = indexOf(r, '-o paas0 -d 10.77.0.3/32 -j PIA-paas0-1');
  const blog = indexOf(r, '-o paas0 -d 10.77.0.4/32 -j PIA-paas0-0');
  const ownSubnet = indexOf(r, '-o paas0 -s 10.77.0.0/16 -j DROP');
  const peerSubnet = indexOf(r, '-o paas0 -s 10.78.0.0/16 -j DROP');
  const node = indexOf(r, '-o paas0 -s 10.0.0.0/24 -j ACCEPT');
  const nodeAddress = indexOf(r, '-o paas0 -s 192.168.1.5/32 -j ACCEPT');
  const rest = indexOf(r, '-o paas0 -j DROP');
  assert.ok(Math.max(shop2, shop3, blog) < Math.min(ownSubnet, peerSubnet), 'app pairs are decided before containers are dropped');
  // A node CIDR wide enough to hold the container subnets must not let containers in.
  assert.ok(Math.max(ownSubnet, peerSubnet) < Math.min(node, nodeAddress), 'containers are dropped before nodes are accepted');
  assert.ok(Math.max(node, nodeAddress) < rest);
});

test("an app's chain accepts exactly its containers, on this host and on others", () => {
  const s = filterRules(view()).script;
  assert.deepEqual(chain(s, 'PIA-paas0-1'), ['-s 10.77.0.2/32 -j ACCEPT', '-s 10.77.0.3/32 -j ACCEPT', '-s 10.78.0.9/32 -j ACCEPT']);
  assert.deepEqual(chain(s, 'PIA-paas0-0'), ['-s 10.77.0.4/32 -j ACCEPT']);
  // An app with no container here gets no chain: nothing here to reach.
  assert.doesNotMatch(s, /10\.78\.0\.10/);
});

test("out of a container: its resolvers on port 53, node addresses and the metadata address dropped, other hosts' containers accepted, node networks dropped, the rest accepted", () => {
  const r = rules(view({ nodes: ['10.0.0.0/8', '192.168.1.5', '10.78.0.1'] }));
  const dnsUdp = indexOf(r, '-i paas0 -d 10.255.255.53/32 -p udp -m udp --dport 53 -j ACCEPT');
  const dnsTcp = indexOf(r, '-i paas0 -d 10.255.255.53/32 -p tcp -m tcp --dport 53 -j ACCEPT');
  const nodeAddress = indexOf(r, '-i paas0 -d 192.168.1.5/32 -j DROP');
  // Another host whose address lies in its container subnet (its bridge address) stays a node.
  const hostInPeerSubnet = indexOf(r, '-i paas0 -d 10.78.0.1/32 -j DROP');
  const metadata = indexOf(r, '-i paas0 -d 169.254.169.254/32 -j DROP');
  const peerContainers = indexOf(r, '-i paas0 -d 10.78.0.0/16 -j ACCEPT');
  // A node network wide enough to hold the container subnets does not cut one app's hosts apart.
  const nodeNetwork = indexOf(r, '-i paas0 -d 10.0.0.0/8 -j DROP');
  assert.ok(Math.max(dnsUdp, dnsTcp) < Math.min(nodeAddress, hostInPeerSubnet, metadata));
  assert.ok(Math.max(nodeAddress, hostInPeerSubnet, metadata) < peerContainers);
  assert.ok(peerContainers < nodeNetwork);
  assert.equal(r.at(-1), '-i paas0 -j ACCEPT');
  // Every into-container rule comes before the first out-of-container one (a -i -o packet is decided as incoming).
  assert.ok(lastIndex(r, (l) => l.startsWith('-o ')) < r.findIndex((l) => l.startsWith('-i paas0 -d')));
});

test("this host itself drops new connections from other hosts' container subnets (its bridge address is routed like its containers)", () => {
  const s = filterRules(view({ peerSubnets: ['10.78.0.0/16', '10.79.0.0/16', '10.77.0.0/16'] })).script;
  assert.deepEqual(chain(s, 'PAAS-ISI-paas0'), [
    '-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN',
    '-s 10.78.0.0/16 -j DROP',
    '-s 10.79.0.0/16 -j DROP',
  ]);
});

test("out of a container to a node: only the routers' ports, before any node drop (an app calling another by its URL)", () => {
  const r = rules(view({ nodes: ['10.0.0.0/8', '192.168.1.5'], routerPorts: [8443, 8080, 8080] }));
  const toAddress = indexOf(r, '-i paas0 -d 192.168.1.5/32 -p tcp -m multiport --dports 8080,8443 -j ACCEPT');
  const toNetwork = indexOf(r, '-i paas0 -d 10.0.0.0/8 -p tcp -m multiport --dports 8080,8443 -j ACCEPT');
  const firstNodeDrop = Math.min(indexOf(r, '-i paas0 -d 192.168.1.5/32 -j DROP'), indexOf(r, '-i paas0 -d 10.0.0.0/8 -j DROP'));
  assert.ok(Math.max(toAddress, toNetwork) < firstNodeDrop);
  // The metadata address is no node: nothing opens a port on it.
  assert.ok(!r.some((l) => l.includes('169.254.169.254') && l.endsWith('ACCEPT')));
  // Without router ports nothing on a node is open.
  assert.ok(!rules(view({ nodes: ['192.168.1.5'] })).some((l) => l.startsWith('-i paas0 -d 192.168.1.5/32') && l.endsWith('ACCEPT')));
});

test("this host's router ports stay open to its own and other hosts' containers, at its own addresses but never loopback", () => {
  const s = filterRules(view({ routerPorts: [8080, 8443] })).script;
  assert.deepEqual(chain(s, 'PAAS-ISI-paas0'), [
    '-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN',
    '-s 10.77.0.0/16 ! -d 127.0.0.0/8 -p tcp -m multiport --dports 8080,8443 -m addrtype --dst-type LOCAL -j ACCEPT',
    '-s 10.78.0.0/16 ! -d 127.0.0.0/8 -p tcp -m multiport --dports 8080,8443 -m addrtype --dst-type LOCAL -j ACCEPT',
    '-s 10.78.0.0/16 -j DROP',
  ]);
});

test("the machine's resolver is not dropped unless an explicit node CIDR covers it, and then only port 53 stays open", () => {
  const plain = rules(view({ resolvers: ['10.255.255.53'], nodes: ['10.0.0.5'] }));
  assert.ok(!plain.some((l) => /-d 10\.0\.0\.0\/8|-d 10\.255/.test(l) && l.endsWith('DROP')));
  const covered = rules(view({ resolvers: ['10.255.255.53'], nodes: ['10.0.0.0/8'] }));
  assert.ok(indexOf(covered, '-i paas0 -d 10.255.255.53/32 -p udp -m udp --dport 53 -j ACCEPT') < indexOf(covered, '-i paas0 -d 10.0.0.0/8 -j DROP'));
});

test('no apps, no peers: containers reach no container, nodes still reach them', () => {
  const r = rules(view({ local: [], remote: {}, peerSubnets: [], nodes: ['10.0.0.1'] }));
  assert.ok(!r.some((l) => l.includes('PIA-')));
  assert.ok(indexOf(r, '-o paas0 -s 10.77.0.0/16 -j DROP') < indexOf(r, '-o paas0 -s 10.0.0.1/32 -j ACCEPT'));
});

test('names, IPv6 and malformed addresses are skipped, not written', () => {
  assert.equal(asCidr('10.1.2.3'), '10.1.2.3/32');
  assert.equal(asCidr('10.1.0.0/16'), '10.1.0.0/16');
  assert.equal(asCidr('db.internal'), undefined);
  assert.equal(asCidr('fd00::1'), undefined);
  assert.equal(asCidr('10.1.2.3/40'), undefined);
  const r = rules(view({ nodes: ['db.internal', '10.0.0.1;reboot', '10.0.0.2'] }));
  assert.ok(r.every((l) => !l.includes('db.internal') && !l.includes('reboot')));
  indexOf(r, '-o paas0 -s 10.0.0.2/32 -j ACCEPT');
});

test('chains no longer used are flushed and deleted in the same commit', () => {
  const { script, appChains } = filterRules(view(), ['PIA-paas0-0', 'PIA-paas0-1', 'PIA-paas0-2', 'PIA-paas0-3']);
  assert.deepEqual(appChains, ['PIA-paas0-0', 'PIA-paas0-1']);
  const lines = script.split('\n');
  for (const stale of ['PIA-paas0-2', 'PIA-paas0-3']) {
    assert.ok(lines.includes(`:${stale} - [0:0]`), 'declared, hence flushed');
    assert.ok(lines.indexOf(`-X ${stale}`) > lastIndex(lines, (l) => l.startsWith('-A ')), 'deleted after the main chain stopped naming it');
  }
  assert.ok(!lines.includes('-X PIA-paas0-1'));
  assert.equal(lines.at(-2), 'COMMIT');
});

test('other hosts\' container subnets leave unmasqueraded (the receiver must see the container), the own subnet is not listed', () => {
  const nat = natRules(view({ peerSubnets: ['10.78.0.0/16', '10.77.0.0/16', '10.79.0.0/16'] }));
  assert.deepEqual(chain(nat, 'PAAS-NOMASQ-paas0'), ['-d 10.78.0.0/16 -j ACCEPT', '-d 10.79.0.0/16 -j ACCEPT']);
  assert.match(nat, /^\*nat\n:PAAS-NOMASQ-paas0 - \[0:0\]\n/);
});

test('jumps are inserted at the top when missing, and only then', () => {
  const none = missingJumps('', 'paas0', '10.77.0.0/16');
  assert.deepEqual(none.filter, ['-I FORWARD 1 -i paas0 -j PAAS-ISO-paas0', '-I FORWARD 1 -o paas0 -j PAAS-ISO-paas0', '-I INPUT 1 -j PAAS-ISI-paas0']);
  assert.deepEqual(none.nat, ['-I POSTROUTING 1 -s 10.77.0.0/16 -j PAAS-NOMASQ-paas0']);
  const save = ['*filter', '-A INPUT -j PAAS-ISI-paas0', '-A FORWARD -o paas0 -j PAAS-ISO-paas0', '-A FORWARD -i paas0 -j PAAS-ISO-paas0', '*nat', '-A POSTROUTING -s 10.77.0.0/16 -j PAAS-NOMASQ-paas0'].join('\n');
  assert.deepEqual(missingJumps(save, 'paas0', '10.77.0.0/16'), { filter: [], nat: [] });
  // The whole script: jumps after the declarations, one commit per table.
  const { script } = isolationScript(view(), '');
  const lines = script.split('\n');
  assert.ok(lines.indexOf('-I FORWARD 1 -i paas0 -j PAAS-ISO-paas0') > lines.indexOf(':PAAS-ISO-paas0 - [0:0]'));
  assert.ok(lines.indexOf('-I POSTROUTING 1 -s 10.77.0.0/16 -j PAAS-NOMASQ-paas0') > lines.indexOf(':PAAS-NOMASQ-paas0 - [0:0]'));
  assert.equal(lines.filter((l) => l === 'COMMIT').length, 2);
});

test("a bridge's app chains are told apart from those of a bridge whose name extends it", () => {
  const save = [':PIA-paas0-0 - [0:0]', ':PIA-paas0-12 - [0:0]', ':PIA-paas0-x-1 - [0:0]', ':PIA-paas01-0 - [0:0]'].join('\n');
  assert.deepEqual(existingAppChains(save, 'paas0'), ['PIA-paas0-0', 'PIA-paas0-12']);
});

test('removal takes jumps (every copy) and chains away, and nothing when there is nothing', () => {
  const save = [
    '*nat',
    ':PAAS-NOMASQ-paas0 - [0:0]',
    '-A POSTROUTING -s 10.77.0.0/16 -j PAAS-NOMASQ-paas0',
    '*filter',
    ':PAAS-ISO-paas0 - [5:300]',
    ':PAAS-ISI-paas0 - [0:0]',
    ':PIA-paas0-0 - [0:0]',
    '-A INPUT -j PAAS-ISI-paas0',
    '-A FORWARD -i paas0 -j PAAS-ISO-paas0',
    '-A FORWARD -o paas0 -j PAAS-ISO-paas0',
    '-A FORWARD -o paas0 -j PAAS-ISO-paas0',
  ].join('\n');
  const script = removalScript(save, 'paas0', '10.77.0.0/16');
  assert.equal(
    script,
    [
      '*filter',
      '-D INPUT -j PAAS-ISI-paas0',
      '-D FORWARD -i paas0 -j PAAS-ISO-paas0',
      '-D FORWARD -o paas0 -j PAAS-ISO-paas0',
      '-D FORWARD -o paas0 -j PAAS-ISO-paas0', // every copy: a chain still jumped to cannot go
      '-F PAAS-ISO-paas0',
      '-F PAAS-ISI-paas0',
      '-F PIA-paas0-0',
      '-X PAAS-ISO-paas0',
      '-X PAAS-ISI-paas0',
      '-X PIA-paas0-0',
      'COMMIT',
      '*nat',
      '-D POSTROUTING -s 10.77.0.0/16 -j PAAS-NOMASQ-paas0',
      '-F PAAS-NOMASQ-paas0',
      '-X PAAS-NOMASQ-paas0',
      'COMMIT',
      '',
    ].join('\n'),
  );
  assert.equal(removalScript('*filter\n:FORWARD ACCEPT [0:0]', 'paas0', '10.77.0.0/16'), '');
});

test('the key changes exactly when the rules do', () => {
  assert.equal(viewKey(view()), viewKey(view({ local: [...view().local].reverse() })));
  assert.notEqual(viewKey(view()), viewKey(view({ remote: { shop: ['10.78.0.9', '10.78.0.11'] } })));
  assert.notEqual(viewKey(view()), viewKey(view({ peerSubnets: [] })));
});
