// Starting worker processes from a multi-threaded gateway.
//
// Everything is prepared before vfork(); the child only makes async-signal-
// safe calls, then execs the worker binary with an empty environment, the
// frame socket on fd 3, /dev/null on stdin/stdout, and the gateway's stderr.
// Whether the exec worked comes back on a close-on-exec pipe, so a worker
// binary that cannot be executed fails here, not later as a silent worker.
// A worker exits (killing its tool) as soon as the frame socket closes.
//
//   auto w = spawn_worker("/usr/lib/toolgate/toolgate-worker");
//   if (!w) ...;  write_frame(w->fd, ...);
#pragma once

#include <sys/types.h>

#include <string>

#include "common/result.h"

namespace toolgate {

struct SpawnedWorker {
  pid_t pid = -1;      // also its process group id (the child calls setsid)
  int fd = -1;         // the gateway's end of the frame socket
  int broker_fd = -1;  // with `broker_socket`: egress requests come here (fd 4 in the worker)
};

Result<SpawnedWorker> spawn_worker(const std::string& worker_path, bool broker_socket = false);

// Kills the worker's whole process group and reaps the worker. Idempotent
// per pid; never blocks for long (SIGKILL cannot be ignored).
void kill_and_reap(pid_t pid);

// The worker binary that sits next to the running gateway binary.
std::string default_worker_path();

}  // namespace toolgate
