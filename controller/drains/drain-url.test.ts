/** The drain URLs paas accepts, and the refusal that lists them. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PaasError } from '../../shared';
import { parseDrainUrl } from './drain-url';

describe('drain URLs', () => {
  test('syslog+tls, syslog and https are accepted', () => {
    assert.deepEqual(
      [parseDrainUrl('syslog+tls://logs.example.com:6514'), parseDrainUrl('syslog://10.0.0.5:514'), parseDrainUrl('https://user:pw@logs.example.com/drain?x=1'), parseDrainUrl('syslog+tls://[::1]:6514')].map((t) => [t.kind, t.host, t.port]),
      [['syslog+tls', 'logs.example.com', 6514], ['syslog', '10.0.0.5', 514], ['https', 'logs.example.com', 443], ['syslog+tls', '::1', 6514]],
    );
  });

  for (const [url, why] of [
    ['logs.example.com:6514', /not a drain scheme|not a URL/],
    ['http://logs.example.com/', /use https:\/\//],
    ['ftp://logs.example.com/', /ftp:\/\/ is not a drain scheme/],
    ['syslog+tls://logs.example.com', /needs a port/],
    ['syslog://logs.example.com:514/path', /only syslog:\/\/host:port/],
    ['not a url', /not a URL/],
  ] as const) {
    test(`${url} is refused with the forms that are accepted`, () => {
      assert.throws(() => parseDrainUrl(url), (err: unknown) => err instanceof PaasError && err.status === 422 && why.test(err.message) && /syslog\+tls:\/\/host:port, syslog:\/\/host:port \(unencrypted\) or https:\/\/host\/path/.test(err.message));
    });
  }
});
