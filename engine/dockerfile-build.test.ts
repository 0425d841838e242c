/**
 * Dockerfile builds against the real thing: RUN steps in runc containers on the stack,
 * COPY/ADD from a real context, the step cache, whiteouts in the final image, and the
 * errors a user sees. Root only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineApi } from './types';
import { collector, skipReason, testEngine, type TestEngineSetup } from './integration-fixture';
import { exec } from './exec';

const skip = skipReason();
const uniq = (name: string): string => `${name}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;

const DOCKERFILE = `# syntax=docker/dockerfile:1
FROM paas/stack:bookworm
ARG GREETING=hello
ENV MODE=test \\
    APP_HOME=/app/srv
USER root
RUN echo "$GREETING from run as $(id -u)" > /opt/run.txt \\
 && rm /etc/issue \\
 && rm -r /etc/apt/apt.conf.d && mkdir /etc/apt/apt.conf.d && touch /etc/apt/apt.conf.d/fresh
USER paas
WORKDIR $APP_HOME
COPY --chown=paas:paas app.txt lib/ ./
ADD bundle.tar /opt/bundle/
RUN id -u > uid.txt && cat app.txt > copy-of-app.txt
EXPOSE 8080
LABEL org.example.app=demo
CMD ["cat", "app.txt"]
`;
const STEPS = 13;

async function run(engine: EngineApi, image: string, script?: string): Promise<string> {
  const out = collector();
  const spec = script ? { id: uniq('check'), image, cmd: ['/bin/sh', '-c', script] } : { id: uniq('check'), image };
  const r = await engine.run(spec, { output: out.stream });
  assert.equal(r.exitCode, 0, out.text());
  return out.text();
}

test('Dockerfile builds', { skip, timeout: 600_000 }, async (t) => {
  const setup: TestEngineSetup = await testEngine('paash4', '10.235.0.1/16');
  const ctx = await mkdtemp(join(tmpdir(), 'paas-dockerfile-ctx-'));
  let engine: EngineApi;
  const build = async (tag: string, extra: { dockerfile?: string; buildArgs?: Record<string, string> } = {}) => {
    const out = collector();
    const started = Date.now();
    const info = await engine.buildDockerfile({ contextDir: ctx, tag, output: out.stream, ...extra });
    return { info, out: out.text(), ms: Date.now() - started };
  };
  try {
    engine = await setup.open();
    await engine.ensureStack();
    await writeFile(join(ctx, 'Dockerfile'), DOCKERFILE);
    await writeFile(join(ctx, 'app.txt'), 'app v1\n');
    await mkdir(join(ctx, 'lib'));
    await writeFile(join(ctx, 'lib/x.js'), 'module.exports = 1;\n');
    await mkdir(join(ctx, 'bundle-src/inner'), { recursive: true });
    await writeFile(join(ctx, 'bundle-src/inner/file.txt'), 'from the tarball\n');
    await exec('tar', ['-cf', join(ctx, 'bundle.tar'), '-C', join(ctx, 'bundle-src'), '.']);

    await t.test('builds on the stack: RUN, COPY, ADD, ENV, ARG, WORKDIR, USER, CMD', async () => {
      const { info, out, ms } = await build('test/df:v1', { buildArgs: { GREETING: 'hi' } });
      t.diagnostic(`first build: ${ms} ms`);
      assert.match(out, /^Step 1\/13 : FROM paas\/stack:bookworm\n ---> [0-9a-f]{12}\n/);
      assert.match(out, /Step 5\/13 : RUN echo "\$GREETING from run/);
      assert.match(out, / ---> Running in build-/);
      assert.match(out, /Successfully built [0-9a-f]{12}\nSuccessfully tagged test\/df:v1\n$/);
      assert.equal(info.config.User, '1000:1000');
      assert.equal(info.config.WorkingDir, '/app/srv');
      assert.deepEqual(info.config.Cmd, ['cat', 'app.txt']);
      assert.deepEqual(info.config.ExposedPorts, { '8080/tcp': {} });
      assert.equal(info.config.Labels?.['org.example.app'], 'demo');
      assert.ok(info.config.Env?.includes('MODE=test'));
      assert.ok(!info.config.Env?.some((e) => e.startsWith('GREETING=')), 'ARGs are not kept in the image');

      const seen = await run(
        engine,
        'test/df:v1',
        'cat /opt/run.txt; pwd; id -u; cat x.js uid.txt copy-of-app.txt /opt/bundle/inner/file.txt; echo "$MODE"; stat -c "%U %a" /app/srv/app.txt /app/srv /app',
      );
      assert.equal(
        seen,
        'hi from run as 0\n/app/srv\n1000\nmodule.exports = 1;\n1000\napp v1\nfrom the tarball\ntest\npaas 644\npaas 755\npaas 755\n',
      );
      assert.equal(await run(engine, 'test/df:v1'), 'app v1\n', 'the image CMD');
    });

    await t.test('files deleted by a RUN are hidden in the image (whiteouts)', async () => {
      const seen = await run(engine, 'test/df:v1', 'test -e /etc/issue && echo issue-visible; ls /etc/apt/apt.conf.d');
      assert.equal(seen, 'fresh\n');
    });

    await t.test('a second build is all cache hits, and fast', async () => {
      const first = (await engine.image('test/df:v1'))!;
      const { info, out, ms } = await build('test/df:v2', { buildArgs: { GREETING: 'hi' } });
      t.diagnostic(`cached build: ${ms} ms`);
      assert.equal((out.match(/ ---> Using cache/g) ?? []).length, STEPS - 2, out); // all but FROM and ARG
      assert.ok(!out.includes('Running in'), out);
      assert.deepEqual(info.layers, first.layers);
      assert.ok(ms < 5000, `cached build took ${ms} ms`);
    });

    await t.test('a changed copied file rebuilds from its COPY on', async () => {
      await writeFile(join(ctx, 'app.txt'), 'app v2\n');
      const { out } = await build('test/df:v3', { buildArgs: { GREETING: 'hi' } });
      const steps = out.split(/^Step /m).slice(1);
      const cached = steps.map((s) => s.includes('Using cache'));
      // ENV … WORKDIR (steps 3-7) come from the cache; COPY (8) and everything after it do not.
      assert.deepEqual(cached.slice(2, 10), [true, true, true, true, true, false, false, false], out);
      assert.ok(steps[9]!.includes('Running in'), 'the RUN after the COPY runs again');
      assert.equal(await run(engine, 'test/df:v3', 'cat copy-of-app.txt'), 'app v2\n');
    });

    await t.test('a changed build arg reruns the RUN that sees it', async () => {
      const { out } = await build('test/df:v4', { buildArgs: { GREETING: 'bonjour' } });
      assert.match(out, /Step 5\/13 : RUN [^\n]*\n ---> Running in/);
      assert.equal(await run(engine, 'test/df:v4', 'cat /opt/run.txt'), 'bonjour from run as 0\n');
    });

    await t.test('ENTRYPOINT + CMD give the argv; shell forms go through /bin/sh -c', async () => {
      const dockerfile = 'FROM paas/stack:bookworm\nENTRYPOINT ["/bin/echo", "entry"]\nCMD ["a", "b c"]\n';
      const { info } = await build('test/entry:v1', { dockerfile });
      assert.deepEqual(info.config.Entrypoint, ['/bin/echo', 'entry']);
      assert.equal(await run(engine, 'test/entry:v1'), 'entry a b c\n');
      const shell = await build('test/entry:v2', { dockerfile: 'FROM paas/stack:bookworm\nENTRYPOINT echo "shell $HOME"\n' });
      assert.deepEqual(shell.info.config.Entrypoint, ['/bin/sh', '-c', 'echo "shell $HOME"']);
      assert.equal(shell.info.config.Cmd, undefined, "the stack's CMD is dropped by ENTRYPOINT");
      assert.equal(await run(engine, 'test/entry:v2'), 'shell /app\n');
    });

    await t.test('FROM scratch with COPY makes a one-layer image', async () => {
      const { info } = await build('test/scratch:v1', { dockerfile: 'FROM scratch\nCOPY app.txt /\nCMD ["/app.txt"]\n' });
      assert.equal(info.layers.length, 1);
      assert.deepEqual(info.config, { Cmd: ['/app.txt'] });
    });

    await t.test('errors name the line: unsupported instructions, ../ sources, URLs, failing RUN', async () => {
      const fail = (dockerfile: string) => build(uniq('test/fail'), { dockerfile });
      await assert.rejects(fail('FROM paas/stack:bookworm\nENV A=1\nHEALTHCHECK CMD true\n'), /line 3: HEALTHCHECK is not supported/);
      await assert.rejects(fail('FROM paas/stack:bookworm\nFOO bar\n'), /line 2: unknown instruction: FOO/);
      await assert.rejects(fail('FROM paas/stack:bookworm\nCOPY ../x /x\n'), /line 2: COPY failed: forbidden path outside the build context: \.\.\/x/);
      await assert.rejects(fail('FROM paas/stack:bookworm\nADD https://example.com/x /x\n'), /line 2: ADD from a URL is not supported/);
      await assert.rejects(fail('FROM paas/stack:bookworm\nCOPY --from=build /a /b\n'), /line 2: .*multi-stage/);
      await assert.rejects(fail('FROM no/such:image\n'), /line 1: no such image: no\/such:image/);
      await assert.rejects(fail('FROM paas/stack:bookworm\nRUN echo failing; exit 3\n'), {
        code: 'build_step_failed',
        message: "The command '/bin/sh -c echo failing; exit 3' returned a non-zero code: 3",
      });
      assert.deepEqual(await engine.list(), [], 'no build container is left behind');
    });
  } finally {
    await rm(ctx, { recursive: true, force: true });
    await setup.cleanup();
  }
});
