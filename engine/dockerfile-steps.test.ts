import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from './dockerfile-parser';
import { applyArg, applyMetadata, runArgsEnv, stageVars, type Stage } from './dockerfile-steps';
import { canonicalJson, stateId } from './dockerfile-cache';
import { normalizeRef } from './dockerfile-from';

function stage(): Stage {
  return {
    state: { layers: ['sha256:aa'], config: { Env: ['PATH=/bin', 'HOME=/app'], Cmd: ['/bin/bash'] } },
    args: new Map(),
    globalArgs: new Map([['VERSION', '1.2']]),
    shell: ['/bin/sh', '-c'],
    cmdSet: false,
    escape: '\\',
  };
}

function apply(s: Stage, line: string): void {
  const ins = parseDockerfile(line).instructions[0]!;
  if (ins.keyword === 'ARG') applyArg(ins, s, { FROM_CLI: 'cli' }, new Set());
  else s.state = applyMetadata(ins, s)!;
}

describe('config-only instructions', () => {
  test('ENV, LABEL, EXPOSE, CMD, ENTRYPOINT change the config like Docker', () => {
    const s = stage();
    apply(s, 'ENV GREETING="hello world" HOME=/srv');
    apply(s, 'LABEL org.example.name=$GREETING "b c"=d');
    apply(s, 'EXPOSE 80 53/udp 8000-8002');
    apply(s, 'ENTRYPOINT ["/entry"]');
    const c = s.state.config;
    assert.deepEqual(c.Env, ['PATH=/bin', 'HOME=/srv', 'GREETING=hello world']);
    assert.deepEqual(c.Labels, { 'org.example.name': 'hello world', 'b c': 'd' });
    assert.deepEqual(Object.keys(c.ExposedPorts!), ['80/tcp', '53/udp', '8000/tcp', '8001/tcp', '8002/tcp']);
    assert.deepEqual(c.Entrypoint, ['/entry']);
    assert.equal(c.Cmd, undefined, "ENTRYPOINT drops the base image's CMD");
    apply(s, 'CMD exec node');
    assert.deepEqual(s.state.config.Cmd, ['/bin/sh', '-c', 'exec node']);
    apply(s, 'SHELL ["/bin/bash", "-eu", "-c"]');
    apply(s, 'ENTRYPOINT run me');
    assert.deepEqual(s.state.config.Entrypoint, ['/bin/bash', '-eu', '-c', 'run me']);
    assert.deepEqual(s.state.config.Cmd, ['/bin/sh', '-c', 'exec node'], 'a CMD of this Dockerfile stays');
  });

  test('ARG: defaults, --build-arg, globals re-declared, ENV wins over ARG', () => {
    const s = stage();
    apply(s, 'ARG A=1 FROM_CLI=dflt VERSION');
    apply(s, 'ARG HOME=/argh');
    assert.deepEqual(runArgsEnv(s), { A: '1', FROM_CLI: 'cli', VERSION: '1.2' });
    assert.equal(stageVars(s).get('HOME'), '/app');
  });

  test('state ids ignore key order; refs get :latest', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] }), '{"a":[{"d":2}],"b":1}');
    assert.equal(stateId({ layers: [], config: { User: 'x', Cmd: ['a'] } }), stateId({ config: { Cmd: ['a'], User: 'x' }, layers: [] }));
    assert.equal(normalizeRef('app'), 'app:latest');
    assert.equal(normalizeRef('localhost:5000/app'), 'localhost:5000/app:latest');
    assert.equal(normalizeRef('paas/stack:bookworm'), 'paas/stack:bookworm');
  });
});
