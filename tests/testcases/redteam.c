/* Testcase: a hostile tool. argv[1] names an attack, argv[2] its target (if
 * any); the last argument is the test's marker. It prints one JSON line:
 *   {"attack": "...", "blocked": true|false, "errno": N, "detail": "..."}
 * "blocked" is the tool's own view: the attack did not work. Run through
 * the gateway, every attack must be blocked or contained. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(const char* attack, int blocked, int err, const char* detail) {
  printf("{\"attack\": \"%s\", \"blocked\": %s, \"errno\": %d, \"detail\": \"%s\"}\n", attack,
         blocked ? "true" : "false", err, detail);
  fflush(stdout);
  return 0;
}

/* Reading a file: blocked when it cannot be opened or read. */
static int attack_read(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return report("read", 1, errno, path);
  char buf[64];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  return report("read", n <= 0, n < 0 ? errno : 0, path);
}

/* Reading up to 64 KiB of a file; -1 when it cannot be opened. */
static long slurp(const char* path, char* buf, long cap) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  long n = 0;
  for (ssize_t r; n < cap && (r = read(fd, buf + n, (size_t)(cap - n))) > 0;) n += r;
  close(fd);
  return n;
}

/* The environment of pid 1: blocked when it cannot be read, or when pid 1
 * is this tool itself (its own pid namespace), so no other process's. */
static int attack_proc1_environ(void) {
  static char one[65536], self[65536];
  long a = slurp("/proc/1/environ", one, sizeof one);
  if (a < 0) return report("proc1_environ", 1, errno, "unreadable");
  long b = slurp("/proc/self/environ", self, sizeof self);
  int same = getpid() == 1 && a == b && memcmp(one, self, (size_t)a) == 0;
  return report("proc1_environ", same, 0, same ? "pid 1 is the tool itself" : "another process");
}

/* Whether this process sits in one of toolgate's call cgroups. */
static int attack_cgroup_self(void) {
  static char buf[65536];
  long n = slurp("/proc/self/cgroup", buf, sizeof buf - 1);
  if (n < 0) return report("cgroup_self", 0, errno, "unreadable");
  buf[n] = 0;
  int in_call = strstr(buf, "/toolgate-") != NULL && strstr(buf, "-w") != NULL;
  return report("cgroup_self", in_call, 0, in_call ? "in a call cgroup" : "not in a call cgroup");
}

static int attack_write(const char* path) {
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) return report("write", 1, errno, path);
  ssize_t n = write(fd, "owned\n", 6);
  close(fd);
  unlink(path);
  return report("write", n != 6, 0, path);
}

static int attack_connect(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return report("connect", 1, errno, "socket");
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = connect(s, (struct sockaddr*)&a, sizeof a);
  int e = errno;
  close(s);
  return report("connect", rc != 0, rc ? e : 0, "127.0.0.1");
}

static int attack_fork_bomb(void) {
  int ok = 0;
  for (int i = 0; i < 100000; ++i) {
    pid_t p = fork();
    if (p == 0) {
      for (;;) pause();
    }
    if (p < 0) break;
    ++ok;
  }
  char d[64];
  snprintf(d, sizeof d, "%d forks", ok);
  /* Contained when the process cap stopped it well short of 100000. */
  return report("fork_bomb", ok < 100000, 0, d);
}

static int attack_fd_exhaustion(void) {
  int n = 0;
  while (open("/dev/null", O_RDONLY) >= 0 && n < 10000000) ++n;
  char d[64];
  snprintf(d, sizeof d, "%d fds", n);
  return report("fd_exhaustion", n < 10000000, errno, d);
}

static int attack_fill_tmp(void) {
  int fd = open("/tmp/fill", O_CREAT | O_WRONLY, 0600);
  if (fd < 0) return report("fill_tmp", 1, errno, "open");
  static char buf[1 << 20];
  long long total = 0;
  for (;;) {
    ssize_t w = write(fd, buf, sizeof buf);
    if (w <= 0) break;
    total += w;
    if (total > (8LL << 30)) break;
  }
  char d[64];
  snprintf(d, sizeof d, "%lld MB", total >> 20);
  return report("fill_tmp", total < (8LL << 30), errno, d);
}

static int attack_escape(void) {
  /* setsid + double fork: the grandchild tries to outlive the call. */
  pid_t p = fork();
  if (p == 0) {
    setsid();
    if (fork() == 0) {
      for (;;) pause();
    }
    _exit(0);
  }
  waitpid(p, NULL, 0);
  return report("escape", 0, 0, "daemon started; the gateway must kill it");
}

static int attack_zombie(void) {
  if (fork() == 0) _exit(0); /* never waited for */
  usleep(50 * 1000);
  return report("zombie", 0, 0, "left a zombie");
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* a = argv[1];
  const char* t = argc > 3 ? argv[2] : "";
  if (!strcmp(a, "read")) return attack_read(t);
  if (!strcmp(a, "write")) return attack_write(t);
  if (!strcmp(a, "connect")) return attack_connect(atoi(t));
  if (!strcmp(a, "proc_of")) {
    /* Is another process (e.g. the gateway) visible at all? */
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/status", t);
    return report("proc_of", access(path, F_OK) != 0, errno, path);
  }
  if (!strcmp(a, "kill")) {
    int rc = kill(atoi(t), SIGKILL);
    return report("kill", rc != 0, rc ? errno : 0, t);
  }
  if (!strcmp(a, "ptrace_parent")) {
    long rc = ptrace(PTRACE_ATTACH, getppid(), 0, 0);
    return report("ptrace_parent", rc != 0, rc ? errno : 0, "");
  }
  if (!strcmp(a, "mount")) {
    int rc = mount("none", "/tmp", "tmpfs", 0, NULL);
    return report("mount", rc != 0, rc ? errno : 0, "");
  }
  if (!strcmp(a, "proc1_environ")) return attack_proc1_environ();
  if (!strcmp(a, "cgroup_self")) return attack_cgroup_self();
  if (!strcmp(a, "seccomp_probe")) {
    /* unshare(0) changes nothing and is allowed to anyone: only the
     * syscall filter makes it fail, with EPERM. */
    int rc = unshare(0);
    return report("seccomp_probe", rc != 0 && errno == EPERM, rc ? errno : 0, "unshare(0)");
  }
  if (!strcmp(a, "unshare")) {
    int rc = unshare(CLONE_NEWUSER | CLONE_NEWNS);
    return report("unshare", rc != 0, rc ? errno : 0, "");
  }
  if (!strcmp(a, "setns")) {
    int fd = open("/proc/1/ns/mnt", O_RDONLY);
    int rc = fd < 0 ? -1 : setns(fd, 0);
    return report("setns", rc != 0, errno, "");
  }
  if (!strcmp(a, "bpf")) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.map_type = BPF_MAP_TYPE_ARRAY;
    attr.key_size = 4;
    attr.value_size = 4;
    attr.max_entries = 1;
    long rc = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
    return report("bpf", rc < 0, rc < 0 ? errno : 0, "");
  }
  if (!strcmp(a, "io_uring")) {
    char params[120];
    memset(params, 0, sizeof params);
    long rc = syscall(SYS_io_uring_setup, 8, params);
    return report("io_uring", rc < 0, rc < 0 ? errno : 0, "");
  }
  if (!strcmp(a, "fork_bomb")) return attack_fork_bomb();
  if (!strcmp(a, "fd_exhaustion")) return attack_fd_exhaustion();
  if (!strcmp(a, "fill_tmp")) return attack_fill_tmp();
  if (!strcmp(a, "escape")) return attack_escape();
  if (!strcmp(a, "zombie")) return attack_zombie();
  if (!strcmp(a, "cpu_spin")) {
    for (volatile unsigned long i = 0;; ++i) {
    }
  }
  if (!strcmp(a, "whoami")) {
    char d[128];
    snprintf(d, sizeof d, "uid=%d gid=%d pid=%d", (int)getuid(), (int)getgid(), (int)getpid());
    return report("whoami", getuid() != 0, 0, d);
  }
  return 2;
}
