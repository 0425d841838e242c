/** Free TCP ports on loopback for tests that start servers on fixed ports. */
import net from 'node:net';

/**
 * Ports already handed out by this process: the kernel may give a port that was just
 * closed to the next listen(0), so two calls in a row (a platform's API and router
 * ports) could otherwise get the same one and the second server would fail to start.
 */
const given = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const { port: p } = s.address() as net.AddressInfo;
        s.close(() => resolve(p));
      });
    });
    if (!given.has(port)) {
      given.add(port);
      return port;
    }
  }
}
