// MCP 2026-07-28, the stateless era: no initialize and no session. Each
// request names its protocol version, capabilities and log level in its
// own _meta (envelope.h), so the front builds the RequestContext from the
// request alone and hands it to the same Dispatcher the 2025 sessions use.
// A server-to-client question (an approval) becomes an input_required
// result that the client answers by sending the request again.
//
//   StatelessFront front(dispatcher);
//   if (StatelessFront::claims(msg)) reply = front.handle(std::move(msg), caller, stream);
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/cancel.h"
#include "gateway/identity/caller.h"
#include "gateway/protocol/client_stream.h"
#include "gateway/protocol/envelope.h"
#include "gateway/protocol/jsonrpc.h"
#include "gateway/protocol/listeners.h"
#include "gateway/protocol/tasks.h"

namespace toolgate {

class Dispatcher;

class StatelessFront {
 public:
  explicit StatelessFront(const Dispatcher& dispatcher) : dispatcher_(dispatcher) {}

  // Whether `msg` is 2026-era traffic: server/discover, or a message whose
  // _meta carries the protocol-version key (even a malformed one, which
  // then gets its error here rather than a 2025 session's).
  static bool claims(const Message& msg);
  // Whether the answer had better come as a stream (HTTP: SSE): a call
  // with a progress token, or one whose upstream may log on the way.
  static bool wants_stream(const Message& msg);
  // Requests that hold their stream open until the client leaves
  // (subscriptions/listen): transports give them a thread of their own.
  static bool holds_open(const Message& msg) {
    return msg.is_request() && msg.method == "subscriptions/listen";
  }

  // Answers one message. Notifications get nothing back (a cancellation
  // cancels the caller's request with that id); a cancelled request gets
  // nothing either. `stream` carries the request's notifications.
  std::optional<json> handle(Message msg, const Caller& caller, ClientStream* stream);

  // The server/discover result: versions, capabilities, instructions.
  json discover() const;
  // The open subscriptions/listen requests: list changes go to them.
  ListenerSet& listeners() { return listeners_; }
  // Calls that run on as tasks (the Tasks extension).
  TaskStore& tasks() { return tasks_; }

 private:
  std::optional<json> handle_request(Message& msg, const Caller& caller, ClientStream* stream);
  // tools/call (perhaps as a task) and the tasks/* methods; else the dispatcher.
  std::optional<json> dispatch(RequestContext& rq);
  void cancel(const Caller& caller, const json& params);

  const Dispatcher& dispatcher_;
  // Requests in flight, by caller and id, for notifications/cancelled.
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<CancelToken>> in_flight_;
  ListenerSet listeners_;
  TaskStore tasks_;
};

// A 2026 result as the revision shapes it: resultType, serverInfo in _meta,
// and for lists (and resources/read) how long and for whom it may be cached.
json stamp_stateless_result(const std::string& method, json result, bool caller_specific);

}  // namespace toolgate
