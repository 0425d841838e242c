import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowsUnconditionally, kernelAtLeast, seccompProfile, type OciSeccomp } from './seccomp';
import { CLONE_NAMESPACE_MASK, DOCKER_SECCOMP_RULES } from './security-seccomp-docker';
import { buildOciSpec, DEFAULT_CAPS } from './oci-spec';

const app = seccompProfile({ caps: [], arch: 'x64', kernel: '6.1.0-18-amd64' });
const root = seccompProfile({ caps: DEFAULT_CAPS, arch: 'x64', kernel: '6.1.0-18-amd64' });
const namesOf = (p: OciSeccomp): Set<string> => new Set(p.syscalls.flatMap((r) => r.names));

test("an allow-list like Docker's: everything not listed is EPERM", () => {
  assert.equal(app.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(app.defaultErrnoRet, 1);
  assert.deepEqual(app.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  for (const name of ['read', 'write', 'openat', 'execve', 'epoll_wait', 'futex', 'arch_prctl', 'ptrace']) {
    assert.ok(allowsUnconditionally(app, name), name);
  }
  // Not listed at all, so refused by the default action.
  for (const name of ['io_uring_setup', 'userfaultfd', 'keyctl', 'add_key', 'request_key', 'kexec_load', 'swapon', 'pivot_root']) {
    assert.ok(!namesOf(app).has(name), name);
  }
});

test('without CAP_SYS_ADMIN: no mount, namespaces, bpf, perf; clone only without namespace flags', () => {
  for (const p of [app, root]) {
    for (const name of ['mount', 'umount2', 'unshare', 'setns', 'bpf', 'perf_event_open', 'open_by_handle_at', 'init_module', 'syslog']) {
      assert.ok(!namesOf(p).has(name), name);
    }
    const clone = p.syscalls.filter((r) => r.names.includes('clone'));
    assert.deepEqual(clone, [
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NAMESPACE_MASK, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
    ]);
    assert.deepEqual(p.syscalls.find((r) => r.names.includes('clone3')), { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
  }
});

test('socket and personality are allowed only with the argument values Docker allows', () => {
  const socket = app.syscalls.filter((r) => r.names.includes('socket'));
  assert.ok(socket.every((r) => r.args?.length === 1));
  const allowedFamily = (af: number): boolean =>
    socket.some((r) => (r.args![0]!.op === 'SCMP_CMP_LT' ? af < r.args![0]!.value : af === r.args![0]!.value));
  for (const af of [1, 2, 10, 16, 17]) assert.ok(allowedFamily(af), `family ${af}`);
  for (const af of [38, 40, 46]) assert.ok(!allowedFamily(af), `family ${af} (ALG, VSOCK, beyond)`);
  const personality = app.syscalls.filter((r) => r.names.includes('personality')).map((r) => r.args![0]!.value);
  assert.deepEqual(personality, [0, 8, 131072, 131080, 4294967295]);
});

test('capability-gated rules follow the bounding set', () => {
  assert.ok(!namesOf(app).has('chroot'), 'no CAP_SYS_CHROOT, no chroot');
  assert.ok(namesOf(root).has('chroot'), "root holds CAP_SYS_CHROOT (Docker's default set)");
  const admin = seccompProfile({ caps: ['CAP_SYS_ADMIN'], arch: 'x64', kernel: '6.1' });
  assert.ok(namesOf(admin).has('mount') && namesOf(admin).has('clone3'));
  assert.ok(!admin.syscalls.some((r) => r.names.includes('clone3') && r.action === 'SCMP_ACT_ERRNO'));
});

test('architecture and kernel filters', () => {
  const arm = seccompProfile({ caps: [], arch: 'arm64', kernel: '6.1' });
  assert.deepEqual(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.ok(namesOf(arm).has('set_tls') && !namesOf(arm).has('arch_prctl'));
  const s390 = seccompProfile({ caps: [], arch: 's390x', kernel: '6.1' });
  assert.equal(s390.syscalls.find((r) => r.names.includes('clone'))!.args![0]!.index, 1);
  const old = seccompProfile({ caps: [], arch: 'x64', kernel: '4.4.0' });
  assert.ok(!namesOf(old).has('ptrace'), 'ptrace only from 4.8 (seccomp bypass before)');
  assert.ok(kernelAtLeast('4.8.0-1-amd64', '4.8') && kernelAtLeast('10.0', '4.8') && !kernelAtLeast('4.7.10', '4.8'));
});

test('the rules are well formed: known actions, no empty names, args only with known ops', () => {
  for (const r of DOCKER_SECCOMP_RULES) {
    assert.ok(r.names.length > 0 && r.names.every((n) => /^[a-z0-9_]+$/.test(n)), r.names.join(','));
    if (r.action === 'SCMP_ACT_ERRNO') assert.ok(r.errnoRet !== undefined);
  }
});

test('the OCI spec: app users get an empty bounding set, root the default 14, each its own profile', () => {
  const base = {
    args: ['true'], env: [], cwd: '/', hostname: 'h', pidsLimit: 10, nofile: 1024, cgroupsPath: '/paas/x', mounts: [],
    resolvConf: '/r', hostsFile: '/h',
  };
  type S = { process: { capabilities: Record<string, string[]> }; linux: { seccomp: OciSeccomp } };
  const a = buildOciSpec({ ...base, user: { uid: 1000, gid: 1000 } }) as unknown as S;
  for (const set of ['bounding', 'effective', 'permitted', 'inheritable', 'ambient']) assert.deepEqual(a.process.capabilities[set], [], set);
  assert.ok(!namesOf(a.linux.seccomp).has('chroot'));
  const r = buildOciSpec({ ...base, user: { uid: 0, gid: 0 } }) as unknown as S;
  assert.deepEqual(r.process.capabilities.bounding, DEFAULT_CAPS);
  assert.equal(DEFAULT_CAPS.length, 14);
  assert.ok(namesOf(r.linux.seccomp).has('chroot'));
});
