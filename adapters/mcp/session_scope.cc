#include "adapters/mcp/session_scope.h"

#include "common/log.h"
#include "gateway/protocol/jsonrpc.h"
#include "gateway/protocol/session.h"

namespace toolgate::mcp {

SessionScoped::SessionScoped(UpstreamOptions options)
    : opt_(std::move(options)), shared_(Upstream::create(opt_)) {}

Result<std::shared_ptr<Upstream>> SessionScoped::instance(ForwardContext& ctx) {
  if (!ctx.session) return shared_;
  if (ctx.session->closed()) return Error{rpc::kInternalError, "the session has ended"};
  std::shared_ptr<Upstream> up;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Sessions that ended without telling us (a crash of the transport)
    // must not hold a server forever.
    for (auto it = per_session_.begin(); it != per_session_.end();)
      it = it->second.first.expired() ? per_session_.erase(it) : std::next(it);
    auto it = per_session_.find(ctx.session);
    if (it != per_session_.end()) {
      up = it->second.second;
    } else {
      if (per_session_.size() >= kMaxInstances)
        return Error{rpc::kInternalError, "'" + opt_.source + "' already runs " +
                                              std::to_string(kMaxInstances) +
                                              " session servers; try again later"};
      up = Upstream::create(opt_);
      per_session_[ctx.session] = {ctx.session->weak_from_this(), up};
      log::info("session server started",
                {{"source", opt_.source}, {"session", ctx.session->id()}});
    }
  }
  auto caps = up->ready(opt_.request_timeout_ms);
  if (!caps) return caps.error();
  return up;
}

Result<json> SessionScoped::forward(const std::string& method, json params, ForwardContext& ctx) {
  auto up = instance(ctx);
  if (!up) return up.error();
  return (*up)->forward(method, std::move(params), ctx);
}

Result<json> SessionScoped::list_all(const std::string& method, const std::string& key,
                                     ForwardContext& ctx) {
  auto up = instance(ctx);
  if (!up) return up.error();
  return (*up)->list_all(method, key, ctx);
}

void SessionScoped::session_closed(Session& session) {
  std::shared_ptr<Upstream> gone;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = per_session_.find(&session);
    if (it == per_session_.end()) return;
    gone = std::move(it->second.second);
    per_session_.erase(it);
  }
  log::info("session server stopped", {{"source", opt_.source}, {"session", session.id()}});
  // Destroying the last reference stops the process (outside our lock).
}

}  // namespace toolgate::mcp
