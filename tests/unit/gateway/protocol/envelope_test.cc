// The 2026-07-28 per-request envelope and the HTTP headers that mirror the
// body (gateway/protocol/envelope.cc, mcp_headers.cc).
#include <doctest/doctest.h>

#include <map>

#include "gateway/protocol/envelope.h"
#include "gateway/protocol/mcp_headers.h"

using namespace toolgate;

namespace {

json meta(json extra = json::object()) {
  json m = {{kMetaProtocolVersion, kStatelessVersion}, {kMetaClientCapabilities, json::object()}};
  m.update(extra);
  return m;
}

HeaderLookup lookup(std::map<std::string, std::string> h) {
  return [h](const std::string& name) -> std::optional<std::string> {
    auto it = h.find(name);
    if (it == h.end()) return std::nullopt;
    return it->second;
  };
}

Message request(const std::string& method, json params) {
  return read_message({{"jsonrpc", "2.0"}, {"id", 7}, {"method", method}, {"params", params}});
}

int code_of(const std::optional<json>& reply) { return reply ? int((*reply)["error"]["code"]) : 0; }

}  // namespace

TEST_CASE("an envelope is claimed only by the protocol-version key") {
  CHECK_FALSE(read_envelope(json::object()).claimed);
  CHECK_FALSE(read_envelope({{"_meta", {{"progressToken", 1}}}}).claimed);
  Envelope env = read_envelope({{"_meta", meta({{kMetaLogLevel, "info"}})}});
  CHECK(env.claimed);
  CHECK(env.problem.empty());
  CHECK(env.version == kStatelessVersion);
  CHECK(env.log_level_set);
  CHECK(env.log_level == McpLevel::info);
}

TEST_CASE("a malformed envelope names the key that is wrong") {
  json m = meta();
  m.erase(kMetaClientCapabilities);
  CHECK(read_envelope({{"_meta", m}}).problem.find("clientCapabilities") != std::string::npos);
  CHECK(read_envelope({{"_meta", meta({{kMetaProtocolVersion, 2026}})}})
            .problem.find("protocolVersion") != std::string::npos);
  CHECK(read_envelope({{"_meta", meta({{kMetaLogLevel, "loud"}})}}).problem.find("logLevel") !=
        std::string::npos);
  CHECK(read_envelope({{"_meta", meta({{kMetaClientInfo, "me"}})}}).problem.find("clientInfo") !=
        std::string::npos);
}

TEST_CASE("versions: 2026-07-28 and later are the stateless era") {
  CHECK(is_modern_version("2026-07-28"));
  CHECK(is_modern_version("2027-01-01"));
  CHECK_FALSE(is_modern_version("2025-11-25"));
  CHECK_FALSE(is_modern_version(""));
  CHECK(is_stateless_version("2026-07-28"));
  CHECK_FALSE(is_stateless_version("2027-01-01"));
}

TEST_CASE("header values: the base64 sentinel decodes, anything else is literal") {
  CHECK(decode_header_value("=?base64?SGVsbG8=?=") == std::optional<std::string>("Hello"));
  CHECK_FALSE(decode_header_value("=?base64?SGVsbG8?=").has_value());
  CHECK_FALSE(decode_header_value("=?base64?SGVs!!!bG8=?=").has_value());
  CHECK_FALSE(decode_header_value("=?base64?/w==?=").has_value());  // not UTF-8
  CHECK(decode_header_value("SGVsbG8=") == std::optional<std::string>("SGVsbG8="));
  CHECK(decode_header_value("=?base64?SGVsbG8=") ==
        std::optional<std::string>("=?base64?SGVsbG8="));
}

TEST_CASE("standard headers must be present and agree with the body") {
  Message call = request("tools/call", {{"name", "demo__echo"}, {"_meta", meta()}});
  std::map<std::string, std::string> ok = {{"MCP-Protocol-Version", kStatelessVersion},
                                           {"Mcp-Method", "tools/call"},
                                           {"Mcp-Name", "demo__echo"}};
  CHECK_FALSE(check_standard_headers(call, kStatelessVersion, lookup(ok)).has_value());
  auto with = [&](const std::string& k, const std::string& v) {
    auto h = ok;
    h[k] = v;
    return check_standard_headers(call, kStatelessVersion, lookup(h));
  };
  auto without = [&](const std::string& k) {
    auto h = ok;
    h.erase(k);
    return check_standard_headers(call, kStatelessVersion, lookup(h));
  };
  CHECK(code_of(with("Mcp-Method", "tools/list")) == rpc::kHeaderMismatch);
  CHECK(code_of(with("Mcp-Method", "TOOLS/CALL")) == rpc::kHeaderMismatch);
  CHECK(code_of(with("Mcp-Name", "other")) == rpc::kHeaderMismatch);
  CHECK(code_of(with("MCP-Protocol-Version", "2025-11-25")) == rpc::kHeaderMismatch);
  CHECK(code_of(without("Mcp-Name")) == rpc::kHeaderMismatch);
  CHECK(code_of(without("Mcp-Method")) == rpc::kHeaderMismatch);
  CHECK(code_of(without("MCP-Protocol-Version")) == rpc::kHeaderMismatch);
  CHECK_FALSE(with("Mcp-Name", "  demo__echo  ").has_value());  // optional whitespace
  CHECK_FALSE(with("Mcp-Name", "=?base64?ZGVtb19fZWNobw==?=").has_value());
  // The mismatch error carries the id, so the client can match it up.
  CHECK(with("Mcp-Name", "other")->at("id") == 7);
}

TEST_CASE("Mcp-Param headers mirror arguments marked x-mcp-header") {
  json schema = {{"type", "object"},
                 {"properties",
                  {{"region", {{"type", "string"}, {"x-mcp-header", "Region"}}},
                   {"count", {{"type", "integer"}, {"x-mcp-header", "Count"}}},
                   {"note", {{"type", "string"}}}}}};
  auto call = [](json args) { return request("tools/call", {{"name", "t"}, {"arguments", args}}); };
  auto check = [&](json args, std::map<std::string, std::string> h) {
    return code_of(check_param_headers(call(args), schema, lookup(h)));
  };
  CHECK(check({{"region", "eu"}}, {{"Mcp-Param-Region", "eu"}}) == 0);
  CHECK(check({{"region", "eu"}}, {}) == rpc::kHeaderMismatch);
  CHECK(check({{"region", "eu"}}, {{"Mcp-Param-Region", "us"}}) == rpc::kHeaderMismatch);
  CHECK(check({{"region", "Zürich"}}, {{"Mcp-Param-Region", "=?base64?WsO8cmljaA==?="}}) == 0);
  CHECK(check({{"count", 42}}, {{"Mcp-Param-Count", "42.0"}}) == 0);  // compared as numbers
  CHECK(check({{"count", 42}}, {{"Mcp-Param-Count", "41"}}) == rpc::kHeaderMismatch);
  CHECK(check({{"note", "x"}}, {}) == 0);        // not marked
  CHECK(check({{"region", nullptr}}, {}) == 0);  // nothing to mirror
}
