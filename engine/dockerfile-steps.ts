/**
 * The instructions that only change the image config or the build's own state (ENV,
 * ARG, LABEL, EXPOSE, CMD, ENTRYPOINT, SHELL, MAINTAINER), as pure functions of the
 * stage, and the word-level helpers the others share. No I/O here.
 */
import { posix } from 'node:path';
import type { ImageConfig } from './types';
import type { Instruction } from './dockerfile-parser';
import type { BuildState } from './dockerfile-cache';
import { DockerfileError } from './errors';
import { mergeEnv } from './image-config';
import { expandWord, expandWords, keyValues } from './dockerfile-words';

/** What one FROM…end of file builds: the image so far and the build-only state. */
export interface Stage {
  state: BuildState;
  /** ARGs declared so far, with their values (a --build-arg wins over the default). */
  args: Map<string, string | undefined>;
  /** ARGs declared before FROM: an `ARG NAME` in the stage takes their value. */
  globalArgs: Map<string, string | undefined>;
  /** The shell for shell-form RUN, CMD and ENTRYPOINT (SHELL changes it). */
  shell: string[];
  /** Whether this Dockerfile set CMD (ENTRYPOINT then keeps it; Docker's rule). */
  cmdSet: boolean;
  escape: string;
}

/** Docker passes these build args through without an ARG declaring them. */
export const PREDEFINED_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

export function envMap(env: readonly string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    out.set(eq === -1 ? e : e.slice(0, eq), eq === -1 ? '' : e.slice(eq + 1));
  }
  return out;
}

/** Variables for substitution: ARG values, overridden by ENV (Docker's precedence). */
export function stageVars(stage: Stage): Map<string, string> {
  const vars = new Map<string, string>();
  for (const [k, v] of stage.args) if (v !== undefined) vars.set(k, v);
  for (const [k, v] of envMap(stage.state.config.Env)) vars.set(k, v);
  return vars;
}

/** ARG values a RUN sees in its environment: those no ENV overrides. */
export function runArgsEnv(stage: Stage): Record<string, string> {
  const env = envMap(stage.state.config.Env);
  const out: Record<string, string> = {};
  for (const [k, v] of stage.args) if (v !== undefined && !env.has(k)) out[k] = v;
  return out;
}

/** argv of a RUN/CMD/ENTRYPOINT: the JSON form as written, the shell form through the shell. */
export function commandLine(ins: Instruction, stage: Stage): string[] {
  return ins.json ?? [...stage.shell, ins.args];
}

export function absolutePath(stage: Stage, path: string): string {
  return posix.normalize(posix.isAbsolute(path) ? path : posix.join(stage.state.config.WorkingDir ?? '/', path));
}

/** One expanded argument (WORKDIR, USER). */
export function singleWord(ins: Instruction, stage: Stage): string {
  const value = expandWord(ins.args.trim(), stageVars(stage), stage.escape);
  if (value === '') throw new DockerfileError(`${ins.keyword} needs an argument`, ins.line);
  return value;
}

function withConfig(stage: Stage, config: ImageConfig): BuildState {
  return { layers: stage.state.layers, config };
}

/** Declares ARGs (also updates `stage.args`); the image does not change. */
export function applyArg(ins: Instruction, stage: Stage, buildArgs: Readonly<Record<string, string>>, used: Set<string>): void {
  for (const [name, value] of keyValues(ins.args, stageVars(stage), stage.escape, false)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new DockerfileError(`invalid ARG name: ${name}`, ins.line);
    used.add(name);
    stage.args.set(name, Object.hasOwn(buildArgs, name) ? buildArgs[name] : (value ?? stage.globalArgs.get(name)));
  }
}

/** The new state for a config-only instruction, or undefined if `ins` is not one. */
export function applyMetadata(ins: Instruction, stage: Stage): BuildState | undefined {
  const config = stage.state.config;
  const vars = stageVars(stage);
  switch (ins.keyword) {
    case 'ENV': {
      const pairs = keyValues(ins.args, vars, stage.escape, true);
      if (pairs.length === 0 || pairs.some(([, v]) => v === undefined)) throw new DockerfileError('ENV needs name=value pairs', ins.line);
      return withConfig(stage, { ...config, Env: mergeEnv(config.Env, pairs.map(([k, v]) => `${k}=${v}`)) });
    }
    case 'LABEL':
    case 'MAINTAINER': {
      const pairs: [string, string | undefined][] =
        ins.keyword === 'LABEL' ? keyValues(ins.args, vars, stage.escape, false) : [['maintainer', expandWord(ins.args, vars, stage.escape)]];
      if (pairs.length === 0 || pairs.some(([, v]) => v === undefined)) throw new DockerfileError('LABEL needs key=value pairs', ins.line);
      return withConfig(stage, { ...config, Labels: { ...config.Labels, ...Object.fromEntries(pairs) } as Record<string, string> });
    }
    case 'EXPOSE': {
      const ports: Record<string, Record<string, never>> = { ...config.ExposedPorts };
      for (const word of expandWords(ins.args, vars, stage.escape)) {
        const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(word);
        if (!m) throw new DockerfileError(`invalid port for EXPOSE: ${word}`, ins.line);
        const last = Number(m[2] ?? m[1]);
        for (let p = Number(m[1]); p <= last; p++) ports[`${p}/${(m[3] ?? 'tcp').toLowerCase()}`] = {};
      }
      return withConfig(stage, { ...config, ExposedPorts: ports });
    }
    case 'CMD':
      stage.cmdSet = true;
      return withConfig(stage, { ...config, Cmd: commandLine(ins, stage) });
    case 'ENTRYPOINT': {
      const next: ImageConfig = { ...config, Entrypoint: commandLine(ins, stage) };
      // A base image's CMD makes no sense as arguments to a new ENTRYPOINT.
      if (!stage.cmdSet) delete next.Cmd;
      return withConfig(stage, next);
    }
    case 'SHELL':
      if (!ins.json || ins.json.length === 0) throw new DockerfileError('SHELL requires the JSON form, e.g. SHELL ["/bin/bash", "-c"]', ins.line);
      stage.shell = ins.json;
      return stage.state;
    default:
      return undefined;
  }
}
