// One upstream MCP server, as a client of it: the handshake (server/discover
// for MCP 2026-07-28, else initialize: upstream_2026.cc), requests with
// their answers, and everything the server sends on its own,
// routed to the right client session:
//   - progress, with the client's token swapped for ours and back;
//   - sampling, elicitation and roots requests during a call, asked of the
//     calling client and answered back;
//   - log messages, to the calling session (else to every session that used
//     this upstream), each filtered by that client's level;
//   - resource updates, to the sessions subscribed to the URI;
//   - list_changed, to the gateway (Launcher::changed).
// A server that exits fails the requests in flight cleanly and is started
// again on the next request, after a backoff that doubles up to 30 s.
//
//   auto up = Upstream::create({"fs", order, &launcher, 30000});
//   auto caps = up->ready(30000);            // starts and initializes it
//   auto tools = up->list_all("tools/list", "tools", ctx);
//   auto result = up->forward("tools/call", params, ctx);
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "adapters/mcp/link.h"
#include "gateway/catalog/upstream.h"

namespace toolgate::mcp {

// The requestState of a call parked on a 2025 server's question.
inline constexpr const char* kParkedStatePrefix = "toolgate-upstream.";

// An upstream the adapter manages: one that can be started and waited for.
class ManagedUpstream : public McpUpstream {
 public:
  // Starts the server if it is not running and waits for the handshake.
  // Returns its capabilities, or why it is not available.
  virtual Result<json> ready(uint64_t timeout_ms) = 0;
};

struct UpstreamOptions {
  std::string source;
  WorkOrder order;  // the server: argv, env, limits, sandbox, egress
  const Launcher* launcher = nullptr;
  uint64_t request_timeout_ms = 60000;  // without progress; progress extends it
};

class Upstream : public ManagedUpstream, public std::enable_shared_from_this<Upstream> {
 public:
  static std::shared_ptr<Upstream> create(UpstreamOptions options);
  ~Upstream() override;

  Result<json> ready(uint64_t timeout_ms) override;

  const std::string& source() const override { return opt_.source; }
  json capabilities() const override;
  Result<json> forward(const std::string& method, json params, ForwardContext& ctx) override;
  Result<json> list_all(const std::string& method, const std::string& key,
                        ForwardContext& ctx) override;
  void session_closed(Session& session) override;

 private:
  struct Call;
  explicit Upstream(UpstreamOptions o) : opt_(std::move(o)) {}
  Result<json> start_locked(std::unique_lock<std::mutex>& lock, uint64_t timeout_ms);
  // What the link of start number `gen` reports to (a later start's close
  // of an earlier link is ignored).
  LinkHandlers handlers_for(uint64_t gen);
  // The handshake is done: initialized and the log level (2025), or the
  // listen for list changes (2026). Called and returns with mu_ held.
  void after_handshake(std::unique_lock<std::mutex>& lock, bool restart);
  // The 2026-07-28 dialect (upstream_2026.cc). server/discover first, as the
  // revision asks, else initialize: {"capabilities", "stateless"}.
  Result<json> handshake(uint64_t timeout_ms);
  // A request's params as this server's era wants them: the per-request
  // envelope (2026), or none of it (2025).
  json shape_params(const std::string& method, json params, const ForwardContext& ctx,
                    bool stateless) const;
  // A new subscriptions/listen for every list change and the subscribed
  // resources, the previous one cancelled: a 2026 server announces changes
  // only to listeners. Its ids are strings, never awaited. Under mu_; the
  // messages are sent after it is released (send_now).
  std::vector<json> relisten_locked();
  // Asks a 2025 client what a 2026 server's input_required wants, and sends
  // the request again with the answers, round after round.
  Result<json> answer_input_required(const std::string& method, json params, json result,
                                     ForwardContext& ctx);
  Result<json> request(const std::string& method, json params, ForwardContext* ctx,
                       uint64_t timeout_ms);
  // Waits for the server's answer to request `id`, cancellation, the
  // deadline, or (a 2026 client on a 2025 server) a question to park on.
  Result<json> await_call(const std::shared_ptr<Call>& call, int64_t id,
                          const std::shared_ptr<Link>& link, const std::string& method);
  void forget(int64_t id, const std::shared_ptr<Call>& call);

  // A 2025 server asking a 2026 client something during a call
  // (upstream_parking.cc): the question is queued on the call, the client's
  // request ends with input_required, and the call waits, parked, for the
  // retry that brings the answers.
  void ask_later(const std::shared_ptr<Call>& call, const json& id, const std::string& method,
                 const json& params, const char* capability);
  Result<json> park(const std::shared_ptr<Call>& call, int64_t id,
                    const std::shared_ptr<Link>& link, const std::string& method);
  Result<json> resume(const std::string& key, const std::string& method, const json& params,
                      ForwardContext& ctx);
  // Parked calls whose time is up are cancelled upstream.
  void drop_expired_parked();
  void on_message(json msg);
  void on_closed(const std::string& why);
  void on_response(const json& msg);
  void on_notification(const std::string& method, const json& params);
  void on_request(const json& msg);
  // The session (and stream) a message the server sends on its own is for:
  // the one call in flight, or the only session with calls in flight.
  std::shared_ptr<Call> target_call();
  // Sends without holding mu_ (the link queues it).
  void send_now(const json& msg);

  const UpstreamOptions opt_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<Link> link_;
  bool running_ = false, starting_ = false;
  uint64_t generation_ = 0;  // bumped at each start, so a stale close is ignored
  json capabilities_;
  bool stateless_ = false;  // the server speaks 2026-07-28 (server/discover answered)
  std::string last_error_;
  int failures_ = 0;
  std::chrono::steady_clock::time_point next_start_{}, started_at_{};
  int64_t next_id_ = 1;
  std::map<int64_t, std::shared_ptr<Call>> pending_;
  std::map<std::string, std::shared_ptr<Call>> by_token_;  // our progress token -> call
  // Sessions that used this upstream, for log messages outside any call.
  std::map<Session*, std::weak_ptr<Session>> sessions_;
  std::map<std::string, std::map<Session*, std::weak_ptr<Session>>> subscribers_;
  int listens_ = 0;  // subscriptions/listen requests sent, for their ids
  struct Parked {
    std::shared_ptr<Call> call;
    int64_t id = 0;
    std::shared_ptr<Link> link;
    std::string method;
    std::chrono::steady_clock::time_point until;
  };
  std::map<std::string, Parked> parked_;  // by the requestState's random key
};

}  // namespace toolgate::mcp
