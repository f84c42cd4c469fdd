// JSON-RPC batches: several messages in one array, in one HTTP body or one
// stdio line. Only MCP 2025-03-26 has them (2025-06-18 removed them), so a
// session that negotiated it handles a batch and any other refuses it.
//
//   if (doc.is_array()) {
//     if (!accepts_batches(*session)) return reply(batch_refused(*session));
//     if (auto replies = handle_batch(*session, std::move(doc), nullptr)) reply(*replies);
//   }
#pragma once

#include <optional>

#include "gateway/protocol/session.h"

namespace toolgate {

// Messages a batch may hold at most; each is handled in turn.
inline constexpr size_t kMaxBatch = 256;

bool accepts_batches(const Session& session);
// The -32600 error for a batch the session's revision does not have.
json batch_refused(const Session& session);
// Handles each message in order. The replies to its requests, and an
// error for each invalid member, as one array; nullopt when there are none
// (a batch of notifications and responses only).
std::optional<json> handle_batch(Session& session, json batch, ClientStream* stream);

}  // namespace toolgate
