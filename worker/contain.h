// The isolation recipe for a tool process, applied in the child between
// fork() and exec(). One ordered function, one step per line, so a reader can
// audit it (nsjail's contain.cc is the model). The sandbox issue adds its
// namespace, filesystem, capability and seccomp steps here, in order.
#pragma once

#include "toolgate/work.h"

namespace toolgate::worker {

// File descriptors the tool gets as stdin, stdout and stderr.
struct ChildFds {
  int in = -1, out = -1, err = -1;
};

// Runs in the forked child only. Returns 0 on success, or the errno of the
// step that failed; `*failed_step` names it (a static string).
int contain_tool_process(const Limits& limits, const ChildFds& fds, const char* cwd,
                         const char** failed_step);

}  // namespace toolgate::worker
