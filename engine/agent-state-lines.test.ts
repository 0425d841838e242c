import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchCommand } from '../buildpacks/launch';
import { commandText, lines } from './agent-state-lines';

test("state lines read as Heroku's", () => {
  assert.equal(lines.starting(['bash', '-c', 'npm start']), 'Starting process with command `npm start`');
  assert.equal(lines.starting(['node', 'server.js', 'a b']), "Starting process with command `node server.js 'a b'`");
  // A buildpack app's process: the Procfile's command, not the launcher that sources .profile.d first.
  assert.equal(lines.starting(launchCommand('node server.js | tee x')), 'Starting process with command `node server.js | tee x`');
  assert.equal(lines.stateChanged('starting', 'up'), 'State changed from starting to up');
  assert.equal(lines.stateChanged('up', 'crashed'), 'State changed from up to crashed');
  assert.equal(lines.exited(137), 'Process exited with status 137');
  assert.equal(lines.exited(null), 'Process exited (status unknown)');
  assert.equal(lines.stopping(), 'Stopping all processes with SIGTERM');
  assert.equal(lines.exitTimeout(30_000), 'Error R12 (Exit timeout): at least one process failed to exit within 30 seconds of SIGTERM');
  assert.equal(lines.oom(), 'Error R15 (Memory quota vastly exceeded): killed due to lack of available memory');
});

test('commandText shows a bash -c script as written and quotes other words when needed', () => {
  assert.equal(commandText(undefined), "(the image's command)");
  assert.equal(commandText(['/bin/sh', '-c', 'exec web']), 'exec web');
  assert.equal(commandText(['echo', "it's"]), "echo 'it'\\''s'");
});
