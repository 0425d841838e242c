/**
 * Dockerfile syntax: parser directives (`# escape=`, `# syntax=`), comments, line
 * continuations, flags (`--chown=…`) and the JSON (exec) form, as Docker's own parser
 * reads them. What an instruction means is decided later (dockerfile-build.ts); this
 * file only says where each one starts and what its parts are.
 */
import { DockerfileError } from './errors';

export interface Instruction {
  /** 1-based line on which the instruction starts (for error messages). */
  line: number;
  /** Upper-cased: RUN, COPY, … */
  keyword: string;
  /** Leading `--name=value` flags (a bare `--name` has the value ''). */
  flags: Record<string, string>;
  /** Everything after the keyword and flags, continuation lines joined. */
  args: string;
  /** The arguments when written as a JSON array of strings (exec form). */
  json?: string[];
  /** The instruction as written after the keyword, for `Step n/m : …` output. */
  original: string;
}

export interface ParsedDockerfile {
  instructions: Instruction[];
  /** The escape character: `\` unless the `escape` directive says '`'. */
  escape: string;
}

/** Instructions whose arguments may be written as a JSON array. */
const JSON_FORMS = new Set(['RUN', 'CMD', 'ENTRYPOINT', 'SHELL', 'COPY', 'ADD', 'VOLUME']);

/** Reads leading parser directives; they must come before any other line. */
function readDirectives(lines: string[]): { escape: string; start: number } {
  let escape = '\\';
  const seen = new Set<string>();
  let i = 0;
  for (; i < lines.length; i++) {
    const m = /^\s*#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/.exec(lines[i]!);
    if (!m) break;
    const name = m[1]!.toLowerCase();
    if (name !== 'escape' && name !== 'syntax' && name !== 'check') break; // an ordinary comment
    if (seen.has(name)) throw new DockerfileError(`parser directive ${name} given twice`, i + 1);
    seen.add(name);
    if (name === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw new DockerfileError(`invalid escape character ${JSON.stringify(m[2])}: use \\ or \``, i + 1);
      escape = m[2];
    }
    // `syntax` names a BuildKit frontend; paas has one built-in syntax, so it is ignored.
  }
  return { escape, start: i };
}

function parseJsonArray(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** Splits `--a=1 --b rest` into flags and the rest (flags come first, Docker-style). */
export function splitFlags(text: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = text;
  for (;;) {
    const m = /^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(rest);
    if (!m) break;
    flags[m[1]!] = m[2] ?? '';
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

function toInstruction(line: number, text: string): Instruction {
  const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(text);
  if (!m) throw new DockerfileError('cannot parse instruction', line);
  const keyword = m[1]!.toUpperCase();
  const original = (m[2] ?? '').trim();
  if (!/^[A-Z]+$/.test(keyword)) throw new DockerfileError(`unknown instruction: ${m[1]}`, line);
  const { flags, rest } = splitFlags(original);
  const json = JSON_FORMS.has(keyword) ? parseJsonArray(rest) : undefined;
  const instruction: Instruction = { line, keyword, flags, args: rest, original };
  if (json) instruction.json = json;
  return instruction;
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const { escape, start } = readDirectives(lines);
  const instructions: Instruction[] = [];
  let pending: { line: number; parts: string[] } | undefined;
  for (let i = start; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trim();
    // Comments (and, inside a continued instruction, empty lines) are dropped entirely.
    if (trimmed.startsWith('#') || trimmed === '') continue;
    const body = raw.replace(/\s+$/, '');
    const continues = body.endsWith(escape);
    const part = continues ? body.slice(0, -1) : body;
    pending ??= { line: i + 1, parts: [] };
    pending.parts.push(pending.parts.length === 0 ? part.trimStart() : part);
    if (!continues) {
      instructions.push(toInstruction(pending.line, pending.parts.join('').trim()));
      pending = undefined;
    }
  }
  if (pending) instructions.push(toInstruction(pending.line, pending.parts.join('').trim()));
  return { instructions, escape };
}
