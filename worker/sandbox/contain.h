// The isolation recipe for a tool process, applied in the child between
// clone() and exec(). One ordered function, one step per line, so a reader
// can audit it (nsjail's contain.cc is the model). Every step the order asks
// for is applied or the call fails: no step is skipped quietly.
//
//   ChildFds fds{in_r, out_w, err_w, go_r, broker, status_w};
//   const char* step = "";
//   if (int rc = contain_tool_process(order, &fds, &step))
//     report_step_failure(fds.status, StepFailure::setup, step, rc);
#pragma once

#include <cstdint>
#include <optional>

#include "common/work_order.h"

namespace toolgate::worker {

// File descriptors the tool gets as stdin, stdout and stderr, and the pipe
// on which the worker says "you are in your cgroup and uid map, go on" and
// later sends what to exec (left open as fd 3, close-on-exec).
struct ChildFds {
  int in = -1, out = -1, err = -1;
  int go = -1;
  int broker = -1;  // to the worker, for brokered connections (kept as fd 4, close-on-exec)
  int status = -1;  // the exec-status pipe's write end (kept as fd 5, close-on-exec)
};

// The exec-status pipe's number in the contained child, once contained.
inline constexpr int kExecStatusFd = 5;

// Runs in the cloned child only. Returns 0 on success, or the errno of the
// step that failed; `*failed_step` names it (a static string). `fds->status`
// follows the exec-status pipe as it moves, so a failure can be reported
// on it whichever step failed.
int contain_tool_process(const WorkOrder& order, ChildFds* fds, const char** failed_step);

// What the contained child tells the worker when it cannot become the tool:
// one fixed-size record on the exec-status pipe, then it exits. The pipe's
// write end is close-on-exec, so a successful execve leaves the pipe empty
// and the worker reads EOF. Nothing the tool prints or how it exits can
// look like a failed start: only this pipe says so.
struct StepFailure {
  enum Kind : int32_t { setup = 1, exec = 2 };
  int32_t kind = 0;
  int32_t err = 0;     // errno
  char step[24] = {};  // e.g. "seccomp", "pivot_root", "exec"; nul-terminated
};
static_assert(sizeof(StepFailure) == 32, "one small record, written atomically");

// In the contained child: writes the record to `fd` and _exits.
[[noreturn]] void report_step_failure(int fd, StepFailure::Kind kind, const char* step, int err);

// In the worker, once every writer is gone: the record, or nullopt when the
// pipe holds none (the exec succeeded, or the child never got that far)
// or something that is not one. Never blocks on a non-blocking `fd`.
std::optional<StepFailure> read_step_failure(int fd);

// Namespace flags for clone() for this sandbox spec.
int clone_flags(const SandboxSpec& spec);

}  // namespace toolgate::worker
