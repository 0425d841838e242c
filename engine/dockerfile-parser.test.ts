import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile, splitFlags } from './dockerfile-parser';
import { DockerfileError } from './errors';

describe('parseDockerfile', () => {
  test('instructions, lines, comments, continuations, JSON and shell forms', () => {
    const { instructions, escape } = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        '# a comment',
        'from paas/stack:bookworm',
        '',
        'RUN apt-get update && \\',
        '    # a comment inside',
        '    apt-get install -y curl',
        'COPY --chown=paas:paas --chmod=644 a.txt b.txt /app/',
        'CMD ["node", "server.js"]',
        'ENTRYPOINT [not json',
      ].join('\n'),
    );
    assert.equal(escape, '\\');
    assert.deepEqual(
      instructions.map((i) => [i.line, i.keyword]),
      [[3, 'FROM'], [5, 'RUN'], [8, 'COPY'], [9, 'CMD'], [10, 'ENTRYPOINT']],
    );
    assert.equal(instructions[1]!.args, 'apt-get update &&     apt-get install -y curl');
    assert.deepEqual(instructions[2]!.flags, { chown: 'paas:paas', chmod: '644' });
    assert.equal(instructions[2]!.args, 'a.txt b.txt /app/');
    assert.equal(instructions[2]!.original, '--chown=paas:paas --chmod=644 a.txt b.txt /app/');
    assert.deepEqual(instructions[3]!.json, ['node', 'server.js']);
    assert.equal(instructions[4]!.json, undefined, 'broken JSON falls back to the shell form');
  });

  test('the escape directive makes ` the continuation character', () => {
    const { instructions, escape } = parseDockerfile('# escape=`\nFROM scratch\nRUN echo a `\n  b\\c');
    assert.equal(escape, '`');
    assert.equal(instructions[1]!.args, 'echo a   b\\c');
  });

  test('directives after the first ordinary line are comments', () => {
    const { escape } = parseDockerfile('FROM scratch\n# escape=`\n');
    assert.equal(escape, '\\');
  });

  test('refuses a bad escape directive and garbage keywords, naming the line', () => {
    assert.throws(() => parseDockerfile('# escape=x\nFROM scratch'), DockerfileError);
    assert.throws(() => parseDockerfile('FROM scratch\n\n$$$ x'), /line 3/);
  });

  test('flags stop at the first non-flag word', () => {
    assert.deepEqual(splitFlags('--link --from=x a --b'), { flags: { link: '', from: 'x' }, rest: 'a --b' });
  });
});
