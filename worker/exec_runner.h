// Runs one tool command under the worker's supervision: feeds stdin, caps
// stdout/stderr, enforces the wall clock, kills the whole process tree when
// the tool ends, and classifies the end as an Outcome and an EndReason.
//
//   auto pc = prepare_child(profile);      // contained, waiting for what to exec
//   WorkResult r = run_exec(order, *pc);  // exec, supervise, classify
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "common/work_order.h"
#include "worker/sandbox/cgroup.h"

namespace toolgate::worker {

struct Pipe {
  int r = -1, w = -1;
  bool open(int flags = 0) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | flags) != 0) return false;
    r = fds[0];
    w = fds[1];
    return true;
  }
  ~Pipe() {
    if (r >= 0) ::close(r);
    if (w >= 0) ::close(w);
  }
};

// A tool process that is already cloned into its namespaces, cgroup and
// identity, with its seccomp filter loaded, waiting only for what to exec.
// Preparing ahead of the call takes the sandbox's setup off the call's path.
struct PreparedChild {
  pid_t pid = -1;
  Pipe in, out, err, go;  // go: the sync byte, then the exec request
  Pipe status;      // exec-status: a StepFailure when the child cannot become the tool (contain.h)
  std::string exe;  // what the child was told to exec, for the failure's detail
  int broker_parent = -1, broker_child = -1;  // socketpair for brokered connections
  CallCgroup cgroup;
  WorkResult failure;  // when pid < 0
  // References to the child's namespaces. Tearing a mount namespace down
  // waits for an RCU grace period; holding them here moves that wait from
  // the tool's exit (on the answer's path) to this object's destruction.
  std::vector<int> ns_fds;
  int proxy_fd = -1;  // egress proxy listener in the child's network namespace
  int proxy_port = 0;
  ~PreparedChild() {
    // A child that never ran (the worker is going away) must be gone before
    // its cgroup can be removed, which happens right after this body.
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    for (int fd : ns_fds) ::close(fd);
    if (proxy_fd >= 0) ::close(proxy_fd);
    if (broker_parent >= 0) ::close(broker_parent);
    if (broker_child >= 0) ::close(broker_child);
  }
};

// The socket egress connect requests go to: the frame socket, or a socket
// of its own for a long-lived server (stdio_relay.h).
void set_broker_fd(int fd);
int broker_fd();

// Sets up the sandbox for `profile` (its limits, sandbox and cwd) and
// returns the waiting child.
std::unique_ptr<PreparedChild> prepare_child(const WorkOrder& profile);

// Tells the waiting child what to exec (argv, environment; with the egress
// proxy's address when `with_proxy`).
void send_exec_request(const WorkOrder& order, PreparedChild& prepared, bool with_proxy);

// Once the child is gone: when its exec-status pipe holds a StepFailure
// (a containment step or the execve failed), sets `res` to spawn_failure
// with reason setup_failed or exec_failed and the step in its detail, and
// returns true. The tool's exit status and stderr play no part in this.
bool take_start_failure(PreparedChild& prepared, WorkResult* res);

// Passes one connect request of the child to the gateway's broker and the
// connected socket (or the refusal) back.
void relay_broker_request(PreparedChild& prepared, int timeout_ms);

// HTTP orders (WorkOrder::direct_http), prepared or pooled: the contained
// child starts serving requests (run_http_loop) on its broker socket, and
// the socket's other end goes to the gateway (a {"direct":true} frame
// carrying it), which then sends requests straight to the child and
// brokers its connections: no hop through this process on a call's path.
// This process stays as the child's supervisor: it drains the child's
// output and, once the gateway closes `gateway_fd` (or kills it), ends and
// takes the child with it. The caller answers a child that failed to
// prepare with its failure instead.
int hand_over_http(PreparedChild& prepared, int gateway_fd);

// Runs `order` in `prepared` and supervises it. The caller destroys
// `prepared` (its cgroup) after sending the result, off the answer's path.
WorkResult run_exec(const WorkOrder& order, PreparedChild& prepared);

}  // namespace toolgate::worker
