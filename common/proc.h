// Readers of /proc shared by the gateway and the worker: which cgroups a
// process is in (/proc/PID/cgroup), and which processes are its children
// (/proc/PID/task/*/children).
//
//   auto lines = parse_proc_cgroup(read_proc_text("/proc/self/cgroup"));
//   std::string v2 = cgroup_path(lines, "").value_or("");        // "0::/a/b" -> "/a/b"
//   std::string mem = cgroup_path(lines, "memory").value_or("");  // "4:memory:/x" -> "/x"
//   for (pid_t c : child_pids(::getpid())) ::kill(c, SIGKILL);
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace toolgate {

// One line of /proc/PID/cgroup: "hierarchy-ID:controller-list:path".
// cgroup v2 is hierarchy 0 with an empty controller list; a v1 hierarchy
// may join several controllers with commas ("4:cpu,cpuacct:/path").
struct CgroupLine {
  int hierarchy = 0;
  std::vector<std::string> controllers;
  std::string path;  // as the kernel wrote it: "/" for the root
};

// Lines that are not of that form (no two colons, a non-numeric ID, a path
// not starting with '/') are skipped.
std::vector<CgroupLine> parse_proc_cgroup(std::string_view text);

// The path of the hierarchy holding `controller` ("" for the v2 line), with
// the root as "" so that it appends to a mount point; nullopt when absent.
std::optional<std::string> cgroup_path(const std::vector<CgroupLine>& lines,
                                       std::string_view controller);

// The directories under `mount` in which call cgroups are made for a
// process in `lines`: its v2 cgroup, and its v1 memory and pids cgroups
// (worker/sandbox/cgroup.cc creates them there).
std::vector<std::string> call_cgroup_parents(const std::vector<CgroupLine>& lines,
                                             const std::string& mount = "/sys/fs/cgroup");

// The whole of a small /proc (or /sys) file; "" when it cannot be read.
std::string read_proc_text(const std::string& path);

// Children of `pid` (from every one of its threads), and their children
// down to `max_depth` levels. Empty when the process is gone.
std::vector<pid_t> child_pids(pid_t pid);
std::vector<pid_t> descendant_pids(pid_t pid, int max_depth = 64);

}  // namespace toolgate
