/** The Procfile: `name: command` per line; names as Heroku allows them. */
import { ProcfileError } from './errors';

export const PROCESS_TYPE_PATTERN = /^[A-Za-z0-9_-]+$/;

// Tabs are fine in a command; other control characters mean a binary or mangled file.
const hasControlChars = (text: string): boolean =>
  [...text].some((c) => {
    const code = c.charCodeAt(0);
    return (code < 0x20 && c !== '\t') || code === 0x7f;
  });

/**
 * Parses a Procfile into process types, in file order. Blank lines and `#` comments are
 * skipped; anything else that is not `name: command` throws a ProcfileError naming the line,
 * because a silently ignored line would be a process that never starts.
 */
export function parseProcfile(text: string): Record<string, string> {
  const types: Record<string, string> = {};
  const firstSeen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);

  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;

    const colon = line.indexOf(':');
    if (colon === -1) throw new ProcfileError(`expected "name: command", got "${clip(line)}"`, lineNo);
    const name = line.slice(0, colon).trim();
    const command = line.slice(colon + 1).trim();

    if (!PROCESS_TYPE_PATTERN.test(name)) {
      throw new ProcfileError(
        `process type "${clip(name)}" may only contain letters, digits, dashes and underscores`,
        lineNo,
      );
    }
    if (command === '') throw new ProcfileError(`process type "${name}" has no command`, lineNo);
    if (hasControlChars(command)) throw new ProcfileError(`the command of "${name}" contains control characters`, lineNo);
    const previous = firstSeen.get(name);
    if (previous !== undefined) {
      throw new ProcfileError(`process type "${name}" is declared twice (first on line ${previous})`, lineNo);
    }
    firstSeen.set(name, lineNo);
    types[name] = command;
  });
  return types;
}

function clip(text: string): string {
  const printable = [...text].map((c) => (hasControlChars(c) ? '?' : c)).join('');
  return printable.length > 60 ? `${printable.slice(0, 57)}...` : printable;
}
