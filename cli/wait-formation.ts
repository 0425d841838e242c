/**
 * `ps:scale --wait`: follows the app's processes until each scaled type runs exactly its
 * new quantity, all up on the current release, showing how far it got; a process that
 * crashes meanwhile ends the wait with its reason (waiting on would only hide it).
 */
import type { ControllerClient, DynoInfo } from '../controller';

export type WaitOutcome = { done: true; summary: string } | { done: false; message: string };

export async function waitForFormation(
  client: ControllerClient,
  app: string,
  targets: { type: string; quantity: number }[],
  progress: (text: string) => void,
  timeoutMs = 180_000,
  pollMs = 500,
): Promise<WaitOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [dynos, info] = await Promise.all([client.dynos(app), client.app(app)]);
    const release = info.release_version;
    const ofType = (type: string): DynoInfo[] => dynos.filter((d) => !d.one_off && d.type === type && d.state !== 'down');
    const crashed = targets.flatMap((t) => ofType(t.type).filter((d) => d.state === 'crashed' && d.release === release));
    if (crashed.length > 0) {
      const d = crashed[0]!;
      return { done: false, message: `${d.name} crashed${d.reason ? `: ${d.reason}` : ''}. See \`paas logs --ps ${d.name} -a ${app}\`.` };
    }
    const counts = targets.map((t) => ({ ...t, up: ofType(t.type).filter((d) => d.state === 'up' && d.release === release).length, all: ofType(t.type).length }));
    const text = counts.map((c) => `${c.type} ${c.up}/${c.quantity} up`).join(', ');
    if (counts.every((c) => c.up === c.quantity && c.all === c.quantity)) return { done: true, summary: text };
    progress(text);
    if (Date.now() > deadline) {
      return { done: false, message: `Not there after ${Math.round(timeoutMs / 1000)} s (${text}). The scale is recorded and goes on: see \`paas ps -a ${app}\` and \`paas logs -a ${app}\`.` };
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
