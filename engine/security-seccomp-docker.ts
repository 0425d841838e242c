/**
 * Docker's default seccomp profile, as data: moby/profiles seccomp/default.json
 * (commit 02e898b1), the profile every `docker run` gets. Kept in Docker's own shape
 * (rules with includes/excludes by capability and architecture) so that a diff against
 * a newer default.json is a diff of this file; seccomp.ts resolves it for one
 * container. Names this host's libseccomp does not know are skipped by runc and crun
 * (crun warns), so newer syscalls stay in the list for newer hosts.
 */

export interface DockerSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: 'SCMP_CMP_EQ' | 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_MASKED_EQ';
}

export interface DockerSeccompRule {
  names: string[];
  action: 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO';
  errnoRet?: number;
  args?: DockerSeccompArg[];
  /** The rule applies only if the container has every one of these caps / runs on one of these arches. */
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string };
  /** The rule does not apply if the container has any of these caps / runs on one of these arches. */
  excludes?: { caps?: string[]; arches?: string[] };
}

/** Go architecture name → seccomp architectures (the native one first). */
export const DOCKER_ARCH_MAP: Record<string, string[]> = {
  amd64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  arm64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
  s390x: ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'],
  riscv64: ['SCMP_ARCH_RISCV64'],
  loong64: ['SCMP_ARCH_LOONGARCH64'],
};

const ALLOWED = `
accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown chown32
clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3
epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old
eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate
fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr
flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate
ftruncate64 futex futex_requeue futex_time64 futex_wait futex_waitv futex_wake futimesat getcpu getcwd
getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer
getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32 getresuid
getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid
gettimeofday getuid getuid32 getxattr getxattrat inotify_add_watch inotify_init inotify_init1
inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get
ioprio_set io_setup io_submit ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self
lchown lchown32 lgetxattr link linkat listen listmount listxattr listxattrat llistxattr _llseek
lremovexattr lseek lsetxattr lstat lstat64 madvise map_shadow_stack membarrier memfd_create memfd_secret
mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify
mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap mseal
msgctl msgget msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat
_newselect open openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free
pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6
pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv recvfrom recvmmsg
recvmmsg_time64 recvmsg remap_file_pages removexattr removexattrat rename renameat renameat2
restart_syscall riscv_hwprobe rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo
rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity
sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler
sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam
sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send
sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32
setgroups setgroups32 setitimer setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid
setresuid32 setreuid setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area
set_tid_address setuid setuid32 setxattr setxattrat shmat shmctl shmdt shmget shutdown sigaltstack
signalfd signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64
statmount statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time timer_create
timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd_create
timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate truncate64
ugetrlimit umask uname unlink unlinkat uretprobe utime utimensat utimensat_time64 utimes vfork vmsplice
wait4 waitid waitpid write writev`;

const words = (s: string): string[] => s.trim().split(/\s+/);

/**
 * Address families socket(2) may create besides those below 12 (Docker's list). Left
 * out: DECnet (12), ECONET (19), ATMSVC (20), IRDA (23), WANPIPE (25), ISDN (34),
 * CAIF (37), ALG (38), VSOCK (40: the channel to the hypervisor) and anything newer.
 */
export const SOCKET_FAMILIES = [13, 14, 15, 16, 17, 18, 21, 22, 24, 26, 27, 28, 29, 30, 31, 32, 33, 35, 36, 39, 41, 42, 43, 44, 45];

/** personality(2) values allowed: PER_LINUX, UNAME26, PER_LINUX32, PER_LINUX32|UNAME26, query. */
const PERSONALITIES = [0, 8, 131072, 131080, 4294967295];

/** clone(2) flags that create namespaces; clone is allowed only without them. */
export const CLONE_NAMESPACE_MASK = 2114060288; // 0x7E020000

const capRule = (names: string, cap: string): DockerSeccompRule => ({
  names: words(names),
  action: 'SCMP_ACT_ALLOW',
  includes: { caps: [cap] },
});

export const DOCKER_SECCOMP_RULES: DockerSeccompRule[] = [
  { names: words(ALLOWED), action: 'SCMP_ACT_ALLOW' },
  { names: ['process_vm_readv', 'process_vm_writev', 'ptrace'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4.8' } },
  { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 12, op: 'SCMP_CMP_LT' }] },
  ...SOCKET_FAMILIES.map((f): DockerSeccompRule => ({
    names: ['socket'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: f, op: 'SCMP_CMP_EQ' }],
  })),
  ...PERSONALITIES.map((p): DockerSeccompRule => ({
    names: ['personality'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: p, op: 'SCMP_CMP_EQ' }],
  })),
  { names: ['sync_file_range2', 'swapcontext'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['ppc64le'] } },
  {
    names: words('arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls'),
    action: 'SCMP_ACT_ALLOW',
    includes: { arches: ['arm', 'arm64'] },
  },
  { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] } },
  { names: ['modify_ldt'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32', 'x86'] } },
  {
    names: ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr'],
    action: 'SCMP_ACT_ALLOW',
    includes: { arches: ['s390', 's390x'] },
  },
  { names: ['riscv_flush_icache'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['riscv64'] } },
  capRule('open_by_handle_at', 'CAP_DAC_READ_SEARCH'),
  capRule(
    'bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie lsm_get_self_attr lsm_list_modules ' +
      'lsm_set_self_attr mount mount_setattr move_mount open_tree perf_event_open quotactl quotactl_fd setdomainname ' +
      'sethostname setns syslog umount umount2 unshare',
    'CAP_SYS_ADMIN',
  ),
  {
    names: ['clone'],
    action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: CLONE_NAMESPACE_MASK, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] },
  },
  {
    names: ['clone'],
    action: 'SCMP_ACT_ALLOW',
    // s390 passes clone's flags as the second argument.
    args: [{ index: 1, value: CLONE_NAMESPACE_MASK, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    includes: { arches: ['s390', 's390x'] },
    excludes: { caps: ['CAP_SYS_ADMIN'] },
  },
  // clone3 passes its flags in memory seccomp cannot read: ENOSYS makes libc fall back to clone.
  { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] } },
  capRule('reboot', 'CAP_SYS_BOOT'),
  capRule('chroot', 'CAP_SYS_CHROOT'),
  capRule('delete_module init_module finit_module', 'CAP_SYS_MODULE'),
  capRule('acct', 'CAP_SYS_PACCT'),
  capRule('kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace', 'CAP_SYS_PTRACE'),
  capRule('iopl ioperm', 'CAP_SYS_RAWIO'),
  capRule('settimeofday stime clock_settime clock_settime64', 'CAP_SYS_TIME'),
  capRule('vhangup', 'CAP_SYS_TTY_CONFIG'),
  capRule('get_mempolicy mbind set_mempolicy set_mempolicy_home_node', 'CAP_SYS_NICE'),
  capRule('syslog', 'CAP_SYSLOG'),
  capRule('bpf', 'CAP_BPF'),
  capRule('perf_event_open', 'CAP_PERFMON'),
];
