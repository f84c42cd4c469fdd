// How a worker's run ended, and why: two fixed sets, never free text, so the
// gateway, metrics and audit agree on what happened (sandbox2's Result, a
// status plus a reason code, is the model). `WorkResult::detail` only adds
// human context (which containment step, which errno); no logic reads it.
//
//   WorkResult r = pool.run(order, &cancel);
//   if (r.outcome == Outcome::spawn_failure && r.reason == EndReason::exec_failed) ...
//   metrics.worker_end(r.reason);   // toolgate_worker_end_reasons_total{reason="exec_failed"}
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace toolgate {

enum class Outcome {
  ok,              // the tool ran and exited 0
  tool_error,      // the tool ran and exited non-zero
  timeout,         // the wall-clock limit was reached; the process tree was killed
  signaled,        // the tool was killed by a signal (e.g. SIGSEGV)
  over_memory,     // the tool hit its memory cap
  over_output,     // stdout or stderr exceeded its cap; the tool was killed
  protocol_error,  // the worker sent no frame, or a malformed one
  spawn_failure,   // the worker or the tool could not be started
  cancelled,       // the client cancelled the call; the worker was killed
};

std::string_view to_string(Outcome o);
std::optional<Outcome> outcome_from_string(std::string_view s);

// Why the run ended as it did. `none` when the outcome says it all (ok,
// tool_error, signaled). The comment names the outcome each goes with.
enum class EndReason {
  none,
  // The tool's limits.
  wall_clock_limit,                 // timeout: the call's timeout_ms ran out
  cpu_limit,                        // timeout: RLIMIT_CPU (SIGXCPU)
  output_limit,                     // over_output: stdout or stderr over max_output_bytes
  file_size_limit,                  // over_output: RLIMIT_FSIZE (SIGXFSZ)
  output_too_large_after_encoding,  // over_output: the answer frame would outgrow the cap
  memory_limit,                     // over_memory: the cgroup's OOM killer struck
  memory_suspected,                 // over_memory: it died near its cap, or said so on stderr
  // Starting the tool, in the worker.
  setup_failed,  // spawn_failure: a containment step failed (detail names it)
  exec_failed,   // spawn_failure: execve of the tool failed (detail has the errno)
  bad_order,     // protocol_error: the worker could not read its order
  gateway_gone,  // cancelled: the gateway closed the frame socket during the call
  // The gateway's side of the worker.
  no_worker_slot,       // spawn_failure: workers.max_concurrent calls already running
  worker_spawn_failed,  // spawn_failure: no worker process (socketpair, fork or its exec)
  worker_unreachable,   // spawn_failure: the worker did not take its order
  worker_timeout,       // timeout: no answer within the timeout plus the worker's grace
  worker_died,          // protocol_error: the worker exited without answering
  bad_frame,            // protocol_error: the answer frame was malformed
  frame_too_large,      // over_output: the answer frame exceeded its limit
  client_cancelled,     // cancelled: the client cancelled the call
};

std::string_view to_string(EndReason r);
std::optional<EndReason> end_reason_from_string(std::string_view s);
// Every reason, in declaration order (for metrics and tests).
std::span<const EndReason> all_end_reasons();

}  // namespace toolgate
