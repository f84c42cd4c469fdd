#include "adapters/graphql/schema_source.h"

#include <fstream>
#include <sstream>

#include "adapters/graphql/http_order.h"
#include "gateway/config/yaml_json.h"

namespace toolgate::graphql {
namespace {

constexpr size_t kMaxSchemaBytes = 64u << 20;
// Introspection results nest ofType about ten deep inside a few levels of
// structure; anything much deeper is not one.
constexpr size_t kMaxIntrospectionDepth = 128;

bool ends_with(const std::string& s, const char* suffix) {
  std::string x(suffix);
  return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
}

Schema from_json_text(const std::string& text, const std::string& name) {
  auto parsed = parse_bounded(text, kMaxIntrospectionDepth);
  if (!parsed) throw ConfigError(name + ": not valid JSON: " + parsed.error().message);
  return from_introspection(*parsed, name);
}

}  // namespace

Schema read_schema_file(const std::string& path, std::vector<std::string>* warnings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read the schema file");
  in.seekg(0, std::ios::end);
  auto size = in.tellg();
  if (size < 0 || size_t(size) > kMaxSchemaBytes)
    throw ConfigError(path + ": the schema is larger than " + std::to_string(kMaxSchemaBytes) +
                      " bytes");
  in.seekg(0);
  std::string text(size_t(size), '\0');
  in.read(text.data(), size);
  size_t first = text.find_first_not_of(" \t\r\n");
  bool is_json =
      ends_with(path, ".json") ||
      (!ends_with(path, ".graphql") && !ends_with(path, ".gql") && !ends_with(path, ".graphqls") &&
       first != std::string::npos && text[first] == '{');
  return is_json ? from_json_text(text, path) : parse_sdl(text, path, warnings);
}

Schema introspect(const json& route, const Limits& call_limits, const LoadFetcher* fetch) {
  std::string endpoint = route.at("endpoint");
  if (!fetch) throw ConfigError(endpoint + ": cannot introspect here; give `schema`");
  Limits limits = call_limits;
  limits.max_output_bytes = kMaxSchemaBytes + kMaxSchemaBytes / 2;
  limits.timeout_ms = std::max<uint64_t>(limits.timeout_ms, 60000);
  auto order = graphql_order(
      route, {{"query", kIntrospectionQuery}, {"operationName", "IntrospectionQuery"}}, limits);
  if (!order) throw ConfigError(endpoint + ": " + order.error().message);
  WorkResult r = (*fetch)(*order);
  const json& a = r.stdout_json;
  std::string failed = endpoint + ": introspection failed";
  if (r.outcome != Outcome::ok || !a.is_object())
    throw ConfigError(failed + " (" + std::string(to_string(r.outcome)) +
                      (r.detail.empty() ? "" : ": " + r.detail) + ")");
  if (auto e = a.find("error"); e != a.end() && !a.contains("status"))
    throw ConfigError(failed + ": " + (e->is_string() ? e->get<std::string>() : "unknown error"));
  if (a.value("truncated", false) == true)
    throw ConfigError(failed + ": the answer is larger than " + std::to_string(kMaxSchemaBytes) +
                      " bytes");
  auto body = a.find("body_json");
  if (body != a.end() && body->is_object()) {
    if (auto errs = body->find("errors");
        errs != body->end() && errs->is_array() && !errs->empty()) {
      const json& first = (*errs)[0];
      std::string m = first.is_object() && first.contains("message") && first["message"].is_string()
                          ? first["message"].get<std::string>()
                          : dump_safe(first);
      throw ConfigError(failed + ": " + truncate_utf8(m, 500) +
                        " (the server may disable introspection; give `schema`)");
    }
    if (a.contains("status") && a["status"] == 200) return from_introspection(*body, endpoint);
  }
  int status = a.contains("status") && a["status"].is_number_integer() ? a["status"].get<int>() : 0;
  throw ConfigError(failed + ": HTTP " + std::to_string(status) +
                    (body == a.end() ? " without a JSON answer" : ""));
}

}  // namespace toolgate::graphql
