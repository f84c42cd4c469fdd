#include "adapters/script/script_adapter.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <climits>
#include <cstdlib>

#include "adapters/sandbox_paths.h"
#include "adapters/source_egress.h"
#include "common/log.h"

namespace toolgate {
namespace {

bool command_exists(const std::string& cmd, const std::string& path, const std::string& cwd) {
  if (cmd.find('/') != std::string::npos) {
    std::string full = cmd[0] == '/' ? cmd : cwd + "/" + cmd;
    return ::access(full.c_str(), X_OK) == 0;
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string cand = path.substr(start, end - start) + "/" + cmd;
    if (::access(cand.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

bool is_string_field(const json& o, const char* k) {
  auto it = o.find(k);
  return it != o.end() && it->is_string();
}

// Validates one content block; returns false when it is malformed.
bool valid_content_block(const json& b) {
  if (!b.is_object() || !is_string_field(b, "type")) return false;
  const std::string& t = b["type"].get_ref<const std::string&>();
  if (t == "text") return is_string_field(b, "text");
  if (t == "image" || t == "audio")
    return is_string_field(b, "data") && is_string_field(b, "mimeType");
  if (t == "resource_link") return is_string_field(b, "uri") && is_string_field(b, "name");
  if (t == "resource") {
    auto r = b.find("resource");
    return r != b.end() && r->is_object() && is_string_field(*r, "uri") &&
           (is_string_field(*r, "text") || is_string_field(*r, "blob"));
  }
  return false;
}

}  // namespace

Result<json> sanitize_call_tool_result(const json& in) {
  auto bad = [](const std::string& why) {
    return Error{rpc::kInternalError, "the tool returned a malformed CallToolResult: " + why};
  };
  const json& content = in.at("content");
  if (!content.is_array()) return bad("content is not an array");
  json out = {{"content", json::array()}};
  for (size_t i = 0; i < content.size(); ++i) {
    if (!valid_content_block(content[i])) {
      return bad("content[" + std::to_string(i) + "] is not a valid content block");
    }
    out["content"].push_back(content[i]);
  }
  if (auto e = in.find("isError"); e != in.end()) {
    if (!e->is_boolean()) return bad("isError is not a boolean");
    if (e->get<bool>()) out["isError"] = true;
  }
  if (auto s = in.find("structuredContent"); s != in.end() && !s->is_null()) {
    if (!s->is_object()) return bad("structuredContent is not an object");
    out["structuredContent"] = *s;
  }
  return out;
}

std::vector<Tool> ScriptAdapter::load(const LoadContext& ctx) const {
  const auto& doc = ctx.config.doc;
  const json& tools = ctx.source.raw.at("tools");
  const std::string cwd_default = working_dir();
  // Egress is per source: every tool of it may reach the same places.
  // No URL of its own: nothing unless the source allows it.
  std::vector<std::string> egress_allow =
      source_egress(ctx.config, ctx.source.raw, ctx.source.pointer, "", ctx.source.pointer);
  std::vector<Tool> out;
  for (size_t i = 0; i < tools.size(); ++i) {
    const json& tc = tools[i];
    std::string ptr = ctx.source.pointer + "/tools/" + std::to_string(i);
    Tool t;
    t.pointer = ptr;
    t.local_name = tc.at("name");
    t.title = tc.value("title", "");
    t.description = tc.value("description", "");
    t.input_schema =
        tc.value("input_schema", json{{"type", "object"}, {"additionalProperties", false}});
    if (t.input_schema.value("type", json()) != "object") {
      doc.fail(ptr + "/input_schema", "input_schema must be an object schema (type: object)");
    }
    auto iv = SchemaValidator::compile(t.input_schema);
    if (!iv) doc.fail(ptr + "/input_schema", iv.error().message);
    t.input_validator = *iv;
    if (auto os = tc.find("output_schema"); os != tc.end()) {
      if (os->value("type", json()) != "object") {
        doc.fail(ptr + "/output_schema", "output_schema must be an object schema (type: object)");
      }
      auto ov = SchemaValidator::compile(*os);
      if (!ov) doc.fail(ptr + "/output_schema", ov.error().message);
      t.output_schema = *os;
      t.output_validator = *ov;
    }
    t.annotations = tc.value("annotations", json::object());

    t.limits = ctx.config.workers.defaults;
    if (auto v = tc.find("timeout_ms"); v != tc.end()) t.limits.timeout_ms = *v;
    if (auto v = tc.find("memory_mb"); v != tc.end()) t.limits.memory_mb = *v;
    if (auto v = tc.find("address_space_mb"); v != tc.end()) t.limits.address_space_mb = *v;
    if (auto v = tc.find("max_output_bytes"); v != tc.end()) t.limits.max_output_bytes = *v;

    json env = command_env(tc);

    std::vector<std::string> argv = tc.at("command");
    uint32_t tmp_mb = 0;
    json mounts = command_mounts(ctx, tc, ptr, &argv, cwd_default, &tmp_mb);
    // The tool runs in a private /tmp unless it names a working directory,
    // which it then sees read-only.
    std::string cwd = "/tmp";
    if (auto c = tc.find("cwd"); c != tc.end()) {
      cwd = c->get<std::string>();
      if (cwd[0] != '/') cwd = cwd_default + "/" + cwd;
      mounts.push_back({{"path", cwd}, {"writable", false}});
    }
    if (!command_exists(argv[0], env["PATH"], cwd_default)) {
      log::warn("script command not found (the call will fail until it exists)",
                {{"where", doc.where(ptr + "/command/0")}, {"command", argv[0]}});
    }
    // The call's work order, built once here: prepare() only adds the
    // tool's final name and the call's arguments.
    auto order = std::make_shared<WorkOrder>();
    order->argv = std::move(argv);
    for (auto& [k, v] : env.items()) order->env.emplace_back(k, v.get<std::string>());
    order->cwd = cwd;
    for (auto& m : mounts) order->sandbox.mounts.push_back({m["path"], m["writable"]});
    order->sandbox.tmp_mb = tmp_mb;
    order->egress_allow = egress_allow;
    order->sandbox.egress = !egress_allow.empty();
    order->limits = t.limits;
    t.adapter_data = std::move(order);
    out.push_back(std::move(t));
  }
  return out;
}

Result<WorkOrder> ScriptAdapter::prepare(const Tool& tool, const json& args) const {
  // Stored as a WorkOrder by load(), so read back as one.
  WorkOrder o = *std::static_pointer_cast<const WorkOrder>(tool.adapter_data);
  o.env.emplace_back("TOOLGATE_TOOL", tool.name);
  o.stdin_data = dump_safe(args);
  return o;
}

json ScriptAdapter::render(const Tool& tool, const WorkResult& r) const {
  if (r.outcome == Outcome::tool_error) {
    std::string text = "The tool failed (exit status " + std::to_string(r.exit_code) + ")";
    if (!r.stderr_tail.empty()) text += ": " + r.stderr_tail;
    return {{"content", {{{"type", "text"}, {"text", text}}}}, {"isError", true}};
  }
  if (!r.stdout_is_json) {
    return {{"content", {{{"type", "text"}, {"text", r.stdout_text}}}}};
  }
  const json& v = r.stdout_json;
  if (v.is_object() && v.contains("content")) {
    auto clean = sanitize_call_tool_result(v);
    if (!clean) {
      return {{"content", {{{"type", "text"}, {"text", clean.error().message}}}},
              {"isError", true}};
    }
    return *clean;
  }
  // Any other JSON value: structured content (always an object) plus the
  // same JSON as text, as the spec recommends.
  json structured = v.is_object() ? v : json{{"result", v}};
  return {{"content", {{{"type", "text"}, {"text", dump_safe(v)}}}},
          {"structuredContent", structured}};
}

}  // namespace toolgate
