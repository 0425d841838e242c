import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { tempDir } from './fixtures';
import { launchCommand, launchedCommand } from './launch';

const run = promisify(execFile);

test('launchCommand is bash -c with the command as an argument, not spliced into the script', () => {
  const argv = launchCommand('node server.js');
  assert.deepEqual(argv.slice(0, 2), ['/bin/bash', '-c']);
  assert.deepEqual(argv.slice(3), ['paas-launch', 'node server.js']);
  assert.match(argv[2], /^cd '\/app' \|\| exit 1\nexport HOME='\/app'\n/);
  assert.match(argv[2], /'\/app'\/\.profile\.d\/\*\.sh/);
  assert.ok(!argv[2].includes('server.js'));
  assert.throws(() => launchCommand('  '), /empty/);
  assert.equal(launchedCommand(launchCommand('npm start -- --port $PORT')), 'npm start -- --port $PORT', 'the Procfile command is read back');
  assert.equal(launchedCommand(['/bin/bash', '-c', 'npm start']), undefined, 'a plain bash -c is not the launcher');
});

test('the launched command runs in the app dir with HOME set and .profile.d sourced in order', async (t) => {
  const app = path.join(tempDir(t), "app with 'quotes'");
  fs.mkdirSync(path.join(app, '.profile.d'), { recursive: true });
  fs.writeFileSync(path.join(app, '.profile.d', 'a.sh'), 'export ORDER="a"\nexport PATH="$HOME/bin:$PATH"\n');
  fs.writeFileSync(path.join(app, '.profile.d', 'b.sh'), 'export ORDER="$ORDER b"\n');
  fs.writeFileSync(path.join(app, '.profile.d', 'ignored.txt'), 'export ORDER=wrong\n');
  fs.writeFileSync(path.join(app, '.profile'), 'export FROM_PROFILE=yes\n');
  fs.mkdirSync(path.join(app, 'bin'));
  fs.writeFileSync(path.join(app, 'bin', 'hello'), '#!/bin/sh\necho "hello $1"\n', { mode: 0o755 });

  const [cmd, ...args] = launchCommand('GREETING=hi; echo "$ORDER|$FROM_PROFILE|$HOME|$PWD|$GREETING" && hello "$GREETING"', app);
  const { stdout } = await run(cmd, args, { env: { PATH: '/usr/bin:/bin' } });
  assert.equal(stdout, `a b|yes|${app}|${app}|hi\nhello hi\n`);
});

test('a simple command replaces the shell, so the app itself gets SIGTERM', async (t) => {
  const app = tempDir(t);
  const [cmd, ...args] = launchCommand('sleep 30', app);
  const child = spawn(cmd, args, { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  let comm = '';
  for (let i = 0; i < 50 && comm !== 'sleep'; i++) {
    await new Promise((r) => setTimeout(r, 20));
    comm = fs.readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim();
  }
  assert.equal(comm, 'sleep');
  const exited = new Promise((r) => child.on('exit', (_code, signal) => r(signal)));
  child.kill('SIGTERM');
  assert.equal(await exited, 'SIGTERM');
});
