/**
 * A node's settings: PAAS_ROLES parsed and checked, and the per-node KEY=VALUE file read
 * under the environment, with errors that name the file.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig, SETTING_NAMES } from './config';
import { setConfigValues, writeConfigValues } from './config-file';
import { parseRoles, ROLES } from './roles';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-config-file-'));
const NO_DEFAULT = path.join(dir, 'absent.env');
const writeFile = (name: string, text: string): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

describe('PAAS_ROLES', () => {
  test('a comma list in any case and order comes back in start order, each once; all and the default are every role', () => {
    assert.deepEqual(parseRoles(' Router, controller,router '), { roles: ['controller', 'router'] });
    assert.deepEqual(parseRoles('host,scheduler,builder,registry'), { roles: ['scheduler', 'builder', 'registry', 'host'] });
    assert.deepEqual(parseRoles('all'), { roles: [...ROLES] });
    assert.deepEqual(loadConfig({}, NO_DEFAULT).roles, [...ROLES]);
    assert.deepEqual(loadConfig({ PAAS_ROLES: 'router' }, NO_DEFAULT).roles, ['router']);
  });

  test('unknown and empty role lists are refused with the list of roles', () => {
    assert.match(parseRoles('router,edge,db').error ?? '', /^unknown roles edge, db; the roles are controller, scheduler, router, builder, registry, host \(or all\)$/);
    assert.match(parseRoles(' , ').error ?? '', /must name at least one role/);
    assert.throws(() => loadConfig({ PAAS_ROLES: 'routr' }, NO_DEFAULT), /PAAS_ROLES: unknown role routr; the roles are/);
  });

  test('PAAS_CONTROLLER_URL must be a URL; its trailing slash is dropped', () => {
    assert.equal(loadConfig({ PAAS_CONTROLLER_URL: 'http://10.0.0.1:5000/' }, NO_DEFAULT).controllerUrl, 'http://10.0.0.1:5000');
    assert.throws(() => loadConfig({ PAAS_CONTROLLER_URL: '10.0.0.1:5000' }, NO_DEFAULT), /PAAS_CONTROLLER_URL: /);
  });
});

describe('the configuration file', () => {
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("the file's values are used, with comments and quotes, and the environment wins over them", () => {
    const file = writeFile('router.env', '# a router node\nPAAS_ROLES=router\nPAAS_ROUTER_PORT=80\nPAAS_DOMAIN="apps.example.com"\nNATS_URL=nats://10.0.0.1:4222\n');
    const c = loadConfig({ PAAS_CONFIG_FILE: file, PAAS_ROUTER_PORT: '8081', PAAS_DOMAIN: '' }, NO_DEFAULT);
    assert.equal(c.configFile, file);
    assert.deepEqual(c.roles, ['router']);
    assert.equal(c.routerPort, 8081, 'the environment overrides the file');
    assert.equal(c.domain, 'apps.example.com', 'an empty environment value does not hide the file');
    assert.equal(c.natsUrl, 'nats://10.0.0.1:4222');
    assert.equal(c.env?.PAAS_ROUTER_PORT, '8081');
  });

  test('the default file is read when it exists and no file is named', () => {
    const file = writeFile('paas.env', 'PAAS_API_PORT=5100\n');
    assert.equal(loadConfig({}, file).apiPort, 5100);
    assert.equal(loadConfig({}, file).configFile, file);
    assert.equal(loadConfig({}, NO_DEFAULT).configFile, undefined);
  });

  test('a bad value in the file is reported with the file it is in; one from the environment is not', () => {
    const file = writeFile('bad.env', 'PAAS_ROUTER_PORT=eighty\nPAAS_RUNTIME=docker\n');
    assert.throws(() => loadConfig({ PAAS_CONFIG_FILE: file, PAAS_API_PORT: '0' }, NO_DEFAULT), (err: Error) => {
      assert.match(err.message, new RegExp(`fix the environment or ${file}`));
      assert.match(err.message, new RegExp(`PAAS_ROUTER_PORT \\(in ${file}\\): `));
      assert.match(err.message, new RegExp(`PAAS_RUNTIME \\(in ${file}\\): `));
      assert.match(err.message, /\n {2}PAAS_API_PORT: /);
      return true;
    });
    // The environment's good value overrides the file's bad one.
    assert.equal(loadConfig({ PAAS_CONFIG_FILE: file, PAAS_ROUTER_PORT: '80', PAAS_RUNTIME: 'crun' }, NO_DEFAULT).routerPort, 80);
  });

  test('a misspelt setting in the file is refused (the environment holds much else, the file only paas settings)', () => {
    const file = writeFile('typo.env', 'PAAS_ROUTR_PORT=80\nPAAS_GIT_PUSHES_PER_HOUR=10\n');
    assert.throws(() => loadConfig({ PAAS_CONFIG_FILE: file }, NO_DEFAULT), new RegExp(`PAAS_ROUTR_PORT \\(in ${file}\\): not a paas setting`));
    const builderOnly = writeFile('builder.env', 'PAAS_GIT_PUSHES_PER_HOUR=10\n');
    assert.equal(loadConfig({ PAAS_CONFIG_FILE: builderOnly }, NO_DEFAULT).env?.PAAS_GIT_PUSHES_PER_HOUR, '10');
  });

  test('packaging/paas.env.example loads as it is and documents every setting', () => {
    const example = path.resolve(__dirname, '..', '..', 'packaging', 'paas.env.example');
    const text = fs.readFileSync(example, 'utf8');
    assert.deepEqual(loadConfig({ PAAS_CONFIG_FILE: example }, NO_DEFAULT).configFile, example);
    const undocumented = SETTING_NAMES.filter((name) => name !== 'PAAS_CONFIG_FILE' && !new RegExp(`^#?${name}=`, 'm').test(text));
    assert.deepEqual(undocumented, []);
  });

  test('a named file that does not exist, or one that names another file, is refused', () => {
    const missing = path.join(dir, 'nope.env');
    assert.throws(() => loadConfig({ PAAS_CONFIG_FILE: missing }, NO_DEFAULT), new RegExp(`cannot read its configuration file ${missing} \\(no such file\\)`));
    const nested = writeFile('nested.env', 'PAAS_CONFIG_FILE=/etc/other.env\n');
    assert.throws(() => loadConfig({ PAAS_CONFIG_FILE: nested }, NO_DEFAULT), /PAAS_CONFIG_FILE cannot be set inside a configuration file/);
  });
});

describe('setting values in a configuration file (paas host:join)', () => {
  const own = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-config-set-'));
  after(() => fs.rmSync(own, { recursive: true, force: true }));
  test('each key is set where it was, its repeats dropped, new keys appended under the note; comments and other settings stay', () => {
    const before = '# my node\nPAAS_LOG_LEVEL=debug\nexport NATS_URL=nats://old:4222\n#PAAS_HOST_ID=commented\nNATS_URL=nats://older:4222\n\n';
    const after = setConfigValues(before, { NATS_URL: 'nats://10.0.0.1:4222', PAAS_HOST_ID: 'host-7', PAAS_REGISTRY_TOKEN: 'a b#c' }, 'Set by paas host:join');
    assert.equal(after, '# my node\nPAAS_LOG_LEVEL=debug\nNATS_URL=nats://10.0.0.1:4222\n#PAAS_HOST_ID=commented\n\n# Set by paas host:join\nPAAS_HOST_ID=host-7\nPAAS_REGISTRY_TOKEN="a b#c"\n');
    const file = path.join(own, 'set.env');
    fs.writeFileSync(file, after);
    assert.deepEqual(loadConfig({ PAAS_CONFIG_FILE: file }, path.join(own, 'absent.env')).registryToken, 'a b#c');
    assert.equal(setConfigValues('', { A: '1' }, 'n'), '# n\nA=1\n');
  });

  test('the file is written with mode 0600, created with its directory when missing', () => {
    const file = path.join(own, 'new', 'paas.env');
    writeConfigValues(file, { PAAS_HOST_ID: 'h1' }, 'note');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    writeConfigValues(file, { PAAS_HOST_ID: 'h2' }, 'note');
    assert.equal(fs.readFileSync(file, 'utf8'), '# note\nPAAS_HOST_ID=h2\n');
  });
});
