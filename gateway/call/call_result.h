// The texts and checks of a CallToolResult that the gateway itself words or
// enforces, whichever adapter produced the result (pipeline.cc).
//
//   json r = tool_error("Denied by policy rule 'x'.");
//   r = finish_result(tool, adapter_result, cfg.secrets);   // outputSchema, size, redaction
//   std::string why = outcome_text(work_result, tool.limits);
#pragma once

#include <string>
#include <vector>

#include "common/json_limits.h"
#include "common/work_order.h"

namespace toolgate {

struct Tool;

// A CallToolResult with isError and one text block.
json tool_error(const std::string& text);

// Enforces the tool's outputSchema and the result size cap on what an
// adapter or upstream built, then hides every configured secret in it (an
// API echoing the key it was sent, say).
json finish_result(const Tool& tool, json result, const std::vector<std::string>& secrets);

// Words for the outcomes that adapters do not render (timeouts, crashes,
// limits, worker failures).
std::string outcome_text(const WorkResult& r, const Limits& limits);

}  // namespace toolgate
