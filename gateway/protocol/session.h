// One MCP session: the JSON-RPC dispatcher and the session's state
// (negotiated version, client capabilities, log level, calls in flight,
// requests we sent the client and await).
//
// Transports own the wire; a Session only sees parsed messages and sends
// through an Outbound. Messages related to a request (progress, logs,
// server-to-client requests) go to that request's stream when it has one,
// otherwise to the session's default stream (stdout, or the HTTP GET stream).
//
//   auto s = server.create_session(caller);
//   s->set_default_outbound(stdout_sink);
//   if (auto reply = s->handle(msg, nullptr)) write(*reply);
#pragma once

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/cancel.h"
#include "common/json_limits.h"
#include "common/result.h"
#include "gateway/policy/policy.h"

namespace toolgate {

class Server;

// Where the server's messages to a client go. Implementations are
// thread-safe; send() returns false once the stream is gone.
class Outbound {
 public:
  virtual ~Outbound() = default;
  virtual bool send(const json& msg) = 0;
  // Ends the stream (the session is over). Default: nothing to end.
  virtual void close() {}
};

// MCP log levels, in order (RFC 5424 names).
enum class McpLevel { debug, info, notice, warning, error, critical, alert, emergency };
bool parse_mcp_level(const std::string& s, McpLevel* out);

// request_client's error code when there is no stream to send the request on
// (an HTTP client without a GET stream, asked outside a streamed POST).
inline constexpr int kNoClientStream = -32010;

inline constexpr const char* kLatestProtocolVersion = "2025-11-25";

// Page cursors of the lists the gateway serves: opaque to clients.
std::string encode_cursor(size_t offset);
bool decode_cursor(const json& c, size_t* offset);
bool supported_protocol_version(const std::string& v);

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Server& server, std::string id, Caller caller);
  ~Session();

  const std::string& id() const { return id_; }
  const Caller& caller() const { return caller_; }

  // Handles one message. Returns the reply to a request; nothing for
  // notifications, responses and cancelled requests. `stream` receives
  // messages related to this request (null: the default stream).
  std::optional<json> handle(const json& msg, Outbound* stream);

  // Sends a request to the client and waits for its answer (or `cancel`).
  Result<json> request_client(const std::string& method, json params, uint64_t timeout_ms,
                              Outbound* stream, const CancelToken* cancel = nullptr);
  void notify(const std::string& method, json params, Outbound* stream);
  // notifications/message, if `level` is at or above the client's level.
  void log_to_client(McpLevel level, const json& data, Outbound* stream);
  // An upstream server's notifications/message params, passed on unless the
  // client asked (logging/setLevel) for a higher level. Until it asks, all
  // of an upstream's messages pass, as they would without the gateway.
  void forward_log(const json& params, Outbound* stream);

  void set_default_outbound(std::shared_ptr<Outbound> out);
  std::shared_ptr<Outbound> default_outbound() const;

  bool initialized() const { return initialized_.load(); }
  bool closed() const { return closed_.load(); }
  std::string protocol_version() const;
  json client_capabilities() const;
  bool client_supports(const std::string& capability) const;

  // Idle tracking for session expiry.
  void touch();
  std::chrono::steady_clock::time_point last_active() const;
  // Ends the session: cancels calls in flight, fails awaited client requests,
  // and ends its upstream subscriptions.
  void close();

 private:
  json handle_initialize(const json& params);
  std::optional<json> dispatch_request(const json& msg, Outbound* stream);
  void handle_notification(const json& msg);
  void handle_response(const json& msg);
  bool emit(const json& msg, Outbound* stream);

  // In-flight calls, for notifications/cancelled.
  std::shared_ptr<CancelToken> begin_call(const json& id);
  void end_call(const json& id);
  // Ends the call however its handler leaves (an exception included).
  struct InFlight {
    Session& s;
    const json& id;
    ~InFlight() { s.end_call(id); }
  };

  Server& server_;
  const std::string id_;
  const Caller caller_;
  std::atomic<bool> initialized_{false};
  std::atomic<bool> closed_{false};
  std::atomic<McpLevel> log_level_{McpLevel::warning};
  std::atomic<bool> level_set_{false};
  std::atomic<int64_t> last_active_ns_{0};

  mutable std::mutex mu_;
  std::string protocol_version_;
  json client_capabilities_ = json::object();
  std::shared_ptr<Outbound> default_out_;
  std::map<std::string, std::shared_ptr<CancelToken>> in_flight_;
  std::map<std::string, std::shared_ptr<std::promise<json>>> awaiting_;
  uint64_t next_request_id_ = 1;
};

}  // namespace toolgate
