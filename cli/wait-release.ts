/**
 * `rollback --wait`: follows a release until its deploy is over: succeeded (its
 * processes are up and routed), or failed with the scheduler's reason (the previous
 * release keeps serving), as `git push` does for a build.
 */
import type { ControllerClient } from '../controller';

export type ReleaseOutcome = { done: true } | { done: false; message: string };

export async function waitForRelease(client: ControllerClient, app: string, version: number, timeoutMs = 180_000, pollMs = 500): Promise<ReleaseOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const release = await client.release(app, version);
    if (release.status === 'succeeded') return { done: true };
    if (release.status === 'failed') {
      const serving = (await client.app(app)).release_version;
      return {
        done: false,
        message: `Deploy of v${version} failed: ${(release.status_reason ?? 'no reason was recorded').replace(/\.$/, '')}. ${serving && serving !== version ? `v${serving} keeps serving.` : 'No earlier release serves the app.'} See \`paas releases:info v${version} -a ${app}\` and \`paas logs -a ${app}\`.`,
      };
    }
    if (Date.now() > deadline) return { done: false, message: `v${version} is still deploying after ${Math.round(timeoutMs / 1000)} s. See \`paas ps -a ${app}\` and \`paas logs -a ${app}\`.` };
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
