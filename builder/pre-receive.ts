/**
 * The pre-receive hook program, run by git-receive-pack for every push. It reads the
 * pushed refs, refuses anything but the main branch with a message that says how to
 * deploy it, streams `git archive` of the new commit to the builder, relays the build
 * log (git shows it as `remote:` lines) and exits non-zero when the build failed, so
 * git declines the push and the branch stays where it was.
 *
 * It runs inside git's quarantine environment, where the new objects are visible.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';

const ZERO = /^0+$/;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function say(line: string): void {
  process.stdout.write(line + '\n');
}

async function main(): Promise<number> {
  const url = process.env.PAAS_BUILDER_URL ?? '';
  const app = process.env.PAAS_APP ?? '';
  const token = fs.readFileSync(process.env.PAAS_BUILDER_TOKEN_FILE ?? '', 'utf8').trim();
  const updates = (await readStdin())
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ') as [string, string, string]);

  // T22: the repository with this push's objects (still in git's quarantine) must stay under the limit.
  const max = Number(process.env.PAAS_MAX_REPO_BYTES ?? 0);
  if (max > 0) {
    const dirs = ['.', process.env.GIT_QUARANTINE_PATH].filter((d): d is string => !!d);
    const bytes = dirs.reduce((sum, d) => sum + Number(spawnSync('du', ['-sb', d], { encoding: 'utf8' }).stdout.split('\t')[0] || 0), 0);
    if (bytes > max) {
      const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;
      say(` !     This push would make the repository ${mb(bytes)}, over the limit of ${mb(max)}.`);
      say(' !     Remove large files from the pushed history (git filter-repo), or ask the operator to raise PAAS_GIT_MAX_REPO_BYTES.');
      return 1;
    }
  }

  const deploy = updates.find(([, , ref]) => ref === 'refs/heads/main' || ref === 'refs/heads/master');
  const others = updates.filter((u) => u !== deploy);
  if (others.length) {
    const branch = others[0][2].replace(/^refs\/heads\//, '');
    say(` !     Pushed to a branch other than main or master; paas deploys only main.`);
    say(` !     To deploy ${branch}, run: git push paas ${branch}:main`);
    return 1;
  }
  if (!deploy) return 0;
  const [, rev] = deploy;
  if (ZERO.test(rev)) {
    say(' !     Deleting the main branch is not allowed.');
    return 1;
  }

  const archive = spawn('git', ['archive', '--format=tar', rev], { stdio: ['ignore', 'pipe', 'inherit'] });
  const status = await new Promise<string>((resolve) => {
    const req = http.request(
      `${url}/internal/apps/${encodeURIComponent(app)}/builds?rev=${rev}`,
      // The hook's parent is this push's git-receive-pack: the gate knows its pid, so a Ctrl-C cancels this build and no other.
      { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-tar', 'x-paas-push': String(process.ppid) } },
      (res) => {
        res.on('data', (d: Buffer) => process.stdout.write(d));
        res.on('end', () => resolve(res.statusCode === 200 ? String(res.trailers['x-paas-build-status'] ?? 'failed') : 'failed'));
        res.on('error', () => resolve('failed'));
        // The builder went away mid-build (killed): the push fails, the branch stays.
        res.on('close', () => {
          if (!res.complete) {
            say(' !     The paas builder stopped during the build. Push again once paas is back.');
            resolve('failed');
          }
        });
      },
    );
    req.on('error', (err) => {
      say(` !     The paas builder is not reachable (${err.message}). Try the push again in a moment.`);
      resolve('failed');
    });
    archive.stdout.pipe(req);
    // git-receive-pack is gone (its client cancelled): stop the build by closing our request.
    process.stdout.on('error', () => {
      req.destroy();
      resolve('failed');
    });
  });
  return status === 'succeeded' ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    say(` !     ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
