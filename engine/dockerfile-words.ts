/**
 * The small shell-like language of Dockerfile arguments (Docker's shell lexer): words
 * split on unquoted whitespace, 'single' and "double" quotes, the escape character,
 * and variable substitution ($VAR, ${VAR}, ${VAR:-default}, ${VAR:+alternative},
 * ${VAR:?message}) from ENV and ARG. RUN, CMD and ENTRYPOINT are left to the real shell.
 */
import { DockerfileError } from './errors';

export type Vars = ReadonlyMap<string, string>;

/** Splits on unquoted, unescaped whitespace, keeping quotes and escapes in the words. */
export function splitRawWords(text: string, escape = '\\'): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (!quote && /\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    word += c;
    if (c === escape && quote !== "'" && i + 1 < text.length) word += text[++i];
    else if (quote && c === quote) quote = undefined;
    else if (!quote && (c === '"' || c === "'")) quote = c;
  }
  if (quote) throw new DockerfileError(`unterminated ${quote} quote in: ${text}`);
  if (inWord) words.push(word);
  return words;
}

/** Index of the `}` closing the `${` that starts at `open`. */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}' && --depth === 0) {
      return i;
    }
  }
  throw new DockerfileError(`missing } in: ${text}`);
}

function substitute(expr: string, vars: Vars, escape: string): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([\s\S]*))?$/.exec(expr);
  if (!m) throw new DockerfileError(`bad substitution: \${${expr}}`);
  const [, name, op, rest] = m as unknown as [string, string, string | undefined, string | undefined];
  const value = vars.get(name);
  const unset = op?.startsWith(':') ? !value : value === undefined;
  const word = (): string => expandWord(rest ?? '', vars, escape);
  switch (op?.replace(':', '')) {
    case '-':
      return unset ? word() : value!;
    case '+':
      return unset ? '' : word();
    case '?':
      if (unset) throw new DockerfileError(`${name}: ${word() || 'is not set'}`);
      return value!;
    default:
      return value ?? '';
  }
}

/** Reads a `$…` at `i`; returns the expansion and the index after it. */
function dollar(text: string, i: number, vars: Vars, escape: string): [string, number] {
  if (text[i + 1] === '{') {
    const end = closingBrace(text, i);
    return [substitute(text.slice(i + 2, end), vars, escape), end + 1];
  }
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
  if (!m) return ['$', i + 1];
  return [vars.get(m[0]) ?? '', i + 1 + m[0].length];
}

/** One word: quotes removed, escapes applied, variables substituted (whitespace kept). */
export function expandWord(text: string, vars: Vars, escape = '\\'): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; ) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else out += c;
      i++;
    } else if (c === escape && i + 1 < text.length) {
      const next = text[i + 1]!;
      // Inside double quotes the escape only protects ", $ and itself (like sh).
      out += quote === '"' && next !== '"' && next !== '$' && next !== escape ? c + next : next;
      i += 2;
    } else if (c === '"' || (c === "'" && !quote)) {
      quote = quote === c ? undefined : c;
      i++;
    } else if (c === '$') {
      const [value, next] = dollar(text, i, vars, escape);
      out += value;
      i = next;
    } else {
      out += c;
      i++;
    }
  }
  if (quote) throw new DockerfileError(`unterminated ${quote} quote in: ${text}`);
  return out;
}

/** The words of an argument list, each expanded (COPY sources, EXPOSE ports, …). */
export function expandWords(text: string, vars: Vars, escape = '\\'): string[] {
  return splitRawWords(text, escape).map((w) => expandWord(w, vars, escape));
}

/**
 * `key=value` pairs (ENV, LABEL, ARG), or the legacy `KEY value with spaces` form when
 * `legacy` allows it and the first word has no `=`. Keys are expanded too (LABEL).
 */
export function keyValues(text: string, vars: Vars, escape: string, legacy: boolean): [string, string | undefined][] {
  const words = splitRawWords(text, escape);
  if (words.length === 0) return [];
  if (legacy && !words[0]!.includes('=')) {
    if (words.length === 1) throw new DockerfileError(`${words[0]} needs a value: use ${words[0]}=value`);
    const rest = text.trim().slice(words[0]!.length).trim();
    return [[words[0]!, expandWord(rest, vars, escape)]];
  }
  return words.map((w): [string, string | undefined] => {
    const eq = w.indexOf('=');
    if (eq === -1) return [expandWord(w, vars, escape), undefined];
    const key = expandWord(w.slice(0, eq), vars, escape);
    if (key === '') throw new DockerfileError(`empty name in ${w}`);
    return [key, expandWord(w.slice(eq + 1), vars, escape)];
  });
}
