/**
 * T19 (container hardening conformance) against the real thing: the probe runs as the
 * process of a container the engine made (runc, overlayfs, namespaces, the bridge) and
 * reports what it sees and may do; every pass criterion is checked for an app user
 * (uid 1000) and for root. Root only; needs gcc for the probe.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineApi } from './types';
import { collector, skipReason, testEngine, type TestEngineSetup } from './integration-fixture';
import { STACK_REF } from './stack';
import { mergeEnv } from './image-config';
import { buildProbe, probeBuildSkipReason } from './security-probe-build';
import { parseProbeReport, t19Violations, type ProbeReport } from './security-conformance';

const uniq = (name: string): string => `${name}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;

async function hostNamespaces(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const ns of ['pid', 'mnt', 'net', 'uts', 'ipc', 'cgroup', 'user']) out[ns] = await readlink(`/proc/self/ns/${ns}`);
  return out;
}

test('T19 hardening conformance: probe inside engine containers', { skip: skipReason(), timeout: 300_000 }, async (t) => {
  const noGcc = await probeBuildSkipReason();
  if (noGcc) return t.skip(noGcc);
  // A secret in the engine's own environment must not reach any container.
  process.env.PAAS_T19_SECRET = 'do-not-leak';
  const setup: TestEngineSetup = await testEngine('paash6', '10.237.0.1/16');
  const probeDir = await mkdtemp(join(tmpdir(), 'paas-probe-'));
  try {
    const engine: EngineApi = await setup.open();
    const stack = await engine.ensureStack();
    const probe = await buildProbe('security-probe', probeDir);
    const hostNs = await hostNamespaces();

    const runProbe = async (user?: { uid: number; gid: number }): Promise<{ report: ProbeReport; expectedEnv: string[] }> => {
      const id = uniq(user ? 'probe-root' : 'probe-app');
      const out = collector();
      const err = collector();
      const r = await engine.run(
        { id, image: STACK_REF, cmd: ['/paas-probe'], user, env: { PORT: '5000' }, mounts: [{ source: probe, destination: '/paas-probe', readonly: true }] },
        { output: out.stream, stderr: err.stream, timeoutMs: 60_000 },
      );
      assert.equal(r.exitCode, 0, `probe failed: ${err.text()}`);
      const expectedEnv = mergeEnv(stack.config.Env, [`HOSTNAME=${id}`], ['PORT=5000']);
      return { report: parseProbeReport(out.text()), expectedEnv };
    };

    await t.test('an app container (uid 1000): no capabilities at all, Docker seccomp, masked paths, own namespaces', async () => {
      const { report, expectedEnv } = await runProbe();
      assert.equal(report.uid, 1000);
      assert.equal(report.pid, 1);
      assert.deepEqual(t19Violations(report, { hostNs, expectedEnv, extraMounts: ['/paas-probe'] }), []);
      assert.ok(!report.env.some((e) => e.includes('do-not-leak')));
    });

    await t.test("a root container: Docker's 14 capabilities at most, still no mount, namespaces, bpf, modules", async () => {
      const { report, expectedEnv } = await runProbe({ uid: 0, gid: 0 });
      assert.equal(report.uid, 0);
      assert.equal(report.status.CapEff, '00000000a80425fb');
      assert.deepEqual(t19Violations(report, { hostNs, expectedEnv, extraMounts: ['/paas-probe'] }), []);
    });
  } finally {
    delete process.env.PAAS_T19_SECRET;
    await setup.cleanup();
    await rm(probeDir, { recursive: true, force: true });
  }
});
