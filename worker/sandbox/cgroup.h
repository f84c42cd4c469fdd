// Per-call cgroups: a memory cap and a pids cap for the tool's whole process
// tree, an OOM signal for the outcome, and a way to kill every member.
// cgroup v2 where its memory and pids controllers are usable, otherwise the
// v1 memory and pids hierarchies.
//
//   CallCgroup cg;
//   if (!cg.create("toolgate-42-w7", 256 << 20, 128, &err)) fail(err);
//   cg.add(child_pid, &err);  ...  cg.kill_all();  cg.destroy();
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace toolgate::worker {

class CallCgroup {
 public:
  ~CallCgroup();
  bool create(const std::string& name, uint64_t memory_bytes, uint32_t pids_max, std::string* err);
  bool add(pid_t pid, std::string* err);
  bool oom_happened() const;
  // SIGKILLs every member, repeatedly, until the cgroup is empty.
  void kill_all();
  void destroy();

  // "v2", "v1" or "" (unavailable), with the reason in *why.
  static std::string detect(std::string* why);

 private:
  std::vector<std::string> dirs_;  // v2: one; v1: memory and pids
  std::string memory_dir_;
  bool v2_ = false;
};

}  // namespace toolgate::worker
