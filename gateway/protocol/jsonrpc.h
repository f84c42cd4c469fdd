// JSON-RPC 2.0 message shapes as MCP uses them: no batches, ids are strings
// or integers and never null.
//
//   Message m = read_message(std::move(doc));     // classified once, where it arrives
//   if (m.kind == MessageKind::invalid) send(make_error(m.id, rpc::kInvalidRequest, m.error));
#pragma once

#include <string>

#include "common/json_limits.h"
#include "common/result.h"

namespace toolgate {

enum class MessageKind { request, notification, response, invalid };

struct Classified {
  MessageKind kind = MessageKind::invalid;
  json id;            // request/response id; null when absent or unusable
  std::string error;  // why it is invalid
};

Classified classify(const json& msg);
// One message, classified and read once where it arrives: everything past
// the transport uses these fields and never looks into the raw JSON again.
struct Message {
  MessageKind kind = MessageKind::invalid;
  json id;                       // request/response id; null when absent or unusable
  std::string error;             // why it is invalid
  std::string method;            // requests and notifications
  json params = json::object();  // always an object (absent or null params read as {})
  json progress_token;           // params._meta.progressToken when a string or integer
  json body;  // the whole message; a request's or notification's params moved to `params`

  bool is_request() const { return kind == MessageKind::request; }
  // initialize: the request that opens a 2025-era session.
  bool opens_session() const { return is_request() && method == "initialize"; }
};

// classify(), plus the fields the layers below need. Takes the document.
Message read_message(json doc);

bool valid_id(const json& id);

json make_result(const json& id, json result);
json make_error(const json& id, int code, const std::string& message, json data = nullptr);
json make_notification(const std::string& method, json params);
json make_request(const json& id, const std::string& method, json params);
// The `error` member of a response from a peer (a client, an upstream
// server): untrusted, so code and message are read only when well-typed.
Error error_of(const json& error, const std::string& fallback_message);

// A stable map key for an id ("s:abc" / "i:42"), so "1" and 1 differ.
std::string id_key(const json& id);

}  // namespace toolgate
