/**
 * Containers cannot open connections to the host (its API, NATS, database, engine),
 * while the host still reaches them and they still reach each other (RELIABILITY.md
 * T23/T24, the network half). Root only; bridge paash9 10.242.0.1/16.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { collector, skipReason, testEngine } from './integration-fixture';

test('a container reaches neither the host on the bridge nor its loopback services', { skip: skipReason() }, async () => {
  const setup = await testEngine('paash9', '10.242.0.1/16');
  const server = net.createServer((s) => s.end('host service\n'));
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const engine = await setup.open();
    const stack = await engine.ensureStack();
    const probe = (target: string): string =>
      `if timeout 3 bash -c 'exec 3<>/dev/tcp/${target}/${port}' 2>/dev/null; then echo ${target}=open; else echo ${target}=closed; fi`;
    const out = collector();
    const script = [probe(engine.bridgeAddress), probe('127.0.0.1')].join('; ');
    const r = await engine.run({ id: `isolation-${process.pid}`, image: stack.ref, cmd: ['bash', '-c', script], network: 'bridge' }, { output: out.stream });
    assert.equal(r.exitCode, 0, out.text());
    assert.match(out.text(), new RegExp(`${engine.bridgeAddress.replace(/\./g, '\\.')}=closed`));
    assert.match(out.text(), /127\.0\.0\.1=closed/);

    // The host still reaches a container (what the router and readiness checks do).
    await engine.create({ id: `isolation-srv-${process.pid}`, image: stack.ref, cmd: ['perl', '-MIO::Socket::INET', '-e', 'my $s=IO::Socket::INET->new(LocalPort=>7000,Listen=>5,ReuseAddr=>1) or die; while(my $c=$s->accept){print $c "container\\n"; close $c}'], network: 'bridge' });
    const c = await engine.start(`isolation-srv-${process.pid}`);
    const answer = await new Promise<string>((resolve, reject) => {
      const deadline = Date.now() + 10_000;
      const attempt = (): void => {
        const sock = net.connect(7000, c.ip ?? '');
        let data = '';
        sock.on('data', (d) => (data += d.toString()));
        sock.on('end', () => resolve(data));
        sock.on('error', (err) => (Date.now() < deadline ? setTimeout(attempt, 200) : reject(err)));
      };
      attempt();
    });
    assert.equal(answer, 'container\n');
  } finally {
    server.close();
    await setup.cleanup();
  }
});
