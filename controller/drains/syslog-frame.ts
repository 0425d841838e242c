/**
 * One log line as Heroku's Logplex sends it to a drain: an RFC 5424 syslog message in
 * RFC 6587 octet-counting framing (`<length> <message>`, the length in bytes), the same
 * frames on syslog connections and, concatenated, in an HTTPS drain's POST body:
 *
 *   83 <14>1 2026-11-22T15:30:16.123456+00:00 d.0a1b… app web.1 - - listening on 5000
 *
 * PRI is facility user (1) with severity info (6) for stdout and the platform's lines,
 * err (3) for stderr: <14> and <11>. (Heroku sends <190>, local7.info, for everything;
 * paas keeps the stream's meaning instead.) HOSTNAME is the drain's token, APP-NAME the
 * source (`app` or `paas`), PROCID the dyno (`web.1`, `router`, `api`); MSGID and
 * STRUCTURED-DATA are nil (`-`).
 */
import type { AppLogLine } from '../../shared';
import { herokuTime } from '../logs/log-format';

const FACILITY_USER = 1;
const SEVERITY_ERR = 3;
const SEVERITY_INFO = 6;

export function priority(l: AppLogLine): number {
  return FACILITY_USER * 8 + (l.stream === 'stderr' ? SEVERITY_ERR : SEVERITY_INFO);
}

/** RFC 5424 header fields are printable US-ASCII without spaces, with a length limit; `-` means none. */
function headerField(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return clean || '-';
}

/** The RFC 5424 message of one line (no framing). */
export function syslogMessage(l: AppLogLine, token: string): string {
  const procid = headerField(l.dyno ?? l.jobId, 128);
  // A line never holds a newline (hosts split on them); one that did would still be framed by its length.
  return `<${priority(l)}>1 ${herokuTime(l.time)} ${headerField(token, 255)} ${headerField(l.source ?? 'app', 48)} ${procid} - - ${l.line}`;
}

/** `<byte length> <message>`: RFC 6587 octet counting. */
export function syslogFrame(l: AppLogLine, token: string): Buffer {
  const message = Buffer.from(syslogMessage(l, token), 'utf8');
  return Buffer.concat([Buffer.from(`${message.length} `, 'ascii'), message]);
}

/** Splits octet-counted frames (what a receiver does): the messages, and the bytes of an incomplete last frame. */
export function parseFrames(data: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let at = 0;
  for (;;) {
    const space = data.indexOf(0x20, at);
    if (space < 0) break;
    const len = Number(data.subarray(at, space).toString('ascii'));
    if (!Number.isInteger(len) || len <= 0) throw new Error(`not an octet-counted frame at byte ${at}`);
    if (space + 1 + len > data.length) break;
    messages.push(data.subarray(space + 1, space + 1 + len).toString('utf8'));
    at = space + 1 + len;
  }
  return { messages, rest: data.subarray(at) };
}
