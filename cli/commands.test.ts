/**
 * Every command, as oclif loads it from dist/cli/commands: a description and an example
 * for `--help`, and `--json` on every command that lists or shows something. Each command
 * is named in exactly one list below, so a new command must say which kind it is.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { Config, type Command } from '@oclif/core';

const ROOT = path.resolve(__dirname, '..', '..');
const COMMANDS_DIR = path.join(__dirname, 'commands');

/** Commands that list or show something: `--json` gives scripts the resource. */
const LISTS_OR_SHOWS = [
  'access', 'apps', 'apps:info', 'auth:tokens', 'auth:whoami', 'buildpacks', 'builds', 'builds:info', 'certs', 'certs:info',
  'config', 'config:get', 'domains', 'drains', 'engine:containers', 'engine:images', 'engine:info', 'engine:inspect',
  'engine:volumes', 'hosts', 'hosts:info', 'hosts:join-tokens', 'metrics', 'ps', 'ps:scale', 'ps:type', 'releases', 'releases:info',
];
/** Commands that make or remake something and print it: `--json` gives the new resource. */
const CREATES = ['apps:create', 'apps:rename', 'domains:add', 'drains:add', 'hosts:join-token', 'releases:rollback', 'run'];
/** Commands whose output is text by nature, with why it has no `--json`. */
const TEXT: Record<string, string> = {
  'auth:token': 'prints the token alone: already what a script reads',
  'builds:output': "the build's log, as it was streamed",
  logs: "log lines in Heroku's format, followed with --tail",
  autocomplete: 'a shell script',
  help: 'the help text',
  up: 'starts the platform and prints its addresses',
  host: 'starts an engine host',
  'host:join': 'joins this machine to a cluster and starts it as a host',
  'host:check': 'one line per self-check, and its exit code says whether this binary may run the host',
  node: "starts the roles this node's config names",
  login: 'asks for email and password',
  logout: 'forgets the login',
};
/** Commands that change something and report it on stderr. */
const CHANGES = [
  'access:add', 'access:remove', 'apps:destroy', 'buildpacks:add', 'buildpacks:clear', 'buildpacks:remove', 'buildpacks:set',
  'certs:add', 'certs:redirect', 'certs:remove', 'config:set', 'config:unset', 'domains:remove', 'drains:remove', 'engine:stop',
  'git:remote', 'hosts:drain', 'hosts:join-tokens:revoke', 'hosts:remove', 'hosts:undrain', 'ps:restart', 'ps:stop',
];

type Loaded = { id: string; aliases: string[]; cls: Command.Class };

/** dist/cli/commands/apps/info.js → apps:info, index.js → its topic. */
function commandFiles(dir = COMMANDS_DIR, prefix: string[] = []): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return commandFiles(path.join(dir, e.name), [...prefix, e.name]);
    if (!e.name.endsWith('.js')) return [];
    const name = e.name.slice(0, -3);
    return [[...prefix, ...(name === 'index' ? [] : [name])].join(':')];
  });
}

describe('every command', () => {
  let commands: Loaded[];

  before(async () => {
    const config = await Config.load({ root: ROOT });
    const aliases = new Set(config.commands.flatMap((c) => c.aliases));
    commands = await Promise.all(
      config.commands.filter((c) => !aliases.has(c.id)).map(async (c) => ({ id: c.id, aliases: c.aliases, cls: await c.load() })),
    );
  });

  test('oclif finds every file under dist/cli/commands, and each is in one list of this test', () => {
    const ids = commands.map((c) => c.id).sort();
    assert.deepEqual(ids, commandFiles().sort());
    const listed = [...LISTS_OR_SHOWS, ...CREATES, ...Object.keys(TEXT), ...CHANGES].sort();
    assert.deepEqual(listed, ids, 'name each command in exactly one of LISTS_OR_SHOWS, CREATES, TEXT and CHANGES');
  });

  test('has a description and at least one example that runs it by its name or an alias', () => {
    for (const { id, aliases, cls } of commands) {
      assert.ok(cls.description && cls.description.length > 10, `${id}: no description`);
      assert.match(cls.description, /^[a-z]/, `${id}: descriptions are lowercase fragments, like Heroku's`);
      const examples = (cls.examples ?? []).map(String);
      assert.ok(examples.length >= 1, `${id}: no example for --help`);
      const names = [id, ...aliases].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
      for (const e of examples) {
        assert.match(e, /^\$ /, `${id}: an example is a command line: ${e}`);
        assert.match(e, new RegExp(`\\bpaas (${names})(\\s|\\)|$)`), `${id}: the example does not run ${id}: ${e}`);
      }
    }
  });

  test('every flag says what it does; --app is -a wherever it exists', () => {
    for (const { id, cls } of commands) {
      for (const [name, flag] of Object.entries(cls.flags ?? {})) {
        assert.ok(flag.description, `${id} --${name}: no description`);
        if (name === 'app') assert.equal(flag.char, 'a', `${id}: --app is -a`);
      }
    }
  });

  test('--json on every command that lists, shows or creates something, as a plain boolean', () => {
    for (const { id, cls } of commands.filter((c) => LISTS_OR_SHOWS.includes(c.id) || CREATES.includes(c.id))) {
      const json = cls.flags?.json;
      assert.ok(json, `${id}: no --json`);
      assert.equal(json.type, 'boolean', `${id}: --json takes no value`);
    }
  });

  test('--help shows the examples', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'paas'), 'apps:destroy', '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /EXAMPLES\n {2}\$ paas apps:destroy hello --confirm hello\n/);
  });
});
