// tools/list: the catalog of the request's snapshot, one page at a time,
// without the tools the policy denies this caller whatever the arguments
// (server.hide_denied_tools), so the model does not plan around them.
//
//   std::optional<json> reply = list_tools(request);
#pragma once

#include "common/json_limits.h"
#include "gateway/protocol/request_context.h"

namespace toolgate {

json list_tools(const RequestContext& rq);

}  // namespace toolgate
