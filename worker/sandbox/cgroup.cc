#include "worker/sandbox/cgroup.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/proc.h"

namespace toolgate::worker {
namespace {

std::string read_file(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool write_file(const std::string& p, const std::string& v, std::string* err) {
  std::ofstream f(p);
  f << v;
  f.flush();
  if (!f) {
    if (err) *err = "cannot write " + p + ": " + strerror(errno);
    return false;
  }
  return true;
}

// This process's cgroup path for a v1 controller (or "" for v2's "0::"),
// "" for the root and when absent.
std::string own_path(const std::string& controller) {
  return cgroup_path(parse_proc_cgroup(read_proc_text("/proc/self/cgroup")), controller)
      .value_or("");
}

bool has_word(const std::string& text, const std::string& w) {
  std::istringstream in(text);
  std::string x;
  while (in >> x)
    if (x == w) return true;
  return false;
}

}  // namespace

std::string CallCgroup::detect(std::string* why) {
  std::string v2ctl = read_file("/sys/fs/cgroup/cgroup.controllers");
  if (has_word(v2ctl, "memory") && has_word(v2ctl, "pids")) return "v2";
  struct stat st;
  bool mem = ::stat("/sys/fs/cgroup/memory/memory.limit_in_bytes", &st) == 0;
  bool pids = ::stat("/sys/fs/cgroup/pids", &st) == 0;
  if (mem && pids) {
    if (::access("/sys/fs/cgroup/memory", W_OK) != 0) {
      *why = "the v1 memory hierarchy is not writable";
      return "";
    }
    return "v1";
  }
  *why = "neither cgroup v2 (memory+pids) nor the v1 memory and pids controllers are mounted";
  return "";
}

CallCgroup::~CallCgroup() { destroy(); }

bool CallCgroup::create(const std::string& name, uint64_t memory_bytes, uint32_t pids_max,
                        std::string* err) {
  std::string why;
  std::string kind = detect(&why);
  if (kind.empty()) {
    *err = why;
    return false;
  }
  v2_ = kind == "v2";
  if (v2_) {
    std::string parent = "/sys/fs/cgroup" + own_path("");
    std::string dir = parent + "/" + name;
    write_file(parent + "/cgroup.subtree_control", "+memory +pids", nullptr);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
      *err = "mkdir " + dir + ": " + strerror(errno);
      return false;
    }
    dirs_.push_back(dir);
    memory_dir_ = dir;
    if (!write_file(dir + "/memory.max", std::to_string(memory_bytes), err)) return false;
    write_file(dir + "/memory.swap.max", "0", nullptr);  // absent without swap accounting
    return write_file(dir + "/pids.max", std::to_string(pids_max), err);
  }
  std::string mem = "/sys/fs/cgroup/memory" + own_path("memory") + "/" + name;
  std::string pids = "/sys/fs/cgroup/pids" + own_path("pids") + "/" + name;
  for (auto& d : {mem, pids}) {
    if (::mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) {
      *err = "mkdir " + d + ": " + strerror(errno);
      destroy();
      return false;
    }
    dirs_.push_back(d);
  }
  memory_dir_ = mem;
  // Swap counts too where the kernel accounts it, so swapping is no way out.
  write_file(mem + "/memory.swappiness", "0", nullptr);
  return write_file(mem + "/memory.limit_in_bytes", std::to_string(memory_bytes), err) &&
         write_file(pids + "/pids.max", std::to_string(pids_max), err);
}

bool CallCgroup::add(pid_t pid, std::string* err) {
  for (auto& d : dirs_) {
    if (!write_file(d + "/cgroup.procs", std::to_string(pid), err)) return false;
  }
  return true;
}

bool CallCgroup::oom_happened() const {
  if (memory_dir_.empty()) return false;
  std::string key = v2_ ? "memory.events" : "memory.oom_control";
  std::istringstream in(read_file(memory_dir_ + "/" + key));
  std::string k;
  uint64_t v;
  while (in >> k >> v) {
    if ((k == "oom_kill" || k == "oom") && v > 0) return true;
  }
  if (!v2_) {
    std::string fail = read_file(memory_dir_ + "/memory.failcnt");
    return !fail.empty() && std::stoull(fail) > 0;
  }
  return false;
}

void CallCgroup::kill_all() {
  if (dirs_.empty()) return;
  if (v2_ && write_file(dirs_[0] + "/cgroup.kill", "1", nullptr)) return;
  const std::string procs = dirs_.back() + "/cgroup.procs";
  for (int round = 0; round < 200; ++round) {
    std::istringstream in(read_file(procs));
    pid_t p;
    bool any = false;
    while (in >> p) {
      ::kill(p, SIGKILL);
      any = true;
    }
    if (!any) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void CallCgroup::destroy() {
  for (auto& d : dirs_) {
    // A cgroup can be removed once its last member is reaped; retry briefly.
    for (int i = 0; i < 100 && ::rmdir(d.c_str()) != 0 && errno == EBUSY; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  dirs_.clear();
}

}  // namespace toolgate::worker
