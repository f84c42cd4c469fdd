// The isolation recipe for a tool process, applied in the child between
// clone() and exec(). One ordered function, one step per line, so a reader
// can audit it (nsjail's contain.cc is the model). Every step the order asks
// for is applied or the call fails: no step is skipped quietly.
#pragma once

#include "common/work_order.h"

namespace toolgate::worker {

// File descriptors the tool gets as stdin, stdout and stderr, and the pipe
// on which the worker says "you are in your cgroup and uid map, go on" and
// later sends what to exec (left open as fd 3, close-on-exec).
struct ChildFds {
  int in = -1, out = -1, err = -1;
  int go = -1;
  int broker = -1;  // to the worker, for brokered connections (kept as fd 4, close-on-exec)
};

// Runs in the cloned child only. Returns 0 on success, or the errno of the
// step that failed; `*failed_step` names it (a static string).
int contain_tool_process(const WorkOrder& order, const ChildFds& fds, const char** failed_step);

// Namespace flags for clone() for this sandbox spec.
int clone_flags(const SandboxSpec& spec);

}  // namespace toolgate::worker
