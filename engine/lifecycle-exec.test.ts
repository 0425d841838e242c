import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execProcess, shellQuote, ttyWrapper, type OciProcess } from './lifecycle-exec';
import { signalName } from './lifecycle-signals';

const base: OciProcess = {
  args: ['web'], env: ['PATH=/bin', 'PORT=5000'], cwd: '/app', user: { uid: 1000, gid: 1000, additionalGids: [1000] },
  terminal: false, noNewPrivileges: true, capabilities: { bounding: [] },
};

test('exec keeps the container process spec and overrides argv, env, user, cwd', () => {
  const p = execProcess(base, ['sh', '-c', 'x'], { env: { PORT: '6000', NEW: 'a b' }, user: { uid: 0, gid: 0 }, cwd: '/tmp' });
  assert.deepEqual(p.args, ['sh', '-c', 'x']);
  assert.deepEqual(p.env, ['PATH=/bin', 'PORT=6000', 'NEW=a b']);
  assert.deepEqual(p.user, { uid: 0, gid: 0, additionalGids: [0] });
  assert.equal(p.cwd, '/tmp');
  assert.equal(p.noNewPrivileges, true);
  assert.deepEqual(p.capabilities, { bounding: [] });
  assert.equal(p.terminal, false);
  assert.equal(p.consoleSize, undefined);
  const t = execProcess(base, ['bash'], {}, { rows: 40, cols: 120 });
  assert.equal(t.terminal, true);
  assert.deepEqual(t.consoleSize, { height: 40, width: 120 });
  assert.equal(t.cwd, '/app');
  assert.throws(() => execProcess(base, [], {}), { code: 'invalid_params' });
  assert.throws(() => execProcess(base, ['x'], { cwd: 'rel' }), { code: 'invalid_params' });
  assert.throws(() => execProcess(base, ['x'], { env: { 'A=B': '1' } }), { code: 'invalid_params' });
});

test('the TTY wrapper quotes every argument for script -c', () => {
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  const args = ttyWrapper('/usr/sbin/runc', ['exec', '--process', '/p q.json', "id'; rm -rf /"], { rows: 5, cols: 7 }, '/d/exec 1.tty');
  assert.deepEqual(args.slice(0, 5), ['-q', '-e', '-E', 'never', '-c']);
  assert.equal(args[5], `stty rows 5 cols 7 2>/dev/null; tty > '/d/exec 1.tty'; exec '/usr/sbin/runc' 'exec' '--process' '/p q.json' 'id'\\''; rm -rf /'`);
});

test('signals by name or number', () => {
  assert.equal(signalName('HUP'), 'HUP');
  assert.equal(signalName('sigterm'), 'TERM');
  assert.equal(signalName(9), 'KILL');
  assert.throws(() => signalName('NOPE'), { code: 'invalid_signal' });
  assert.throws(() => signalName(999), { code: 'invalid_signal' });
});
