/**
 * `paas apps:rename` on a running app, with real containers: after the rename the new
 * hostname answers through the router at once and keeps answering while the processes
 * are replaced under the new name (a rolling restart), the old one is an unknown app,
 * `paas logs` shows the history, the rename and the new processes' lines, and
 * `git push` to the updated remote deploys.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { DynoInfo } from '../../controller';
import { parseCidr } from '../../engine';
import { removeBridge } from '../../engine/bridge';
import { eventually, loginAsAdmin, newSettings, newUser, request, sampleRepo, sleep, startPaas, type Cli, type PaasSettings, type RunningPaas } from '../helpers/paas';

const isRoot = process.getuid?.() === 0;
const BRIDGE = 'paasq2';
const CIDR = '10.95.0.1/16';

describe('apps:rename of a running app', { skip: !isRoot && 'needs root: runs real containers' }, () => {
  let settings: PaasSettings;
  let paas: RunningPaas;
  let user: Cli;
  let repo: string;
  const host = (app: string): string => `${app}.${settings.domain}`;
  const dynos = (app: string): DynoInfo[] => JSON.parse(user.paas(['ps', '-a', app, '--json']).stdout || '[]') as DynoInfo[];
  /** The same without blocking this event loop (requests go on meanwhile). */
  const dynosAsync = async (app: string): Promise<DynoInfo[]> => JSON.parse((await user.paasAsync(['ps', '-a', app, '--json'])).stdout || '[]') as DynoInfo[];

  before(async () => {
    settings = await newSettings({ PAAS_BRIDGE_NAME: BRIDGE, PAAS_BRIDGE_CIDR: CIDR });
    paas = await startPaas(settings);
    user = newUser();
    loginAsAdmin(user, paas);
  });

  after(async () => {
    if (user && paas) {
      for (const app of ['first-name', 'second-name']) user.paas(['apps:destroy', app, '--confirm', app]);
      await eventually('containers to stop', async () => (fs.readdirSync(`${settings.dataDir}/engine/containers`).length === 0 ? true : undefined), 60_000).catch(() => undefined);
    }
    const code = await paas?.stop();
    assert.equal(code, 0, 'paas up exits cleanly on Ctrl-C');
    await removeBridge(BRIDGE, parseCidr(CIDR)).catch(() => undefined);
    for (const dir of [settings?.dataDir, user?.home, repo]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a pushed app answers at its name', async () => {
    repo = sampleRepo(user, 'shell-hello');
    assert.equal(user.paas(['apps:create', 'first-name'], repo).status, 0);
    const push = user.git(['push', 'paas', 'main'], repo);
    assert.equal(push.status, 0, push.stderr + '\n' + paas.output().slice(-4000));
    await eventually('the app to answer', async () => ((await request(settings.routerPort, host('first-name'))).status === 200 ? true : undefined));
  });

  test('after the rename the new hostname answers throughout the restart under the new name; the old one is unknown', async () => {
    const [before] = dynos('first-name');
    assert.equal(before?.state, 'up');

    const rename = user.paas(['apps:rename', 'second-name'], repo);
    assert.equal(rename.status, 0, rename.stderr);
    assert.match(rename.stderr, /^Renaming first-name to second-name\.\.\. done$/m);
    assert.match(rename.stdout, /^http:\/\/second-name\.paas\.localhost:\d+\/ \| http:\/\/127\.0\.0\.1:\d+\/second-name\.git\nGit remote paas updated\n$/);

    // The routers load the new name within moments; from then on no request fails (one
    // every 100 ms), while the process is replaced by one started under the new name.
    await eventually('the new hostname to answer', async () => ((await request(settings.routerPort, host('second-name'))).status === 200 ? true : undefined), 5_000);
    const failures: string[] = [];
    let answered = 0;
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        const r = await request(settings.routerPort, host('second-name')).catch((err: Error) => ({ status: 0, body: err.message }));
        if (r.status === 200) answered++;
        else failures.push(`${r.status} ${r.body.trim().slice(0, 120)}`);
        await sleep(100);
      }
    })();
    const replaced = await eventually('web.1 to run under the new name, and the old process gone', async () => {
      const now = await dynosAsync('second-name');
      return now.length === 1 && now[0]!.id !== before!.id && now[0]!.id.startsWith('second-name-') && now[0]!.state === 'up' ? now[0] : undefined;
    }, 90_000);
    await sleep(2_000);
    stop = true;
    await traffic;
    assert.deepEqual(failures, [], `${answered} requests answered`);
    assert.ok(answered > 10, `${answered} requests answered`);
    assert.equal(replaced.name, 'web.1');
    for (let i = 0; i < 5; i++) assert.equal((await request(settings.routerPort, host('second-name'))).status, 200);

    const old = await request(settings.routerPort, host('first-name'));
    assert.equal(old.status, 404, old.body);
  });

  test('paas logs shows the history, the rename, and the new process and router lines', async () => {
    const text = await eventually('the lines after the rename', async () => {
      const r = user.paas(['logs', '-a', 'second-name', '-n', '1500']);
      assert.equal(r.status, 0, r.stderr);
      return /paas\[router\]: .*host=second-name\.paas\.localhost .*status=200/.test(r.stdout) ? r.stdout : undefined;
    }, 20_000);
    const lines = text.split('\n');
    const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
    const released = at(/paas\[api\]: Release v1 created by admin@paas\.local/);
    const renamed = at(/paas\[api\]: Rename app from first-name to second-name by admin@paas\.local/);
    // The new process's first line (the old one's came before the rename).
    const restarted = lines.findIndex((l, i) => i > renamed && /app\[web\.1\]: shell-hello listening on port 5000/.test(l));
    assert.ok(released >= 0 && renamed > released && restarted > renamed, text);
    const gone = user.paas(['logs', '-a', 'first-name']);
    assert.notEqual(gone.status, 0);
    assert.match(gone.stderr, /Couldn't find that app/);
  });

  test('git push to the updated remote deploys the renamed app', async () => {
    fs.writeFileSync(`${repo}/CHANGES`, 'renamed\n');
    assert.equal(user.git(['add', '-A'], repo).status, 0);
    assert.equal(user.git(['commit', '-q', '-m', 'after the rename'], repo).status, 0);
    const push = user.git(['push', 'paas', 'main'], repo);
    assert.equal(push.status, 0, push.stderr + '\n' + paas.output().slice(-4000));
    assert.match(push.stderr, /remote: {8}Released v2/);
    assert.match(push.stderr, /remote: {8}http:\/\/second-name\.paas\.localhost:\d+\/ deployed to paas/);
    assert.equal((await request(settings.routerPort, host('second-name'))).status, 200);
    assert.equal(dynos('second-name')[0]?.release, 2);
  });
});
