// One MCP session of the 2025 eras (2025-03-26, 2025-06-18, 2025-11-25):
// the state initialize negotiates (version, client capabilities), the log
// level, the requests in flight (for notifications/cancelled) and the
// requests sent to the client that await an answer.
//
// A Session classifies nothing itself: transports hand it a Message read
// once (read_message). It answers initialize, ping and logging/setLevel,
// and for every other request builds the RequestContext and hands it to the
// Dispatcher, which never calls back into the session: it talks to the
// client through the context's ClientPeer (this session) and stream.
//
//   auto s = sessions.create(dispatcher, caller);
//   s->set_default_stream(stdout_stream);
//   if (auto reply = s->handle(read_message(doc), nullptr)) write(*reply);
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
#include "gateway/identity/caller.h"
#include "gateway/protocol/client_stream.h"
#include "gateway/protocol/jsonrpc.h"
#include "gateway/protocol/request_context.h"

namespace toolgate {

class Dispatcher;

inline constexpr const char* kLatestProtocolVersion = "2025-11-25";
// The 2025-era revisions a session can negotiate, newest first.
bool supported_protocol_version(const std::string& v);

class Session : public ClientPeer, public std::enable_shared_from_this<Session> {
 public:
  Session(const Dispatcher& dispatcher, std::string id, Caller caller);
  ~Session() override;

  const std::string& id() const { return id_; }
  const Caller& caller() const { return caller_; }

  // Handles one message. Returns the reply to a request; nothing for
  // notifications, responses and cancelled requests. `stream` receives
  // messages related to this request (null: the default stream).
  std::optional<json> handle(Message msg, ClientStream* stream);
  std::optional<json> handle(const json& msg, ClientStream* stream) {
    return handle(read_message(msg), stream);
  }
  // Whether the answer to `msg` had better come as a stream (HTTP: SSE):
  // a call that will send progress, or whose approval or upstream may ask
  // the client something (elicitation, sampling, roots) on the way.
  bool wants_stream(const Message& msg) const;

  // ClientPeer: the way back to this session's client.
  const std::string& peer_id() const override { return id_; }
  bool send(const json& msg, ClientStream* stream) override;
  Result<json> request_client(const std::string& method, json params, uint64_t timeout_ms,
                              ClientStream* stream, const CancelToken* cancel = nullptr) override;
  bool wants_log(McpLevel level) const override { return level >= log_level_.load(); }
  // Until the client asks (logging/setLevel), all of an upstream's messages
  // pass, as they would without the gateway.
  bool wants_upstream_log(McpLevel level) const override {
    return !level_set_ || level >= log_level_.load();
  }
  Session* session() override { return this; }

  // A notification outside any request (list_changed, resources/updated).
  void notify(const std::string& method, json params, ClientStream* stream);
  // An upstream's notifications/message params, by wants_upstream_log.
  void forward_log(const json& params, ClientStream* stream);

  void set_default_stream(std::shared_ptr<ClientStream> out);
  std::shared_ptr<ClientStream> default_stream() const;

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
  std::optional<json> handle_request(Message& msg, ClientStream* stream);
  json handle_initialize(const json& params);
  std::optional<json> set_level(const Message& msg);
  void handle_notification(const Message& msg);
  void handle_response(const Message& msg);
  // Moves the message's params into the context.
  RequestContext context_for(Message& msg, ClientStream* stream) const;

  // In-flight requests, for notifications/cancelled.
  std::shared_ptr<CancelToken> begin_call(const json& id);
  void end_call(const json& id);
  // Ends the call however its handler leaves (an exception included).
  struct InFlight {
    Session& s;
    const json& id;
    ~InFlight() { s.end_call(id); }
  };

  const Dispatcher& dispatcher_;
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
  std::shared_ptr<ClientStream> default_out_;
  std::map<std::string, std::shared_ptr<CancelToken>> in_flight_;
  std::map<std::string, std::shared_ptr<std::promise<json>>> awaiting_;
  uint64_t next_request_id_ = 1;
};

}  // namespace toolgate
