// Streamable HTTP for MCP 2026-07-28: every POST stands alone. Its headers
// must agree with its body (mcp_headers.h), a malformed envelope or an
// unsupported version is refused with HTTP 400 before anything runs, and
// the answer is one JSON body or an SSE stream carrying the request's own
// notifications. There is no session, so GET and DELETE answer 405 and
// Mcp-Session-Id and Last-Event-ID mean nothing.
#include <httplib.h>

#include <algorithm>

#include "gateway/catalog/catalog.h"
#include "gateway/protocol/mcp_headers.h"
#include "gateway/protocol/stateless.h"
#include "gateway/transport/elastic_pool.h"
#include "gateway/transport/http_reply.h"
#include "gateway/transport/sse_stream.h"
#include "gateway/transport/transport.h"

namespace toolgate {
namespace {

HeaderLookup headers_of(const httplib::Request& req) {
  return [&req](const std::string& name) -> std::optional<std::string> {
    if (!req.has_header(name.c_str())) return std::nullopt;
    return req.get_header_value(name.c_str());
  };
}

// What the revision refuses before dispatch, with HTTP 400: the era the
// body and headers claim, then the envelope, then the version.
std::optional<json> refused_before_dispatch(const httplib::Request& req, const Message& msg) {
  std::string header_version = req.get_header_value(kVersionHeader);
  if (msg.kind == MessageKind::response) {
    return make_error(msg.id, rpc::kInvalidRequest,
                      "Bad Request: JSON-RPC responses cannot be posted in protocol revision "
                      "2026-07-28");
  }
  Envelope env = read_envelope(msg.params);
  if (!env.claimed) {
    if (msg.opens_session()) {
      return make_error(msg.id, rpc::kHeaderMismatch,
                        "Bad Request: an initialize request (the 2025 handshake) was sent with "
                        "MCP-Protocol-Version " +
                            header_version);
    }
    if (msg.is_request()) {
      return make_error(msg.id, rpc::kInvalidParams,
                        "Invalid params: the MCP-Protocol-Version header names protocol "
                        "revision " +
                            header_version + ", but the request is missing _meta." +
                            kMetaProtocolVersion);
    }
  }
  if (!env.problem.empty()) return envelope_error(msg.id, env);
  auto get = headers_of(req);
  if (auto e = check_standard_headers(msg, env.version, get)) return e;
  std::string version = env.claimed ? env.version : header_version;
  if (!version.empty() && !is_stateless_version(version))
    return unsupported_version_error(msg.id, version);
  return std::nullopt;
}

// The revision gives some errors an HTTP status of their own: a method the
// era doesn't have is 404, a missing client capability or an unsupported
// version 400. Everything else a handler answers, errors included, is 200.
int stateless_status(const json& reply) {
  auto e = reply.find("error");
  if (e == reply.end() || !e->is_object()) return 200;
  int code = e->value("code", 0);
  if (code == rpc::kMethodNotFound) return 404;
  if (code == rpc::kMissingClientCapability || code == rpc::kUnsupportedProtocolVersion) return 400;
  return 200;
}

}  // namespace

bool HttpTransport::refuse_stateless(const httplib::Request& req, httplib::Response& res) {
  if (!is_modern_version(req.get_header_value(kVersionHeader))) return false;
  res.set_header("Allow", "POST");
  send_rpc_error(res, 405, nullptr, -32000,
                 "Method Not Allowed: protocol revision 2026-07-28 has no sessions or GET "
                 "streams; POST each request");
  return true;
}

void HttpTransport::post_stateless(const httplib::Request& req, httplib::Response& res, Message msg,
                                   const Caller& who, bool sse_ok, bool json_ok) {
  if (auto error = refused_before_dispatch(req, msg)) return send_json(res, 400, *error);
  StatelessFront& front = gateway_.stateless();
  if (msg.method == "tools/call") {
    // Mcp-Param-* against the tool's own schema, in the generation the
    // call will run under or an older one: either way the tool's headers.
    auto name = msg.params.find("name");
    if (name != msg.params.end() && name->is_string()) {
      auto tool = gateway_.generations().current().catalog->find_shared(*name);
      if (tool) {
        if (auto e = check_param_headers(msg, tool->input_schema, headers_of(req)))
          return send_json(res, 400, *e);
      }
    }
  }
  if (!msg.is_request()) {
    front.handle(std::move(msg), who, nullptr);
    res.status = 202;
    return;
  }
  if (StatelessFront::holds_open(msg)) return listen(req, res, std::move(msg), who);
  bool wants_stream = StatelessFront::wants_stream(msg);
  answer(
      req, res, std::move(msg), wants_stream,
      [&front, who](Message m, ClientStream* out) { return front.handle(std::move(m), who, out); },
      sse_ok, json_ok, stateless_status);
}

// subscriptions/listen holds an HTTP thread for as long as the client
// listens, as a GET stream does, so both count against the same cap.
void HttpTransport::listen(const httplib::Request& req, httplib::Response& res, Message msg,
                           const Caller& who) {
  auto& sv = gateway_.config()->server;
  int cap = std::max(1, sv.http_max_threads - sv.http_threads);
  if (++gauges_->open_streams > cap) {
    --gauges_->open_streams;
    res.set_header("Retry-After", "5");
    return send_rpc_error(res, 503, msg.id, rpc::kInternalError,
                          "Too many open streams (server.http_max_threads - http_threads)");
  }
  StatelessFront& front = gateway_.stateless();
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [&front, who, msg = std::move(msg)](size_t, httplib::DataSink& sink) mutable {
        DirectStream chan([&sink](const std::string& ev) {
          return sink.is_writable() && sink.write(ev.data(), ev.size());
        });
        if (auto reply = front.handle(std::move(msg), who, &chan)) chan.send(*reply);
        sink.done();
        return true;
      },
      [gauges = gauges_](bool) { --gauges->open_streams; });
}

}  // namespace toolgate
