/** Drain frames as Heroku sends them (RFC 5424 in RFC 6587 octet counting). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AppLogLine } from '../../shared';
import { parseFrames, syslogFrame, syslogMessage } from './syslog-frame';

const line = (o: Partial<AppLogLine> = {}): AppLogLine => ({
  app: 'hello', jobId: 'hello-web-1-abc', processType: 'web', hostId: 'h1', stream: 'stdout', source: 'app', dyno: 'web.1', time: '2026-11-22T15:30:16.123456789Z', line: 'listening on 5000', ...o,
});
const TOKEN = 'd.0a1b2c3d-0000-4000-8000-000000000001';

describe('syslog frames', () => {
  test('RFC 5424 with the time to the microsecond, the token as host, source as app-name, dyno as procid', () => {
    assert.equal(syslogMessage(line(), TOKEN), `<14>1 2026-11-22T15:30:16.123456+00:00 ${TOKEN} app web.1 - - listening on 5000`);
    assert.equal(syslogMessage(line({ source: 'paas', dyno: 'router', line: 'at=info status=200' }), TOKEN), `<14>1 2026-11-22T15:30:16.123456+00:00 ${TOKEN} paas router - - at=info status=200`);
  });

  test('stderr is severity err (<11>); a line without source or dyno falls back to app and the job id', () => {
    assert.match(syslogMessage(line({ stream: 'stderr' }), TOKEN), /^<11>1 /);
    assert.match(syslogMessage(line({ source: undefined, dyno: undefined }), TOKEN), / app hello-web-1-abc - - /);
  });

  test('header fields stay printable ASCII without spaces', () => {
    assert.match(syslogMessage(line({ dyno: 'web 1\u00e9' }), TOKEN), / app web_1_ - - /);
  });

  test('octet counting counts bytes, not characters, and frames parse back', () => {
    const frames = [syslogFrame(line({ line: 'héllo ✓' }), TOKEN), syslogFrame(line({ line: 'second' }), TOKEN)];
    const first = frames[0]!.toString('utf8');
    const [len, ...rest] = first.split(' ');
    assert.equal(Number(len), Buffer.byteLength(rest.join(' ')));
    const all = Buffer.concat(frames);
    const { messages, rest: left } = parseFrames(all.subarray(0, all.length - 3));
    assert.equal(messages.length, 1);
    assert.match(messages[0]!, / - - héllo ✓$/);
    assert.equal(parseFrames(Buffer.concat([left, all.subarray(all.length - 3)])).messages[0]?.endsWith(' - - second'), true);
  });
});
