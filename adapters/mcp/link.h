// A message link to one upstream MCP server: JSON-RPC messages out, and
// messages in through a callback. StdioLink runs the server jailed, through
// a worker (worker/stdio_relay.h); what arrives was parsed and bounded
// there, never here.
//
//   auto link = StdioLink::start(launcher, order, "fs", {on_message, on_closed});
//   link->send(make_request(1, "tools/list", {}));
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "gateway/catalog/adapter.h"
#include "gateway/egress/egress.h"

namespace toolgate::mcp {

struct LinkHandlers {
  std::function<void(json)> on_message;
  // The link is gone (the server exited, or was stopped): why, for logs.
  std::function<void(const std::string& why)> on_closed;
};

class Link {
 public:
  virtual ~Link() = default;
  virtual bool send(const json& msg) = 0;
  // Stops the server; no callback runs after this returns.
  virtual void close() = 0;
};

class StdioLink : public Link, public std::enable_shared_from_this<StdioLink> {
 public:
  // `order` has argv, env, limits, sandbox and egress_allow; serve is set here.
  static Result<std::shared_ptr<StdioLink>> start(const Launcher& launcher, WorkOrder order,
                                                  const std::string& source, LinkHandlers handlers);
  ~StdioLink() override;
  // Queues the message: the writer thread sends it, so no caller (the
  // reader thread above all) ever blocks on a server that does not read.
  // False once closed, or when the queue is over its cap (the link is then
  // closed: a server that stops reading is treated as stuck).
  bool send(const json& msg) override;
  void close() override;

 private:
  StdioLink() = default;
  void read_loop();
  void broker_loop();
  void write_loop();

  // Messages waiting for the writer, at most this many bytes.
  static constexpr size_t kMaxQueuedBytes = 64u << 20;

  const Launcher* launcher_ = nullptr;
  std::string source_;
  LinkHandlers handlers_;
  SpawnedWorker worker_;
  std::optional<EgressPolicy> egress_;
  std::mutex mu_;  // the queue and closing
  std::condition_variable out_cv_;
  std::deque<std::string> out_;
  size_t out_bytes_ = 0;
  std::atomic<bool> closed_{false};
  // The threads hold the link (a shared_ptr) until they end, so it outlives
  // them even when the last other owner lets go on one of them.
  std::thread reader_, broker_, writer_;
};

}  // namespace toolgate::mcp
