/**
 * Scale to answer: the time from `paas scale web=10` (the formation API call) until ten
 * distinct web processes have answered through the router, for a Procfile-only app
 * (shell-hello, whose answer names its dyno). Baseline, same platform and run: the time
 * from `web=1` to that one process answering, so the ratio shows what nine more cost
 * (1.0 would be perfectly parallel starts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ControllerClient } from '../controller';
import { eventually, loginAsAdmin, newSettings, newUser, request, sampleRepo, startPaas } from '../test/helpers/paas';
import { destroyApp, stopPaas } from './cleanup';
import { printTable, type BenchResult } from './table';

const APP = 'scaler';
const BRIDGE = 'paasc7';
const CIDR = '10.91.0.1/24';

/** Scales web to `n` and returns the ms until n distinct dynos answered through the router. */
async function scaleToAnswering(api: ControllerClient, routerPort: number, host: string, n: number): Promise<number> {
  const t0 = performance.now();
  await api.scale(APP, [{ type: 'web', quantity: n }]);
  const seen = new Set<string>();
  while (seen.size < n) {
    const r = await request(routerPort, host).catch(() => ({ status: 0, body: '' }));
    const dyno = /dyno=(\S+)/.exec(r.body)?.[1];
    if (r.status === 200 && dyno) seen.add(dyno);
    else await new Promise((res) => setTimeout(res, 20));
    if (performance.now() - t0 > 300_000) throw new Error(`only ${seen.size} of ${n} dynos answered in 5 minutes`);
  }
  return performance.now() - t0;
}

async function scaleToZero(api: ControllerClient): Promise<void> {
  await api.scale(APP, [{ type: 'web', quantity: 0 }]);
  await eventually('web processes to stop', async () => ((await api.dynos(APP)).some((d) => d.type === 'web') ? undefined : true), 120_000);
}

export async function benchScale(): Promise<BenchResult[]> {
  const settings = await newSettings({ PAAS_BRIDGE_NAME: BRIDGE, PAAS_BRIDGE_CIDR: CIDR, PAAS_STOP_GRACE_MS: '2000' });
  const paas = await startPaas(settings);
  const user = newUser();
  try {
    const api = loginAsAdmin(user, paas);
    const repo = sampleRepo(user, 'shell-hello');
    const server = path.join(repo, 'bin', 'server.pl');
    fs.writeFileSync(server, fs.readFileSync(server, 'utf8').replace('my $body = "Hello from shell-hello\\n";', 'my $body = "Hello from shell-hello dyno=$ENV{DYNO}\\n";'));
    user.git(['commit', '-q', '-am', 'the answer names its dyno'], repo);
    if (user.paas(['apps:create', APP], repo).status !== 0) throw new Error('apps:create failed');
    const push = user.git(['push', 'paas', 'main'], repo);
    if (push.status !== 0) throw new Error(`push failed:\n${push.stderr}`);
    const host = `${APP}.${settings.domain}`;

    await scaleToZero(api);
    const one = await scaleToAnswering(api, settings.routerPort, host, 1);
    await scaleToZero(api);
    const ten = await scaleToAnswering(api, settings.routerPort, host, 10);
    const results: BenchResult[] = [{ name: 'scale web=10 → 10 answering', value: ten, unit: 'ms', baseline: one, baselineName: 'scale web=1 → 1 answering' }];
    await destroyApp(user, settings, APP);
    return results;
  } finally {
    await stopPaas(paas, settings, user, { name: BRIDGE, cidr: CIDR });
  }
}

if (require.main === module) {
  benchScale().then(
    (results) => printTable(results),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
