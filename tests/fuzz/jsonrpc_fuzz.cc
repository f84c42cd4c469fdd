// Reads one client JSON-RPC message (HTTP body, stdio line) the way the gateway does first:
// parse_bounded, read_message, the 2026-07-28 _meta envelope, the MCP-* header checks.
// Hostile input from every client; invariants are listed in tests/fuzz/README.md.
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string_view>

#include "common/base64.h"
#include "common/text.h"
#include "fuzz_util.h"
#include "gateway/protocol/envelope.h"
#include "gateway/protocol/jsonrpc.h"
#include "gateway/protocol/mcp_headers.h"

using namespace toolgate;
using toolgate::fuzz::Rng;

namespace {

constexpr size_t kDepth = 64;  // ServerConfig::max_json_depth's default

size_t depth_of(const json& j) {
  size_t d = 0;
  if (j.is_structured())
    for (auto& v : j) d = std::max(d, depth_of(v));
  return j.is_structured() ? d + 1 : 0;
}

void check_reply(const json& reply, const json& id) {
  auto back = parse_bounded(dump_safe(reply), kDepth);
  FUZZ_CHECK(back, "an error reply does not parse back");
  Message m = read_message(std::move(*back));
  FUZZ_CHECK(m.body.contains("error") && m.body["error"]["code"].is_number_integer(), "no code");
  if (valid_id(id)) FUZZ_CHECK(m.kind == MessageKind::response && m.id == id, "reply id lost");
}

bool ows_clean(const std::string& s) {
  return s.empty() || (s.find_first_of(" \t") != 0 && s.find_last_of(" \t") != s.size() - 1);
}

// A value as a client spells it: visible ASCII as it is, else Base64.
std::string canonical(const std::string& v, bool force_base64) {
  bool plain = !force_base64 && !v.empty() && v.front() != ' ' && v.back() != ' ' &&
               v.rfind("=?base64?", 0) != 0;
  for (unsigned char c : v) plain = plain && c >= 0x20 && c <= 0x7E;
  return plain ? v : "=?base64?" + base64_encode(v) + "?=";
}

struct Headers {
  explicit Headers(Rng& r) : rng(r), honest(r.below(2) == 0) {}
  Rng& rng;
  bool honest;           // half the inputs: only faithful variants
  bool faithful = true;  // every header mirrors the body
  std::map<std::string, std::string> values;
  // `decoded`: the gateway reads the Base64 sentinel in this header.
  void offer(const std::string& name, const std::optional<std::string>& value, bool decoded) {
    size_t pick = rng.below(honest ? 6 : 8);
    if (!value || pick == 6) {  // absent
      faithful = faithful && !value;
      return;
    }
    std::string v = decoded ? canonical(*value, pick == 5) : *value;
    if (pick == 4) v = " \t" + v + " ";
    if (pick == 7) v += "x", faithful = false;
    values[name] = v;
  }
};

// An argument as its header spells it (numbers compare as numbers); objects have none.
std::optional<std::string> header_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.is_primitive() && !v.is_null() ? std::optional<std::string>(v.dump()) : std::nullopt;
}

void check_headers(const Message& m, const Envelope& env, Rng& rng) {
  Headers h(rng);
  h.offer("mcp-protocol-version", env.version, false);
  if (!ows_clean(env.version) || !ows_clean(m.method)) h.faithful = false;
  h.offer("mcp-method", m.method, false);
  std::string field = name_header_source(m.method);
  std::optional<std::string> name;
  if (auto it = m.params.find(field); !field.empty() && it != m.params.end() && it->is_string())
    name = it->get<std::string>();
  h.offer("mcp-name", name, true);
  json schema = {{"type", "object"}, {"properties", json::object()}};
  if (auto args = m.params.find("arguments"); args != m.params.end() && args->is_object()) {
    size_t i = 0;
    for (auto& [k, v] : args->items()) {
      if (i == 8) break;
      std::string mark = "P" + std::to_string(i++);
      schema["properties"][k] = {{"x-mcp-header", mark}};
      h.offer("mcp-param-" + ascii_lower(mark), header_text(v), true);
    }
  }
  HeaderLookup get = [&](const std::string& n) -> std::optional<std::string> {
    auto it = h.values.find(ascii_lower(n));
    return it == h.values.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  auto e = check_standard_headers(m, env.version, get);
  if (!e) e = check_param_headers(m, schema, get);
  if (e) check_reply(*e, m.id);
  if (h.faithful && m.is_request())
    FUZZ_CHECK(!e, "faithful headers refused: %s", dump_safe(*e).c_str());
  if (m.is_request() && !h.values.count("mcp-protocol-version"))
    FUZZ_CHECK(e, "a request without MCP-Protocol-Version was accepted");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = parse_bounded(text, kDepth);
  if (!doc) {
    FUZZ_CHECK(doc.error().code == rpc::kParseError, "code %d", doc.error().code);
    return 0;
  }
  FUZZ_CHECK(depth_of(*doc) <= kDepth, "depth %zu passed the bound", depth_of(*doc));
  Message m = read_message(std::move(*doc));
  FUZZ_CHECK(m.id.is_null() || valid_id(m.id), "id %s", m.id.dump().c_str());
  FUZZ_CHECK(m.params.is_object(), "params not an object");
  FUZZ_CHECK(m.progress_token.is_null() || valid_id(m.progress_token), "progress token");
  switch (m.kind) {
    case MessageKind::invalid:
      FUZZ_CHECK(!m.error.empty(), "invalid without a reason");
      check_reply(make_error(m.id, rpc::kInvalidRequest, m.error), m.id);
      return 0;
    case MessageKind::response:
      FUZZ_CHECK(valid_id(m.id), "a response without an id");
      if (auto e = m.body.find("error"); e != m.body.end()) error_of(*e, "fallback");
      return 0;
    case MessageKind::request:
      FUZZ_CHECK(valid_id(m.id) && id_key(m.id) != "?", "a request without an id");
      break;
    case MessageKind::notification:
      FUZZ_CHECK(m.id.is_null(), "a notification with an id");
      break;
  }
  Envelope env = read_envelope(m.params);
  FUZZ_CHECK(env.claimed || (env.problem.empty() && env.version.empty()), "unclaimed problem");
  FUZZ_CHECK(env.client_capabilities.is_object(), "capabilities not an object");
  if (!env.problem.empty()) return check_reply(envelope_error(m.id, env), m.id), 0;
  if (env.claimed && !is_stateless_version(env.version))
    check_reply(unsupported_version_error(m.id, env.version), m.id);
  Rng rng(text);
  check_headers(m, env, rng);
  return 0;
}
