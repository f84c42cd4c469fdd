// How a worker's run ended: a fixed set, never free text, so the gateway,
// metrics and audit agree on what happened (sandbox2's Result is the model).
#pragma once

#include <optional>
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

}  // namespace toolgate
