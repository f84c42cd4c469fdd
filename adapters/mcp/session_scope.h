// `scope: session`: each client session gets its own upstream server
// process, started on its first request and stopped when the session ends,
// so nothing one client does to the server (state, files, subscriptions)
// is seen by another. A shared instance serves what is not tied to a
// session: listing the tools when the catalog is built.
//
//   auto up = SessionScoped::create(options);   // an McpUpstream
//   up->forward("tools/call", params, ctx);     // ctx.session's own server
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "adapters/mcp/upstream.h"

namespace toolgate::mcp {

class SessionScoped : public ManagedUpstream {
 public:
  // At most this many session servers per source at once.
  static constexpr size_t kMaxInstances = 64;

  explicit SessionScoped(UpstreamOptions options);
  Result<json> ready(uint64_t timeout_ms) override { return shared_->ready(timeout_ms); }

  const std::string& source() const override { return opt_.source; }
  json capabilities() const override { return shared_->capabilities(); }
  Result<json> forward(const std::string& method, json params, ForwardContext& ctx) override;
  Result<json> list_all(const std::string& method, const std::string& key,
                        ForwardContext& ctx) override;
  void session_closed(Session& session) override;

 private:
  // The session's server (started if need be), or the shared one when the
  // request belongs to no session.
  Result<std::shared_ptr<Upstream>> instance(ForwardContext& ctx);

  UpstreamOptions opt_;
  std::shared_ptr<Upstream> shared_;
  std::mutex mu_;
  std::map<Session*, std::pair<std::weak_ptr<Session>, std::shared_ptr<Upstream>>> per_session_;
};

}  // namespace toolgate::mcp
