#include "gateway/call/tools_list.h"

#include "gateway/catalog/catalog.h"
#include "gateway/config/config.h"
#include "gateway/policy/policy.h"
#include "gateway/protocol/cursor.h"
#include "gateway/protocol/jsonrpc.h"

namespace toolgate {

json list_tools(const RequestContext& rq) {
  const Snapshot& snap = rq.snapshot;
  std::vector<const Tool*> visible;
  bool hide = snap.config->server.hide_denied_tools;
  for (auto& t : snap.catalog->tools()) {
    if (!t->listed) continue;  // reached through its source's call_tool
    if (!hide || !snap.policy->denies_always(rq.caller, *t)) visible.push_back(t.get());
  }
  size_t offset = 0;
  if (auto c = rq.params.find("cursor"); c != rq.params.end() && !c->is_null()) {
    if (!decode_cursor(*c, &offset) || offset > visible.size())
      return make_error(rq.id, rpc::kInvalidParams, "invalid cursor");
  }
  size_t page = snap.config->server.page_size;
  json tools = json::array();
  size_t end = std::min(visible.size(), offset + page);
  for (size_t i = offset; i < end; ++i) tools.push_back(visible[i]->to_mcp());
  json result = {{"tools", std::move(tools)}};
  if (end < visible.size()) result["nextCursor"] = encode_cursor(end);
  return make_result(rq.id, std::move(result));
}

}  // namespace toolgate
