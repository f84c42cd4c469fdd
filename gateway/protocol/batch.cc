#include "gateway/protocol/batch.h"

namespace toolgate {

namespace {
constexpr const char* kBatchRevision = "2025-03-26";
}  // namespace

bool accepts_batches(const Session& session) {
  return session.protocol_version() == kBatchRevision;
}

json batch_refused(const Session& session) {
  std::string v = session.protocol_version();
  return make_error(nullptr, rpc::kInvalidRequest,
                    "JSON-RPC batches are only part of MCP " + std::string(kBatchRevision) +
                        (v.empty() ? "; initialize first" : "; this session uses " + v));
}

std::optional<json> handle_batch(Session& session, json batch, ClientStream* stream) {
  // JSON-RPC 2.0: an empty or oversized batch is one invalid request.
  if (!batch.is_array() || batch.empty())
    return make_error(nullptr, rpc::kInvalidRequest, "an empty batch");
  if (batch.size() > kMaxBatch)
    return make_error(nullptr, rpc::kInvalidRequest,
                      "a batch may hold at most " + std::to_string(kMaxBatch) + " messages");
  json replies = json::array();
  for (auto& member : batch) {
    if (member.is_array()) {
      replies.push_back(make_error(nullptr, rpc::kInvalidRequest, "a batch cannot hold a batch"));
      continue;
    }
    Message msg = read_message(std::move(member));
    if (msg.kind == MessageKind::invalid) {
      replies.push_back(make_error(msg.id, rpc::kInvalidRequest, msg.error));
      continue;
    }
    if (msg.opens_session()) {
      replies.push_back(make_error(msg.id, rpc::kInvalidRequest,
                                   "initialize must not be part of a JSON-RPC batch"));
      continue;
    }
    if (auto reply = session.handle(std::move(msg), stream)) replies.push_back(std::move(*reply));
  }
  if (replies.empty()) return std::nullopt;
  return replies;
}

}  // namespace toolgate
