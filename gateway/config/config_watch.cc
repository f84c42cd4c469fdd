#include "gateway/config/config_watch.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>

#include "common/log.h"
#include "gateway/config/config.h"

namespace toolgate {
namespace {

constexpr int kDebounceMs = 250;

std::string absolute(const std::string& p) {
  char buf[PATH_MAX];
  if (::realpath(p.c_str(), buf)) return buf;
  // A file that does not exist yet (deleted by an editor mid-save): resolve
  // its directory instead.
  auto slash = p.rfind('/');
  std::string dir = slash == std::string::npos ? "." : p.substr(0, slash);
  std::string name = slash == std::string::npos ? p : p.substr(slash + 1);
  if (::realpath(dir.c_str(), buf)) return std::string(buf) + "/" + name;
  return p;
}

}  // namespace

ConfigWatcher::~ConfigWatcher() {
  if (wake_[1] >= 0) {
    char c = 1;
    (void)!::write(wake_[1], &c, 1);
  }
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
  for (int f : wake_)
    if (f >= 0) ::close(f);
}

bool ConfigWatcher::start() {
  fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd_ < 0 || ::pipe2(wake_, O_CLOEXEC) != 0) {
    log::warn("cannot watch the config for changes (inotify unavailable); SIGHUP still reloads");
    return false;
  }
  arm();
  thread_ = std::thread([this] { loop(); });
  return true;
}

void ConfigWatcher::arm() {
  for (auto& [wd, dir] : dirs_) ::inotify_rm_watch(fd_, wd);
  dirs_.clear();
  files_.clear();
  auto cfg = generations_.config();
  armed_for_ = cfg;
  std::vector<std::string> paths = {cfg->path};
  paths.insert(paths.end(), cfg->policies.begin(), cfg->policies.end());
  for (auto& p : paths) {
    std::string abs = absolute(p);
    files_.insert(abs);
    size_t slash = abs.rfind('/');
    std::string dir =
        slash == 0 || slash == std::string::npos ? std::string("/") : abs.substr(0, slash);
    int wd =
        ::inotify_add_watch(fd_, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE);
    if (wd < 0) {
      log::warn("cannot watch a directory for config changes", {{"dir", dir}});
      continue;
    }
    dirs_[wd] = dir;
  }
}

void ConfigWatcher::loop() {
  alignas(inotify_event) char buf[16384];
  bool pending = false;
  for (;;) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    int rc = ::poll(p, 2, pending ? kDebounceMs : 1000);
    if (rc < 0) {
      if (errno != EINTR) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    if (p[1].revents) return;
    // A reload by SIGHUP may have changed the list of policy files.
    if (!pending && generations_.config() != armed_for_) arm();
    if (rc == 0 && pending) {
      // Quiet for a moment after the last change: the save is complete.
      pending = false;
      log::info("a config or policy file changed; reloading");
      generations_.reload();
      arm();
      continue;
    }
    ssize_t n = ::read(fd_, buf, sizeof buf);
    for (ssize_t off = 0; n > 0 && off < n;) {
      auto* ev = reinterpret_cast<inotify_event*>(buf + off);
      off += ssize_t(sizeof(inotify_event) + ev->len);
      auto dir = dirs_.find(ev->wd);
      if (dir == dirs_.end() || ev->len == 0) continue;
      if (files_.count(dir->second + "/" + ev->name)) pending = true;
    }
  }
}

}  // namespace toolgate
