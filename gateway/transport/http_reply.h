// Small helpers the HTTP transport's files share: JSON answers and JSON-RPC
// errors with an HTTP status.
//
//   send_rpc_error(res, 400, msg.id, rpc::kInvalidRequest, "Bad Request: ...");
#pragma once

#include <httplib.h>

#include <string>

#include "common/json_limits.h"
#include "gateway/protocol/jsonrpc.h"

namespace toolgate {

inline constexpr const char* kVersionHeader = "MCP-Protocol-Version";

inline void send_json(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(dump_safe(body), "application/json");
}

inline void send_rpc_error(httplib::Response& res, int status, const json& id, int code,
                           const std::string& msg) {
  send_json(res, status, make_error(id, code, msg));
}

}  // namespace toolgate
