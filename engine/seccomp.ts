/**
 * The seccomp profile every container gets: allow by default, refuse (EPERM) the
 * syscalls a PaaS app has no business making: kernel modules and keyrings, mounts,
 * namespaces, clock and swap changes, kexec/reboot, BPF and perf, ptrace of others.
 * Docker's profile is an allow-list of ~350 syscalls; this deny-list covers the same
 * dangerous ground with far less to maintain (a full allow-list is a later hardening).
 */
const DENIED = [
  'acct', 'add_key', 'bpf', 'clock_adjtime', 'clock_settime', 'create_module', 'delete_module', 'finit_module',
  'fsconfig', 'fsmount', 'fsopen', 'fspick', 'get_kernel_syms', 'get_mempolicy', 'init_module', 'ioperm', 'iopl',
  'kcmp', 'kexec_file_load', 'kexec_load', 'keyctl', 'lookup_dcookie', 'mbind', 'mount', 'mount_setattr',
  'move_mount', 'move_pages', 'name_to_handle_at', 'nfsservctl', 'open_by_handle_at', 'open_tree',
  'perf_event_open', 'pivot_root', 'process_vm_readv', 'process_vm_writev', 'ptrace', 'query_module', 'quotactl',
  'reboot', 'request_key', 'set_mempolicy', 'setns', 'settimeofday', 'stime', 'swapoff', 'swapon', 'syslog',
  'umount', 'umount2', 'unshare', 'uselib', 'userfaultfd', 'ustat', 'vhangup', 'vm86', 'vm86old',
];

/** Namespace flags of clone(2): creating namespaces is refused like unshare(2). */
const CLONE_NS_FLAGS = [0x00020000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000, 0x02000000];

const ARCHES: Record<string, string[]> = {
  x64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  arm64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
};

export function seccompProfile(arch: string = process.arch): Record<string, unknown> {
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ARCHES[arch] ?? [],
    syscalls: [
      { names: DENIED, action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      // clone3 passes its flags in a struct seccomp cannot inspect: ENOSYS makes libc fall back to clone.
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      ...CLONE_NS_FLAGS.map((flag) => ({
        names: ['clone'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 1,
        args: [{ index: arch === 's390x' ? 1 : 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }],
      })),
    ],
  };
}
