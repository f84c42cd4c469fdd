// resources/*, prompts/* and completion/complete: the features of upstream
// MCP servers other than tools, answered by forwarding to the upstreams of
// the request's snapshot (federation.cc).
//
//   if (is_federated(rq.method)) return answer_federated(rq);
#pragma once

#include <optional>
#include <string>

#include "common/json_limits.h"
#include "gateway/protocol/request_context.h"

namespace toolgate {

bool is_federated(const std::string& method);
// The reply; nothing when the request was cancelled.
std::optional<json> answer_federated(const RequestContext& rq);

}  // namespace toolgate
