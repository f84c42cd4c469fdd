// A message link to one upstream MCP server: JSON-RPC messages out, and
// messages in through a callback. StdioLink runs the server jailed, through
// a worker (worker/stdio_relay.h); what arrives was parsed and bounded
// there, never here.
//
//   auto link = StdioLink::start(launcher, order, "fs", {on_message, on_closed});
//   link->send(make_request(1, "tools/list", {}));
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "toolgate/adapter.h"
#include "toolgate/egress.h"

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

class StdioLink : public Link {
 public:
  // `order` has argv, env, limits, sandbox and egress_allow; serve is set here.
  static Result<std::unique_ptr<StdioLink>> start(const Launcher& launcher, WorkOrder order,
                                                  const std::string& source, LinkHandlers handlers);
  ~StdioLink() override;
  bool send(const json& msg) override;
  void close() override;

 private:
  StdioLink() = default;
  void read_loop();
  void broker_loop();

  const Launcher* launcher_ = nullptr;
  std::string source_;
  LinkHandlers handlers_;
  SpawnedWorker worker_;
  std::optional<EgressPolicy> egress_;
  std::mutex write_mu_;
  std::mutex close_mu_;
  std::atomic<bool> closed_{false};
  std::thread reader_, broker_;
};

}  // namespace toolgate::mcp
