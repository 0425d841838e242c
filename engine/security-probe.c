/*
 * paas conformance probe (RELIABILITY.md T19): runs as a container's process and prints
 * one JSON report of what that process can see and do. Built on the host with
 * `gcc -static -O2` (security-probe-build.ts) and bind-mounted read-only into the
 * container, so it needs nothing from the image. It only observes: every attempt is
 * made so that it changes nothing even where it succeeds (in a forked child, with
 * arguments that fail after the permission check, files opened but never written).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static int first;

static void str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}
static void key(const char *k) {
  if (!first) putchar(',');
  first = 0;
  str(k);
  putchar(':');
}
static void open_obj(const char *k) { key(k); putchar('{'); first = 1; }
static void open_arr(const char *k) { key(k); putchar('['); first = 1; }
static void close_obj(void) { putchar('}'); first = 0; }
static void close_arr(void) { putchar(']'); first = 0; }
static void item_str(const char *s) { if (!first) putchar(','); first = 0; str(s); }

/* Runs fn in a child and returns the errno it ended with (0: the call succeeded). */
static int attempt(long (*fn)(void)) {
  pid_t pid = fork();
  if (pid == 0) _exit(fn() < 0 ? errno : 0);
  int st = 0;
  if (pid < 0 || waitpid(pid, &st, 0) < 0) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

/* A fresh directory as target: even a permitted mount or umount there harms nothing. */
static long do_mount(void) {
  mkdir("/tmp/.probe-mnt", 0700);
  long r = mount("probe", "/tmp/.probe-mnt", "tmpfs", 0, "size=4k");
  if (r == 0) umount2("/tmp/.probe-mnt", MNT_DETACH);
  return r;
}
static long do_umount(void) { mkdir("/tmp/.probe-mnt", 0700); return umount2("/tmp/.probe-mnt", 0); }
static long do_unshare_user(void) { return unshare(CLONE_NEWUSER); }
static long do_unshare_ns(void) { return unshare(CLONE_NEWNS); }
static long do_unshare_cgroup(void) { return unshare(CLONE_NEWUSER | CLONE_NEWCGROUP | CLONE_NEWNS); }
static long do_setns(void) { int fd = open("/proc/self/ns/net", O_RDONLY); return fd < 0 ? -1 : setns(fd, CLONE_NEWNET); }
static long do_clone_ns(void) {
  long r = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
  if (r == 0) _exit(0);
  if (r > 0) waitpid((pid_t)r, 0, 0);
  return r;
}
static long do_clone3(void) {
  struct clone_args a = {.flags = CLONE_NEWNS, .exit_signal = SIGCHLD};
  long r = syscall(SYS_clone3, &a, sizeof a);
  if (r == 0) _exit(0);
  return r;
}
static long do_fork(void) { pid_t p = fork(); if (p == 0) _exit(0); if (p > 0) waitpid(p, 0, 0); return p; }
static long do_keyctl(void) { return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0); }
static long do_add_key(void) { return syscall(SYS_add_key, "user", "paas-probe", "x", 1, -3); }
static long do_bpf(void) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_ARRAY; a.key_size = 4; a.value_size = 4; a.max_entries = 1;
  return syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a);
}
static long do_perf(void) {
  struct perf_event_attr a;
  memset(&a, 0, sizeof a);
  a.size = sizeof a; a.type = PERF_TYPE_SOFTWARE; a.config = PERF_COUNT_SW_CPU_CLOCK; a.exclude_kernel = 1;
  return syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}
static long do_open_by_handle(void) {
  struct { unsigned int bytes; int type; unsigned char h[8]; } fh = {8, 1, {0}};
  int root = open("/", O_RDONLY | O_DIRECTORY);
  return syscall(SYS_open_by_handle_at, root, &fh, O_RDONLY);
}
/* An invalid flag: where the caller may load kernels this fails with EINVAL, harmlessly. */
static long do_kexec(void) { return syscall(SYS_kexec_load, 0, 0, NULL, 0x100); }
static long do_init_module(void) { return syscall(SYS_init_module, NULL, 0, ""); }
static long do_delete_module(void) { return syscall(SYS_delete_module, "paas_probe_none", O_NONBLOCK); }
static long do_io_uring(void) { struct io_uring_params p; memset(&p, 0, sizeof p); return syscall(SYS_io_uring_setup, 1, &p); }
static long do_userfaultfd(void) { return syscall(SYS_userfaultfd, 0); }
static long do_socket_inet(void) { return socket(AF_INET, SOCK_STREAM, 0); }
static long do_socket_vsock(void) { return socket(40 /* AF_VSOCK */, SOCK_STREAM, 0); }
static long do_socket_alg(void) { return socket(38 /* AF_ALG */, SOCK_SEQPACKET, 0); }
static long do_personality(void) { return personality(PER_LINUX | ADDR_NO_RANDOMIZE); }
static long do_chroot(void) { return chroot("/"); }
static long do_pivot_root(void) { return syscall(SYS_pivot_root, "/nonexistent", "/nonexistent"); }
static long do_swapon(void) { return syscall(SYS_swapon, "/nonexistent", 0); }
static long do_acct(void) { return syscall(SYS_acct, "/nonexistent"); }
static long do_syslog(void) { char b[64]; return syscall(SYS_syslog, 3 /* READ_ALL */, b, sizeof b); }
static long do_mknod_mem(void) { unlink("/tmp/.probe-mem"); return mknod("/tmp/.probe-mem", S_IFCHR | 0600, makedev(1, 1)); }
static long do_open_mem(void) {
  if (mknod("/tmp/.probe-mem", S_IFCHR | 0600, makedev(1, 1)) < 0 && errno != EEXIST) return -1;
  long fd = open("/tmp/.probe-mem", O_RDONLY);
  unlink("/tmp/.probe-mem");
  return fd;
}
/* A host file paas bind-mounts read-only (the probe itself would only say ETXTBSY). */
static long do_open_hosts_rw(void) { return open("/etc/hosts", O_WRONLY); }

static const struct { const char *name; long (*fn)(void); } CALLS[] = {
  {"mount", do_mount}, {"umount2", do_umount}, {"unshare_user", do_unshare_user}, {"unshare_mnt", do_unshare_ns},
  {"unshare_user_cgroup", do_unshare_cgroup}, {"setns", do_setns}, {"clone_newns", do_clone_ns}, {"clone3", do_clone3},
  {"fork", do_fork}, {"keyctl", do_keyctl}, {"add_key", do_add_key}, {"bpf", do_bpf}, {"perf_event_open", do_perf},
  {"open_by_handle_at", do_open_by_handle}, {"kexec_load", do_kexec}, {"init_module", do_init_module},
  {"delete_module", do_delete_module}, {"io_uring_setup", do_io_uring}, {"userfaultfd", do_userfaultfd},
  {"socket_inet", do_socket_inet}, {"socket_vsock", do_socket_vsock}, {"socket_alg", do_socket_alg},
  {"personality", do_personality}, {"chroot", do_chroot}, {"pivot_root", do_pivot_root}, {"swapon", do_swapon},
  {"acct", do_acct}, {"syslog", do_syslog}, {"mknod_mem", do_mknod_mem}, {"open_mem", do_open_mem},
  {"write_etc_hosts", do_open_hosts_rw},
};

static const char *MASKED[] = {"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
  "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
  "/sys/firmware", "/sys/devices/virtual/powercap"};

/* Opened for writing, never written: a success is reported, not used. */
static const char *WRITES[] = {"/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe", "/proc/sys/vm/drop_caches",
  "/proc/sysrq-trigger", "/sys/kernel/uevent_helper", "/sys/kernel/mm/transparent_hugepage/enabled",
  "/sys/kernel/profiling", "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/pids/pids.max",
  "/sys/fs/cgroup/memory/cgroup.procs", "/sys/fs/cgroup/memory/notify_on_release",
  "/sys/fs/cgroup/memory/release_agent", "/sys/fs/cgroup/release_agent", "/sys/fs/cgroup/cgroup.procs",
  "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/pids.max"};

static void status_fields(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[512];
  open_obj("status");
  while (f && fgets(line, sizeof line, f)) {
    char *colon = strchr(line, ':');
    if (!colon) continue;
    *colon = 0;
    if (strncmp(line, "Cap", 3) && strcmp(line, "NoNewPrivs") && strcmp(line, "Seccomp")) continue;
    char *v = colon + 1;
    while (*v == ' ' || *v == '\t') v++;
    v[strcspn(v, "\n")] = 0;
    key(line);
    str(v);
  }
  if (f) fclose(f);
  close_obj();
}

static void read_masked(const char *path) {
  open_obj(path);
  struct stat st;
  if (stat(path, &st) < 0) { key("errno"); printf("%d", errno); close_obj(); return; }
  long n = 0;
  int err = 0;
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    struct dirent *e;
    if (!d) err = errno;
    while (d && (e = readdir(d))) if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    if (d) closedir(d);
    key("entries");
  } else {
    int fd = open(path, O_RDONLY);
    char buf[4096];
    ssize_t r;
    if (fd < 0) err = errno;
    while (fd >= 0 && (r = read(fd, buf, sizeof buf)) > 0) n += r;
    if (fd >= 0) close(fd);
    key("bytes");
  }
  printf("%ld", n);
  key("errno");
  printf("%d", err);
  close_obj();
}

static void dev_list(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[512], line[1024], target[256];
  while (d && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(path, &st) < 0) continue;
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
      snprintf(line, sizeof line, "%s %c %u:%u", path, S_ISCHR(st.st_mode) ? 'c' : 'b', major(st.st_rdev), minor(st.st_rdev));
    else if (S_ISLNK(st.st_mode)) {
      ssize_t n = readlink(path, target, sizeof target - 1);
      target[n < 0 ? 0 : n] = 0;
      snprintf(line, sizeof line, "%s l %s", path, target);
    } else snprintf(line, sizeof line, "%s %c", path, S_ISDIR(st.st_mode) ? 'd' : 'f');
    item_str(line);
  }
  if (d) closedir(d);
}

static void lines_of(const char *path) {
  FILE *f = fopen(path, "r");
  char line[4096];
  while (f && fgets(line, sizeof line, f)) { line[strcspn(line, "\n")] = 0; item_str(line); }
  if (f) fclose(f);
}

int main(void) {
  char buf[256];
  putchar('{');
  first = 1;
  key("uid"); printf("%d", (int)getuid());
  key("gid"); printf("%d", (int)getgid());
  key("pid"); printf("%d", (int)getpid());
  status_fields();
  open_obj("syscalls");
  for (size_t i = 0; i < sizeof CALLS / sizeof CALLS[0]; i++) { key(CALLS[i].name); printf("%d", attempt(CALLS[i].fn)); }
  close_obj();
  open_obj("masked");
  for (size_t i = 0; i < sizeof MASKED / sizeof MASKED[0]; i++) read_masked(MASKED[i]);
  close_obj();
  open_obj("writes");
  for (size_t i = 0; i < sizeof WRITES / sizeof WRITES[0]; i++) {
    int fd = open(WRITES[i], O_WRONLY);
    key(WRITES[i]);
    printf("%d", fd < 0 ? errno : 0);
    if (fd >= 0) close(fd);
  }
  close_obj();
  open_obj("ns");
  const char *ns[] = {"pid", "mnt", "net", "uts", "ipc", "cgroup", "user"};
  for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
    char p[64];
    snprintf(p, sizeof p, "/proc/self/ns/%s", ns[i]);
    ssize_t n = readlink(p, buf, sizeof buf - 1);
    buf[n < 0 ? 0 : n] = 0;
    key(ns[i]);
    str(buf);
  }
  close_obj();
  open_arr("dev"); dev_list("/dev"); dev_list("/dev/pts"); close_arr();
  open_arr("pids");
  DIR *d = opendir("/proc");
  struct dirent *e;
  while (d && (e = readdir(d))) if (e->d_name[0] >= '0' && e->d_name[0] <= '9') item_str(e->d_name);
  if (d) closedir(d);
  close_arr();
  open_arr("env");
  for (char **v = environ; *v; v++) item_str(*v);
  close_arr();
  open_arr("mountinfo"); lines_of("/proc/self/mountinfo"); close_arr();
  puts("}");
  return 0;
}
