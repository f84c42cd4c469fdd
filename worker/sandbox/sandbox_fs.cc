#include "worker/sandbox/sandbox_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

namespace toolgate::worker {
namespace {

// What every tool sees, read-only. Symlinks (merged /usr: /bin -> usr/bin)
// are recreated as symlinks; directories and files are bind-mounted.
const char* kBaseline[] = {"/usr",
                           "/bin",
                           "/sbin",
                           "/lib",
                           "/lib32",
                           "/lib64",
                           "/libx32",
                           "/etc/ld.so.cache",
                           "/etc/ssl/certs",
                           "/etc/ssl/openssl.cnf",
                           "/etc/alternatives",
                           "/etc/localtime",
                           "/etc/passwd",
                           "/etc/group",
                           "/etc/nsswitch.conf"};
const char* kDevices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"};

int mkdirs(const std::string& path, mode_t mode) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      std::string part = path.substr(0, i);
      if (::mkdir(part.c_str(), mode) != 0 && errno != EEXIST) return errno;
    }
  }
  return 0;
}

// Creates an empty mount point of the right kind for `src` at `dst`.
int make_mount_point(const std::string& src, const std::string& dst) {
  struct stat st;
  if (::stat(src.c_str(), &st) != 0) return errno;
  auto slash = dst.rfind('/');
  if (int rc = mkdirs(dst.substr(0, slash), 0755)) return rc;
  if (S_ISDIR(st.st_mode)) return mkdirs(dst, 0755);
  int fd = ::open(dst.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

int bind_mount(const std::string& src, const std::string& dst, bool writable) {
  if (int rc = make_mount_point(src, dst)) return rc;
  if (::mount(src.c_str(), dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) return errno;
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID | (writable ? 0 : MS_RDONLY);
  // Keep nodev where the source had it; a remount may not drop locked flags.
  if (::mount(nullptr, dst.c_str(), nullptr, flags, nullptr) != 0 &&
      ::mount(nullptr, dst.c_str(), nullptr, flags | MS_NODEV, nullptr) != 0) {
    return errno;
  }
  return 0;
}

// Mirrors `path` into the new root: a symlink stays a symlink, anything
// else is bind-mounted. Missing paths are skipped (not every distro has /lib32).
int mirror(const std::string& root, const std::string& path, bool writable) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? 0 : errno;
  std::string dst = root + path;
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
    if (n < 0) return errno;
    target[n] = '\0';
    if (int rc = mkdirs(dst.substr(0, dst.rfind('/')), 0755)) return rc;
    return ::symlink(target, dst.c_str()) == 0 || errno == EEXIST ? 0 : errno;
  }
  return bind_mount(path, dst, writable);
}

// True when `path` inside the new root is the very file or directory the
// host has at `path`.
bool already_visible(const std::string& root, const std::string& path) {
  struct stat host, inside;
  if (::stat(path.c_str(), &host) != 0 || ::stat((root + path).c_str(), &inside) != 0) return false;
  return host.st_dev == inside.st_dev && host.st_ino == inside.st_ino;
}

}  // namespace

const char* sandbox_staging_dir() { return "/run/toolgate-sandbox"; }

int enter_minimal_root(const SandboxSpec& spec, const char* staging, const char** step) {
  const std::string root = staging;
  int rc;
#define STEP(name, expr)    \
  if ((rc = (expr)) != 0) { \
    *step = name;           \
    return rc;              \
  }
  // Nothing we mount may propagate back to the host.
  STEP("mount_private", ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) ? errno : 0);
  STEP("root_tmpfs",
       ::mount("toolgate", root.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755") ? errno
                                                                                             : 0);
  for (const char* p : kBaseline) STEP("bind_baseline", mirror(root, p, false));
  if (spec.egress) STEP("bind_resolv_conf", mirror(root, "/etc/resolv.conf", false));
  // /dev: a few harmless character devices, nothing else.
  STEP("dev_tmpfs", mkdirs(root + "/dev", 0755));
  STEP("dev_mount", ::mount("toolgate-dev", (root + "/dev").c_str(), "tmpfs", MS_NOSUID | MS_NOEXEC,
                            "size=64k,mode=0755")
                        ? errno
                        : 0);
  for (const char* d : kDevices) STEP("dev_bind", bind_mount(d, root + d, true));
  STEP("dev_fd", ::symlink("/proc/self/fd", (root + "/dev/fd").c_str()) ? errno : 0);
  // A new /proc: it shows the tool's pid namespace only, never the host's.
  STEP("proc_dir", mkdirs(root + "/proc", 0555));
  STEP("proc_mount",
       ::mount("proc", (root + "/proc").c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr)
           ? errno
           : 0);
  // Private, size-capped /tmp.
  std::string tmp_opts = "size=" + std::to_string(spec.tmp_mb) + "m,mode=1777";
  STEP("tmp_dir", mkdirs(root + "/tmp", 01777));
  STEP("tmp_mount", ::mount("toolgate-tmp", (root + "/tmp").c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                            tmp_opts.c_str())
                        ? errno
                        : 0);
  // Extra paths last, so a path under /tmp lands on top of the private /tmp.
  for (auto& m : spec.mounts) {
    // A read-only path already visible through a baseline mount (a program
    // in /usr/bin) needs no mount of its own, and could not get one: its
    // mount point would have to be created inside a read-only bind.
    if (!m.writable && already_visible(root, m.path)) continue;
    STEP("bind_extra_path", mirror(root, m.path, m.writable));
  }
  // Switch roots and drop the old one entirely.
  STEP("old_root_dir", mkdirs(root + "/.old-root", 0700));
  STEP("pivot_root",
       ::syscall(SYS_pivot_root, root.c_str(), (root + "/.old-root").c_str()) ? errno : 0);
  STEP("chdir_root", ::chdir("/") ? errno : 0);
  STEP("umount_old_root", ::umount2("/.old-root", MNT_DETACH) ? errno : 0);
  STEP("rmdir_old_root", ::rmdir("/.old-root") ? errno : 0);
  // The root itself becomes read-only: writes go to /tmp or writable paths.
  STEP("root_readonly",
       ::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr)
           ? errno
           : 0);
#undef STEP
  return 0;
}

}  // namespace toolgate::worker
