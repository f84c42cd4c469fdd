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

}  // namespace toolgate
