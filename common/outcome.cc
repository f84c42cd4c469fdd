#include "common/outcome.h"

#include <array>
#include <utility>

namespace toolgate {
namespace {
constexpr std::array<std::pair<Outcome, std::string_view>, 9> kNames = {{
    {Outcome::ok, "ok"},
    {Outcome::tool_error, "tool_error"},
    {Outcome::timeout, "timeout"},
    {Outcome::signaled, "signaled"},
    {Outcome::over_memory, "over_memory"},
    {Outcome::over_output, "over_output"},
    {Outcome::protocol_error, "protocol_error"},
    {Outcome::spawn_failure, "spawn_failure"},
    {Outcome::cancelled, "cancelled"},
}};

// The wire names are the enumerators' names: they appear in worker frames,
// metrics labels and (later) audit records, so they never change.
constexpr auto kReasons = std::to_array<std::pair<EndReason, std::string_view>>({
    {EndReason::none, "none"},
    {EndReason::wall_clock_limit, "wall_clock_limit"},
    {EndReason::cpu_limit, "cpu_limit"},
    {EndReason::output_limit, "output_limit"},
    {EndReason::file_size_limit, "file_size_limit"},
    {EndReason::output_too_large_after_encoding, "output_too_large_after_encoding"},
    {EndReason::memory_limit, "memory_limit"},
    {EndReason::memory_suspected, "memory_suspected"},
    {EndReason::setup_failed, "setup_failed"},
    {EndReason::exec_failed, "exec_failed"},
    {EndReason::bad_order, "bad_order"},
    {EndReason::gateway_gone, "gateway_gone"},
    {EndReason::no_worker_slot, "no_worker_slot"},
    {EndReason::worker_spawn_failed, "worker_spawn_failed"},
    {EndReason::worker_unreachable, "worker_unreachable"},
    {EndReason::worker_timeout, "worker_timeout"},
    {EndReason::worker_died, "worker_died"},
    {EndReason::bad_frame, "bad_frame"},
    {EndReason::frame_too_large, "frame_too_large"},
    {EndReason::client_cancelled, "client_cancelled"},
});
// One name per enumerator: a reason added to the enum must be named here.
static_assert(kReasons.size() == size_t(EndReason::client_cancelled) + 1);

constexpr std::array<EndReason, kReasons.size()> kAllReasons = [] {
  std::array<EndReason, kReasons.size()> out{};
  for (size_t i = 0; i < kReasons.size(); ++i) out[i] = kReasons[i].first;
  return out;
}();
}  // namespace

std::string_view to_string(Outcome o) {
  for (auto& [k, v] : kNames)
    if (k == o) return v;
  return "protocol_error";
}

std::optional<Outcome> outcome_from_string(std::string_view s) {
  for (auto& [k, v] : kNames)
    if (v == s) return k;
  return std::nullopt;
}

std::string_view to_string(EndReason r) {
  for (auto& [k, v] : kReasons)
    if (k == r) return v;
  return "none";
}

std::optional<EndReason> end_reason_from_string(std::string_view s) {
  for (auto& [k, v] : kReasons)
    if (v == s) return k;
  return std::nullopt;
}

std::span<const EndReason> all_end_reasons() { return kAllReasons; }

}  // namespace toolgate
