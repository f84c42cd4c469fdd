#include "adapters/mcp/mcp_adapter.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "adapters/mcp/session_scope.h"
#include "adapters/mcp/upstream.h"
#include "adapters/sandbox_paths.h"
#include "adapters/script/script_adapter.h"
#include "adapters/source_egress.h"
#include "common/log.h"
#include "gateway/catalog/naming.h"
#include "gateway/config/yaml_json.h"
#include "gateway/egress/egress.h"

namespace toolgate {
namespace {

constexpr uint64_t kDefaultTimeoutMs = 60000;
constexpr uint32_t kDefaultMemoryMb = 1024;
constexpr uint32_t kDefaultAddressSpaceMb = 1u << 20;  // 1 TiB
constexpr uint64_t kDefaultMaxMessageBytes = 16u << 20;

// The server process: its command, an explicit environment (nothing is
// inherited but what env_allow names), its mounts and its limits.
WorkOrder server_order(const LoadContext& ctx) {
  const json& src = ctx.source.raw;
  const std::string& sp = ctx.source.pointer;
  WorkOrder o;
  const json env = command_env(src);
  for (auto& [k, v] : env.items()) o.env.emplace_back(k, v.get<std::string>());
  std::string base = working_dir();
  // An HTTP upstream is bridged to stdio inside the sandbox
  // (worker/net/mcp_http_bridge.h): no program of its own runs there.
  o.argv = src.contains("url") ? std::vector<std::string>{"-"}
                               : src.at("command").get<std::vector<std::string>>();
  uint32_t tmp_mb = 0;
  json mounts =
      src.contains("url") ? json::array() : command_mounts(ctx, src, sp, &o.argv, base, &tmp_mb);
  for (auto& m : mounts) o.sandbox.mounts.push_back({m["path"], m["writable"]});
  if (tmp_mb) o.sandbox.tmp_mb = tmp_mb;
  o.cwd = "/tmp";
  if (auto c = src.find("cwd"); c != src.end()) {
    o.cwd = c->get<std::string>();
    if (o.cwd[0] != '/') o.cwd = base + "/" + o.cwd;
    o.sandbox.mounts.push_back({o.cwd, false});
  }
  const json sb = src.value("sandbox", json::object());
  o.egress_allow =
      source_egress(ctx.config, sb, sp + "/sandbox", src.value("url", ""), sp + "/url");
  o.sandbox.egress = !o.egress_allow.empty();
  o.limits = ctx.config.workers.defaults;
  // A server lives as long as the gateway: no wall clock, no CPU-time cap;
  // memory and processes are capped as for any tool.
  o.limits.cpu_seconds = UINT32_MAX;
  o.limits.memory_mb = src.value("memory_mb", kDefaultMemoryMb);
  // Runtimes such as node reserve far more address space than they use
  // (WebAssembly guard regions): memory is capped by memory_mb and the
  // cgroup, not by RLIMIT_AS.
  o.limits.address_space_mb = src.value("address_space_mb", kDefaultAddressSpaceMb);
  o.limits.max_output_bytes = src.value("max_message_bytes", kDefaultMaxMessageBytes);
  if (auto u = src.find("url"); u != src.end()) {
    json headers = json::array();
    const json given_headers = src.value("headers", json::object());
    for (auto& [k, v] : given_headers.items()) {
      std::string value = v.get<std::string>();
      if (value.find_first_of("\r\n") != std::string::npos)
        ctx.config.doc.fail(sp + "/headers/" + pointer_escape(k),
                            "a header value cannot hold a line break");
      headers.push_back(k + ": " + value);
    }
    o.http = {{"mcp_bridge", true},
              {"url", *u},
              {"headers", headers},
              {"max_message_bytes", o.limits.max_output_bytes}};
  }
  return o;
}

// Registry of running upstreams, so a reload that keeps a source keeps its
// server (and its sessions' state) instead of starting another.
struct Registry {
  std::mutex mu;
  std::map<std::string, std::weak_ptr<mcp::ManagedUpstream>> live;
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

std::vector<Tool> McpAdapter::load(const LoadContext& ctx) const {
  const json& src = ctx.source.raw;
  const std::string& sp = ctx.source.pointer;
  const auto& doc = ctx.config.doc;
  if (!ctx.launcher) doc.fail(sp, "MCP upstreams cannot be started here");
  WorkOrder order = server_order(ctx);
  // The server runs under the isolation of the generation that loads it;
  // a reload that changes it starts a new server (the key below differs).
  if (ctx.sandbox_for) order.sandbox = (*ctx.sandbox_for)(order.sandbox);
  uint64_t timeout = src.value("timeout_ms", kDefaultTimeoutMs);
  // Same source, same server: kept across reloads.
  std::string key =
      ctx.source.name + "\n" + dump_safe(order.to_json()) + "\n" + std::to_string(timeout);
  bool per_session = src.value("scope", "shared") == "session";
  key += per_session ? "\nsession" : "\nshared";
  std::shared_ptr<mcp::ManagedUpstream> up;
  {
    std::lock_guard<std::mutex> lock(registry().mu);
    auto& live = registry().live;
    for (auto it = live.begin(); it != live.end();)
      it = it->second.expired() ? live.erase(it) : std::next(it);
    up = live[key].lock();
    if (!up) {
      mcp::UpstreamOptions opt{ctx.source.name, order, ctx.launcher, timeout};
      if (per_session)
        up = std::make_shared<mcp::SessionScoped>(opt);
      else
        up = mcp::Upstream::create(opt);
      live[key] = up;
    }
  }
  auto caps = up->ready(timeout);
  std::string where = sp + (src.contains("url") ? "/url" : "/command");
  if (!caps) doc.fail(where, caps.error().message);
  ForwardContext none;
  json listed = json::array();
  if (caps->contains("tools")) {
    auto tools = up->list_all("tools/list", "tools", none);
    if (!tools) doc.fail(where, "tools/list failed: " + tools.error().message);
    listed = std::move(*tools);
  }
  if (ctx.upstreams) ctx.upstreams->push_back(up);

  json include = src.value("include", json::object()), exclude = src.value("exclude", json());
  json override_ann = src.value("annotations", json::object());
  std::shared_ptr<const void> data = up;
  std::vector<Tool> out;
  for (auto& ut : listed) {
    // Tool definitions come from the upstream: untrusted, checked field by field.
    if (!ut.is_object() || !ut.contains("name") || !ut["name"].is_string()) continue;
    std::string name = ut["name"];
    if (include.contains("tools") && !glob_any(include["tools"], name)) continue;
    if (exclude.is_object() && glob_any(exclude.value("tools", json()), name)) continue;
    Tool t;
    t.pointer = sp;
    t.local_name = name;
    t.title = ut.value("title", json()).is_string() ? ut["title"].get<std::string>() : "";
    t.description =
        ut.value("description", json()).is_string() ? ut["description"].get<std::string>() : "";
    json input = ut.value("inputSchema", json());
    if (!input.is_object() || input.value("type", json()) != "object") {
      log::warn("mcp: tool skipped: its inputSchema is not an object schema",
                {{"source", ctx.source.name}, {"tool", name}});
      continue;
    }
    t.input_schema = input;
    // Shown to clients as the upstream wrote it; enforced here as far as the
    // validator understands it (a dialect it does not know is checked only
    // for being an object, and the upstream checks the rest).
    auto iv = SchemaValidator::compile(input);
    if (!iv) iv = SchemaValidator::compile(json{{"type", "object"}});
    t.input_validator = *iv;
    if (auto os = ut.find("outputSchema"); os != ut.end() && os->is_object()) {
      if (auto ov = SchemaValidator::compile(*os)) {
        t.output_schema = *os;
        t.output_validator = *ov;
      }
    }
    json ann = ut.value("annotations", json::object());
    if (!ann.is_object()) ann = json::object();
    for (auto& [k, v] : override_ann.items()) ann[k] = v;
    t.annotations = ann;
    t.limits = order.limits;
    t.limits.timeout_ms = uint32_t(std::min<uint64_t>(timeout, UINT32_MAX));
    t.route = {{"name", name}};
    t.adapter_data = data;
    out.push_back(std::move(t));
  }
  return out;
}

namespace {

// The upstream's own refusals of a request that the client must see as
// such, to act on them (bad params, a tampered requestState, a capability
// it must declare). Anything else (a crash, a timeout) is the tool failing,
// and the model gets it as a tool error it can read.
bool relayed_as_protocol_error(int code) {
  return code == rpc::kInvalidParams || code == rpc::kMissingClientCapability ||
         code == rpc::kUnsupportedProtocolVersion || code == rpc::kHeaderMismatch;
}

// A 2026 upstream's input_required, for a 2026 client to answer: only the
// fields the revision defines, each of the type it defines.
Result<json> input_required_of(const json& r) {
  Error bad{rpc::kInternalError, "The upstream's input_required result is malformed."};
  auto asks = r.find("inputRequests");
  if (asks == r.end() || !asks->is_object()) return bad;
  json out = {{"resultType", "input_required"}, {"inputRequests", json::object()}};
  for (auto& [key, ask] : asks->items()) {
    if (!ask.is_object() || !ask.value("method", json()).is_string()) return bad;
    json p = ask.value("params", json::object());
    out["inputRequests"][key] = {{"method", ask["method"]},
                                 {"params", p.is_object() ? p : json::object()}};
  }
  if (auto s = r.find("requestState"); s != r.end()) {
    if (!s->is_string()) return bad;
    out["requestState"] = *s;
  }
  return out;
}

}  // namespace

json McpAdapter::call(const Tool& tool, const json& args, ForwardContext& ctx) const {
  // Stored as a ManagedUpstream (load()), so read back as one.
  auto up = std::static_pointer_cast<mcp::ManagedUpstream>(
      std::const_pointer_cast<void>(tool.adapter_data));
  auto error = [](const std::string& t) {
    return json{{"content", {{{"type", "text"}, {"text", t}}}}, {"isError", true}};
  };
  if (!up) return error("The tool has no upstream.");
  auto r = up->forward("tools/call", {{"name", tool.route.at("name")}, {"arguments", args}}, ctx);
  if (!r) {
    if (ctx.cancel && ctx.cancel->cancelled()) return nullptr;
    if (relayed_as_protocol_error(r.error().code)) {
      json data = r.error().data.empty() ? json() : json::parse(r.error().data, nullptr, false);
      return {{"error",
               {{"code", r.error().code},
                {"message", r.error().message},
                {"data", data.is_discarded() ? json() : data}}}};
    }
    return error("The upstream server '" + tool.source + "' failed the call: " + r.error().message);
  }
  if (r->is_object() && r->value("resultType", "") == "input_required") {
    auto asks = input_required_of(*r);
    return asks ? *asks : error(asks.error().message);
  }
  if (!r->is_object() || !r->contains("content"))
    return error("The upstream answer is not a CallToolResult.");
  auto clean = sanitize_call_tool_result(*r);
  return clean ? *clean : error(clean.error().message);
}

}  // namespace toolgate
