import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineAssembler, formatRecord, parseRecord, splitLines, utf8Cut } from './logs-format';

const rec = (s: string) => parseRecord(Buffer.from(s))!;

test('parses CRI records; anything else is not one', () => {
  assert.deepEqual(rec('2026-11-23T18:45:09.893060307+00:00 stdout F hello world'), {
    time: '2026-11-23T18:45:09.893060307+00:00', stream: 'stdout', partial: false, content: Buffer.from('hello world'),
  });
  assert.equal(rec('2026-11-23T18:45:09.8Z stderr P ab ').partial, true);
  assert.equal(rec('2026-11-23T18:45:09.8Z stderr P ab ').content.toString(), 'ab ');
  assert.equal(rec('2026-11-23T18:45:09.8Z stdout F').content.length, 0, 'an empty line');
  for (const bad of ['', 'plain text', '2026 stdin F x', '2026 stdout X x', '2026 stdout Fx']) assert.equal(parseRecord(Buffer.from(bad)), undefined, bad);
  assert.deepEqual(rec(formatRecord('2026-01-01T00:00:00.000Z', 'stderr', 'boot\ntimeout').trimEnd()).content.toString(), 'boot timeout');
});

test('joins partial records per stream and splits lines over 10,000 bytes', () => {
  const a = new LineAssembler();
  assert.deepEqual(a.push(rec('t1 stdout P abc')), []);
  assert.deepEqual(a.push(rec('t2 stderr F err')), [{ time: 't2', stream: 'stderr', line: 'err' }]);
  assert.deepEqual(a.push(rec('t3 stdout F def')), [{ time: 't3', stream: 'stdout', line: 'abcdef' }]);
  const long = 'x'.repeat(8192);
  assert.deepEqual(a.push(rec(`t4 stdout P ${long}`)), []);
  const out = a.push(rec(`t5 stdout F ${long}${long}`));
  assert.deepEqual(out.map((e) => e.line.length), [10_000, 10_000, 4576]);
  assert.deepEqual(a.push(rec('t6 stdout P tail')), []);
  assert.deepEqual(a.flush('t7'), [{ time: 't7', stream: 'stdout', line: 'tail' }]);
});

test('never splits a UTF-8 character', () => {
  const b = Buffer.from(`${'a'.repeat(9999)}é`); // é is 2 bytes: 10,001 bytes
  assert.equal(utf8Cut(b, 10_000), 9999);
  const a = new LineAssembler();
  const out = a.push({ time: 't', stream: 'stdout', partial: false, content: b });
  assert.deepEqual(out.map((e) => e.line), ['a'.repeat(9999), 'é']);
});

test('splits file bytes into lines, carrying the unterminated rest', () => {
  const first = splitLines(Buffer.alloc(0), Buffer.from('a\nb\npar'));
  assert.deepEqual(first.lines.map(String), ['a', 'b']);
  const second = splitLines(first.rest, Buffer.from('tial\n'));
  assert.deepEqual(second.lines.map(String), ['partial']);
  assert.equal(second.rest.length, 0);
});
