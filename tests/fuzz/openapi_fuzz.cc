// Reads an OpenAPI/Swagger spec (JSON or YAML) as fetched from a URL into tools, and with $refs
// as a local file under /tmp: a fetched spec is hostile, and $refs must stay in the spec's dir.
// Nothing touches the network: the load's fetcher hands over the input.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "adapters/openapi/openapi_adapter.h"
#include "adapters/openapi/spec_model.h"
#include "common/log.h"
#include "fuzz_util.h"

using namespace toolgate;

namespace {

constexpr const char* kMarker = "TOOLGATE_FUZZ_OUTSIDE_THE_SPEC_DIR";

void write_file(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  std::ofstream(tmp, std::ios::binary) << text;
  std::filesystem::rename(tmp, path);  // atomic: parallel fuzzers write the same bytes
}

// The directory the local spec lives in (its own file, api.yaml, is empty:
// the loader takes the input as its text), with files its $refs may name.
const std::string& spec_dir() {
  static const std::string dir = [] {
    std::string base = "/tmp/toolgate-fuzz-" + std::to_string(::getuid()) + "/openapi";
    std::filesystem::create_directories(base + "/spec/sub");
    write_file(base + "/outside.yaml",
               std::string("Secret: {type: string, description: ") + kMarker + "}\n");
    write_file(base + "/spec/api.yaml", "");
    write_file(base + "/spec/common.yaml",
               "components:\n  schemas:\n"
               "    Error: {type: object, properties: {code: {type: integer}}}\n"
               "    Pet: {type: object, properties: {tags: {$ref: 'sub/models.json#/Tags'}}}\n"
               "    Local: {$ref: 'api.yaml#/components/schemas/Pet'}\n"
               "    Escape: {$ref: '../outside.yaml#/Secret'}\n"
               "    Linked: {$ref: 'link.yaml#/Secret'}\n"
               "  parameters:\n    Limit: {name: limit, in: query, schema: {type: integer}}\n");
    write_file(
        base + "/spec/sub/models.json",
        R"({"Tags": {"type": "array", "items": {"$ref": "../common.yaml#/components/schemas/Pet"}},)"
        R"( "Up": {"$ref": "../../outside.yaml#/Secret"}, "Self": {"$ref": "#/Tags"}})");
    if (::symlink("../outside.yaml", (base + "/spec/link.yaml").c_str()) != 0) {
    }  // EEXIST: made by an earlier run
    log::set_level(log::Level::off);
    return base + "/spec";
  }();
  return dir;
}

std::vector<Tool> load_as_tools(const std::string& text) {
  static const Config cfg = [] {
    Config c;
    c.path = c.doc.file = "/nonexistent/toolgate-fuzz/gateway.yaml";
    return c;
  }();
  static const SourceConfig src{"api", "openapi", PrefixMode::always, "/sources/0",
                                json{{"name", "api"},
                                     {"type", "openapi"},
                                     {"spec", "https://specs.example/api.yaml"},
                                     {"base_url", "http://127.0.0.1:9/v1"}}};
  // What the worker's http_fetch answers: JSON bodies arrive parsed.
  json answer = {{"status", 200}};
  size_t first = text.find_first_not_of(" \t\r\n");
  auto parsed = first != std::string::npos && text[first] == '{' ? parse_bounded(text, 64)
                                                                 : Result<json>(Error{});
  if (parsed)
    answer["body_json"] = std::move(*parsed);
  else
    answer["body"] = text;
  LoadFetcher fetch = [&](const WorkOrder&) {
    WorkResult r;
    r.outcome = Outcome::ok;
    r.stdout_json = answer;
    r.stdout_is_json = true;
    return r;
  };
  return OpenApiAdapter().load(LoadContext{cfg, src, &fetch});
}

void check_outside_never_read(const openapi::OpenApiSpec& spec) {
  std::string all = dump_safe(spec.defs) + dump_safe(spec.defs_out);
  for (auto& op : spec.operations) {
    all += dump_safe(op.body_schema) + dump_safe(op.output_schema);
    for (auto& p : op.params) all += dump_safe(p.schema);
  }
  FUZZ_CHECK(all.find(kMarker) == std::string::npos, "a $ref reached outside the spec's dir");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& dir = spec_dir();
  std::string text(reinterpret_cast<const char*>(data), size);
  if (sanitize_utf8(text) == text) {  // a worker hands over only text or parsed JSON
    try {
      std::set<std::string> names;
      for (const Tool& t : load_as_tools(text)) {
        FUZZ_CHECK(!t.local_name.empty() && names.insert(t.local_name).second,
                   "tool name '%s' empty or repeated", t.local_name.c_str());
        FUZZ_CHECK(t.input_schema.is_object() && t.input_validator, "no input validator");
        t.input_validator->validate(json::object());
        if (t.output_validator) t.output_validator->validate(json::object());
      }
    } catch (const ConfigError&) {
    }
  }
  if (text.find("$ref") == std::string::npos) return 0;
  size_t warnings = 0;
  auto warn = [&](const std::string&, const std::string&) { ++warnings; };
  try {
    auto spec = openapi::load_openapi_text(text, dir + "/api.yaml", true, false, warn);
    if (text.find(kMarker) == std::string::npos) check_outside_never_read(spec);
  } catch (const ConfigError&) {
  }
  return 0;
}
