/**
 * `paas run` attached, end to end with real containers: the CLI binary, the API's
 * WebSocket, NATS to the host's agent, an exec in the one-off's container. Without a
 * terminal: stdout and stderr apart, stdin passed until its end, the exit status passed
 * on. With one (the CLI under util-linux `script`, as in a user's terminal emulator): raw
 * keys typed into bash, the window size at start and after a resize, the exit status.
 * A CLI that vanishes ends its process; a one-off nobody attaches to ends with R13.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { ControllerClient } from '../../controller';
import { eventually, loginAsAdmin, newSettings, newUser, ROOT, sampleRepo, startPaas, type Cli, type PaasSettings, type RunningPaas } from '../helpers/paas';

const isRoot = process.getuid?.() === 0;
const BIN = path.join(ROOT, 'bin', 'paas');
const APP = 'runner';

describe('paas run attached, with real containers', { skip: !isRoot && 'needs root: runs real containers' }, () => {
  let settings: PaasSettings;
  let paas: RunningPaas;
  let user: Cli;
  let env: NodeJS.ProcessEnv;
  let token: string;

  before(async () => {
    settings = await newSettings({ PAAS_BRIDGE_NAME: 'paasq4', PAAS_BRIDGE_CIDR: '10.97.0.1/16', PAAS_ATTACH_WAIT_MS: '4000' });
    paas = await startPaas(settings);
    user = newUser();
    env = { ...process.env, HOME: user.home };
    loginAsAdmin(user, paas);
    token = (JSON.parse(fs.readFileSync(path.join(user.home, '.config', 'paas', 'credentials.json'), 'utf8')) as { token: string }).token;
    const repo = sampleRepo(user, 'shell-hello');
    assert.equal(user.paas(['apps:create', APP], repo).status, 0);
    assert.equal(user.paas(['config:set', 'GREETING=hi there', '-a', APP]).status, 0);
    const push = user.git(['push', 'paas', 'main'], repo);
    assert.equal(push.status, 0, push.stderr);
  });

  after(async () => {
    if (user && paas) {
      user.paas(['apps:destroy', APP, '--confirm', APP]);
      await eventually('containers to stop', async () => (fs.readdirSync(`${settings.dataDir}/engine/containers`).length === 0 ? true : undefined), 60_000).catch(() => undefined);
    }
    const code = await paas?.stop();
    assert.equal(code, 0, 'paas up exits cleanly on Ctrl-C');
    for (const dir of [settings?.dataDir, user?.home]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** `paas run` with pipes (no terminal), stdin given. */
  const runPiped = (args: string[], input = ''): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [BIN, 'run', ...args, '-a', APP], { env, input, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  const oneOffs = (): string[] =>
    (JSON.parse(user.paas(['ps', '--json', '-a', APP]).stdout) as { name: string; one_off: boolean }[]).filter((d) => d.one_off).map((d) => d.name);

  test('without a terminal: stdout and stderr apart, the config, and the exit status', () => {
    const r = runPiped(['echo "out $GREETING on $DYNO"; echo oops >&2; exit 3']);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stdout, /^out hi there on run\.\d{4}\n$/);
    assert.match(r.stderr, /Running .* on runner\.\.\. up, run\.\d{4}/);
    assert.match(r.stderr, /\noops\n/);
    const ok = runPiped(['true']);
    assert.equal(ok.status, 0, ok.stderr);
  });

  test('without a terminal: stdin is passed until its end', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n');
    const r = runPiped(['wc -l; echo done'], `${lines}\n`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '2000\ndone\n');
  });

  test('a large output arrives whole and in order (the send window paces it)', () => {
    const r = runPiped(['seq 1 200000']);
    assert.equal(r.status, 0, r.stderr);
    const got = r.stdout.trimEnd().split('\n');
    assert.equal(got.length, 200_000);
    assert.equal(got[0], '1');
    assert.equal(got[199_999], '200000');
  });

  test('on a terminal: raw keys into bash, the window size at start and after a resize, the exit status', async () => {
    // The CLI runs on a real terminal (script's), sized 30x100; its name is written out
    // so the test can resize it as a terminal emulator would.
    const ttyFile = path.join(os.tmpdir(), `paas-run-tty-${process.pid}`);
    const inner = `stty rows 30 cols 100; tty > ${ttyFile}; exec ${process.execPath} ${BIN} run bash -a ${APP}`;
    const child = spawn('script', ['-q', '-f', '-e', '-E', 'always', '-c', inner, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    try {
      await eventually('the attached shell', async () => (/up, run\.\d{4}/.test(out) ? true : undefined), 60_000);
      child.stdin.write('stty size; echo typed-$((6*7)); tty\r');
      await eventually('the shell to answer', async () => (/typed-42/.test(out) ? true : undefined), 20_000);
      assert.match(out, /30 100/, 'the terminal size at start');
      assert.match(out, /\/dev\/pts\/\d+/, 'the process has a terminal');

      const cliTty = fs.readFileSync(ttyFile, 'utf8').trim();
      assert.match(cliTty, /^\/dev\/pts\/\d+$/);
      assert.equal(spawnSync('stty', ['-F', cliTty, 'rows', '50', 'cols', '120']).status, 0);
      // The resize travels CLI → API → NATS → agent → the container's terminal.
      await eventually('the resize to arrive', async () => {
        child.stdin.write('stty size\r');
        await new Promise((r) => setTimeout(r, 300));
        return /50 120/.test(out) ? true : undefined;
      }, 20_000).catch((err: Error) => assert.fail(`${err.message}; the terminal showed: ${JSON.stringify(out.slice(-600))}`));

      // Ctrl-C is the remote process's on a raw terminal: it interrupts sleep, not the CLI.
      child.stdin.write('sleep 30; echo after-$((2*3))\r');
      await new Promise((r) => setTimeout(r, 1000));
      child.stdin.write('\x03');
      // Computed, so the answer cannot be the terminal's echo of what was typed.
      await eventually('the shell after Ctrl-C', async () => {
        child.stdin.write('echo still-$((1+1))\r');
        await new Promise((r) => setTimeout(r, 500));
        return /still-2/.test(out) ? true : undefined;
      }, 20_000).catch((err: Error) => assert.fail(`${err.message}; the terminal showed: ${JSON.stringify(out.slice(-600))}`));
      assert.doesNotMatch(out, /after-6/);

      child.stdin.write('exit 7\r');
      assert.equal(await exited, 7, out);
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(ttyFile, { force: true });
    }
    const logs = user.paas(['logs', '-a', APP, '-n', '200']).stdout;
    assert.match(logs, /paas\[api\]: Starting process with command `bash` by admin@paas\.local/);
    assert.match(logs, /paas\[run\.\d{4}\]: Process exited with status 7/);
  });

  test('a CLI that vanishes ends its process, as closing a terminal does', async () => {
    const child = spawn(process.execPath, [BIN, 'run', 'sleep 600', '-a', APP], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const name = await eventually('the run to be up', async () => /up, (run\.\d{4})/.exec(err)?.[1], 60_000);
    assert.ok(oneOffs().includes(name));
    child.kill('SIGKILL');
    await eventually(`${name} to end`, async () => (oneOffs().includes(name) ? undefined : true), 30_000);
  });

  test('a one-off nobody attaches to ends with R13; refusals before the upgrade say why', async () => {
    const client = new ControllerClient(paas.api, token);
    const created = await client.runAttached(APP, 'echo never');
    assert.equal(created.attach, true);
    await eventually(`${created.name} to end unattached`, async () => (oneOffs().includes(created.name) ? undefined : true), 30_000);
    await eventually('the R13 line', async () => (/Error R13 \(Attach error\) -> Failed to attach to process/.test(user.paas(['logs', '-a', APP, '-n', '200']).stdout) ? true : undefined), 10_000);

    const refused = async (url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url, { headers });
        ws.on('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        ws.on('open', () => reject(new Error('the upgrade was accepted')));
        ws.on('error', () => undefined);
      });
    const base = paas.api.replace(/^http/, 'ws');
    const gone = await refused(`${base}/apps/${APP}/dynos/${created.name}/attach`, { Authorization: `Bearer ${token}` });
    assert.equal(gone.status, 404);
    assert.match(gone.body, /is waiting for a terminal.*paas run/);
    const anonymous = await refused(`${base}/apps/${APP}/dynos/run.1234/attach`, {});
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.body, /paas login/);
    const unknownApp = await refused(`${base}/apps/nope/dynos/run.1234/attach`, { Authorization: `Bearer ${token}` });
    assert.equal(unknownApp.status, 404);
  });
});
