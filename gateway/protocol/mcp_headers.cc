#include "gateway/protocol/mcp_headers.h"

#include <cmath>

#include "common/base64.h"
#include "common/result.h"

namespace toolgate {
namespace {

constexpr std::string_view kSentinelPrefix = "=?base64?";
constexpr std::string_view kSentinelSuffix = "?=";

bool valid_utf8(const std::string& s) { return sanitize_utf8(s) == s; }

json mismatch(const json& id, const std::string& header, const std::string& what) {
  return make_error(id, rpc::kHeaderMismatch,
                    "Bad Request: the request headers and body disagree: " + what,
                    {{"mismatch", {{"header", header}, {"body", what}}}});
}

std::string trim_ows(const std::string& v) {
  size_t b = v.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return v.substr(b, v.find_last_not_of(" \t") - b + 1);
}

// A primitive argument as its header spells it; nullopt for objects and
// arrays, which no header carries.
std::optional<std::string> header_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::floor(d) == d && std::fabs(d) < 9e15) return std::to_string(int64_t(d));
    return v.dump();
  }
  return std::nullopt;
}

bool numeric_equal(const std::string& header, const json& body) {
  char* end = nullptr;
  double h = std::strtod(header.c_str(), &end);
  return end && *end == '\0' && !header.empty() && h == body.get<double>();
}

}  // namespace

std::optional<std::string> decode_header_value(const std::string& value) {
  bool sentinel = value.size() >= kSentinelPrefix.size() + kSentinelSuffix.size() &&
                  value.compare(0, kSentinelPrefix.size(), kSentinelPrefix) == 0 &&
                  value.compare(value.size() - kSentinelSuffix.size(), kSentinelSuffix.size(),
                                kSentinelSuffix) == 0;
  if (!sentinel) return value;
  std::string_view payload(value);
  payload = payload.substr(kSentinelPrefix.size(),
                           value.size() - kSentinelPrefix.size() - kSentinelSuffix.size());
  auto raw = base64_decode(payload, Base64::standard);
  if (!raw || !valid_utf8(*raw)) return std::nullopt;
  return raw;
}

const char* name_header_source(const std::string& method) {
  if (method == "tools/call" || method == "prompts/get") return "name";
  if (method == "resources/read") return "uri";
  if (method == "tasks/get" || method == "tasks/update" || method == "tasks/cancel")
    return "taskId";
  return "";
}

std::optional<json> check_standard_headers(const Message& msg, const std::string& body_version,
                                           const HeaderLookup& header) {
  if (!msg.is_request()) return std::nullopt;  // the revision asks them of requests
  auto version = header("MCP-Protocol-Version");
  if (!version)
    return mismatch(msg.id, "(missing)", "the required MCP-Protocol-Version header is absent");
  if (!body_version.empty() && trim_ows(*version) != body_version) {
    return mismatch(msg.id, *version,
                    "the body envelope names protocol version " + body_version +
                        " but the MCP-Protocol-Version header names " + trim_ows(*version));
  }
  auto method = header(kMethodHeader);
  if (!method) return mismatch(msg.id, "(missing)", "the required Mcp-Method header is absent");
  if (trim_ows(*method) != msg.method) {
    return mismatch(msg.id, *method,
                    "the body names method " + msg.method + " but the Mcp-Method header names " +
                        trim_ows(*method));
  }
  std::string field = name_header_source(msg.method);
  if (field.empty()) return std::nullopt;
  auto body_name = msg.params.find(field);
  bool has_body_name = body_name != msg.params.end() && body_name->is_string();
  auto name = header(kNameHeader);
  if (!name) {
    if (!has_body_name) return std::nullopt;
    return mismatch(
        msg.id, "(missing)",
        "the body carries params." + field + " but the required Mcp-Name header is absent");
  }
  auto decoded = decode_header_value(trim_ows(*name));
  if (!decoded) return mismatch(msg.id, *name, "the Mcp-Name header carries invalid Base64");
  if (has_body_name && *decoded != body_name->get<std::string>()) {
    return mismatch(msg.id, *name,
                    "the body carries params." + field + "=\"" + body_name->get<std::string>() +
                        "\" but the Mcp-Name header names \"" + *decoded + "\"");
  }
  return std::nullopt;
}

std::optional<json> check_param_headers(const Message& msg, const json& input_schema,
                                        const HeaderLookup& header) {
  if (msg.method != "tools/call" || !input_schema.is_object()) return std::nullopt;
  auto props = input_schema.find("properties");
  if (props == input_schema.end() || !props->is_object()) return std::nullopt;
  auto args_it = msg.params.find("arguments");
  if (args_it == msg.params.end() || !args_it->is_object()) return std::nullopt;
  for (auto& [prop, schema] : props->items()) {
    if (!schema.is_object()) continue;
    auto mark = schema.find("x-mcp-header");
    if (mark == schema.end() || !mark->is_string()) continue;
    auto arg = args_it->find(prop);
    if (arg == args_it->end() || arg->is_null()) continue;  // nothing to mirror
    auto body_text = header_text(*arg);
    if (!body_text) continue;
    std::string name = kParamHeaderPrefix + mark->get<std::string>();
    auto value = header(name);
    if (!value)
      return mismatch(msg.id, name,
                      "the body carries " + prop + " but the " + name + " header is absent");
    auto decoded = decode_header_value(trim_ows(*value));
    if (!decoded) return mismatch(msg.id, name, "the " + name + " header carries invalid Base64");
    bool equal = arg->is_number() ? numeric_equal(*decoded, *arg) : *decoded == *body_text;
    if (!equal) {
      return mismatch(msg.id, name,
                      "the " + name + " header decodes to \"" + *decoded +
                          "\" but the body carries " + prop + "=" + dump_safe(*arg));
    }
  }
  return std::nullopt;
}

}  // namespace toolgate
