#include "gateway/call/call_result.h"

#include <string.h>

#include "gateway/audit/audit.h"
#include "gateway/catalog/catalog.h"

namespace toolgate {
namespace {

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

// Enforces outputSchema and the result size cap.
json check_result(const Tool& tool, json result) {
  bool is_error = result.value("isError", false);
  // A 2026-07-28 round that asks the client for input has no output yet.
  bool asks = result.value("resultType", "") == "input_required";
  if (tool.output_validator && !is_error && !asks) {
    auto sc = result.find("structuredContent");
    if (sc == result.end()) {
      return tool_error("The tool declares an outputSchema but returned no structured content.");
    }
    auto errors = tool.output_validator->validate(*sc);
    if (!errors.empty()) {
      // The call happened: keep what it returned, so the model does not
      // take a completed write for a failure and repeat it.
      json out = tool_error("The tool's output does not match its outputSchema (" +
                            errors[0].to_string() + "); the output follows.");
      if (auto c = result.find("content"); c != result.end() && c->is_array())
        for (auto& block : *c) out["content"].push_back(block);
      return out;
    }
  }
  size_t cap = tool.limits.max_output_bytes * 2 + 65536;
  if (dump_safe(result).size() > cap) {
    return tool_error("The tool's result is larger than " + std::to_string(cap) + " bytes.");
  }
  return result;
}

}  // namespace

json tool_error(const std::string& text) {
  return {{"content", {{{"type", "text"}, {"text", text}}}}, {"isError", true}};
}

json finish_result(const Tool& tool, json result, const std::vector<std::string>& secrets) {
  result = check_result(tool, std::move(result));
  return secrets.empty() ? result : redact_values(result, secrets);
}

std::string outcome_text(const WorkResult& r, const Limits& l) {
  switch (r.outcome) {
    case Outcome::timeout:
      return "The tool timed out after " + std::to_string(l.timeout_ms) + " ms and was stopped.";
    case Outcome::signaled:
      return "The tool crashed (" + signal_name(r.signal) + ").";
    case Outcome::over_memory:
      return "The tool exceeded its memory limit of " + std::to_string(l.memory_mb) +
             " MB and was stopped.";
    case Outcome::over_output:
      return "The tool's output exceeded the limit of " + std::to_string(l.max_output_bytes) +
             " bytes; it was stopped and its output discarded.";
    case Outcome::protocol_error:
      return "The tool's worker failed: " + r.detail + ".";
    case Outcome::spawn_failure: {
      std::string t = "The tool could not be started";
      if (!r.detail.empty()) t += ": " + r.detail;
      if (!r.stderr_tail.empty()) t += ": " + r.stderr_tail;
      return t;
    }
    case Outcome::cancelled:
      return "The call was cancelled.";
    case Outcome::ok:
    case Outcome::tool_error:
      break;
  }
  return "The tool failed.";
}

}  // namespace toolgate
