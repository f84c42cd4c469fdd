#include "gateway/config/config.h"

#include <openssl/sha.h>

#include <filesystem>

#include "gateway/catalog/schema_validator.h"
#include "gateway/config/expand.h"

namespace toolgate {
namespace {

std::string sha256_raw(const std::string& s) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  return std::string(reinterpret_cast<char*>(md), sizeof md);
}

template <typename T>
void get_to(const json& obj, const char* key, T* out) {
  auto it = obj.find(key);
  if (it != obj.end() && !it->is_null()) *out = it->template get<T>();
}

void read_limits(const json& obj, Limits* l) {
  get_to(obj, "timeout_ms", &l->timeout_ms);
  get_to(obj, "memory_mb", &l->memory_mb);
  get_to(obj, "address_space_mb", &l->address_space_mb);
  get_to(obj, "cpu_seconds", &l->cpu_seconds);
  get_to(obj, "max_output_bytes", &l->max_output_bytes);
  get_to(obj, "max_open_files", &l->max_open_files);
  get_to(obj, "max_processes", &l->max_processes);
  get_to(obj, "max_file_mb", &l->max_file_mb);
}

const SchemaValidator& config_validator() {
  static const std::shared_ptr<const SchemaValidator> v = [] {
    auto r = SchemaValidator::compile(json::parse(config_schema_text()));
    if (!r) throw std::logic_error("built-in config schema is invalid: " + r.error().message);
    return *r;
  }();
  return *v;
}

// The server section. `doc` is for error positions, and loses the API keys
// themselves once their hashes are taken.
void read_server(YamlDoc& doc, const json& section, ServerConfig& sv) {
  const json* s = &section;
  get_to(*s, "transport", &sv.transport);
  if (auto l = s->find("listen"); l != s->end()) {
    if (!parse_listen(*l, &sv.listen_host, &sv.listen_port)) {
      doc.fail("/server/listen", "expected HOST:PORT with a port from 0 to 65535");
    }
  }
  get_to(*s, "allowed_origins", &sv.allowed_origins);
  get_to(*s, "allowed_hosts", &sv.allowed_hosts);
  get_to(*s, "max_body_bytes", &sv.max_body_bytes);
  get_to(*s, "max_json_depth", &sv.max_json_depth);
  get_to(*s, "max_header_bytes", &sv.max_header_bytes);
  get_to(*s, "max_header_count", &sv.max_header_count);
  get_to(*s, "max_line_bytes", &sv.max_line_bytes);
  get_to(*s, "header_timeout_ms", &sv.header_timeout_ms);
  get_to(*s, "body_timeout_ms", &sv.body_timeout_ms);
  get_to(*s, "page_size", &sv.page_size);
  get_to(*s, "session_idle_timeout_ms", &sv.session_idle_timeout_ms);
  get_to(*s, "max_sessions", &sv.max_sessions);
  get_to(*s, "http_threads", &sv.http_threads);
  get_to(*s, "http_max_threads", &sv.http_max_threads);
  if (sv.http_max_threads < sv.http_threads)
    doc.fail("/server/http_max_threads",
             "http_max_threads (" + std::to_string(sv.http_max_threads) +
                 ") must be at least http_threads (" + std::to_string(sv.http_threads) + ")");
  get_to(*s, "log_level", &sv.log_level);
  get_to(*s, "hide_denied_tools", &sv.hide_denied_tools);
  if (auto t = s->find("tasks"); t != s->end()) {
    get_to(*t, "after_ms", &sv.tasks.after_ms);
    get_to(*t, "long_running", &sv.tasks.long_running);
    get_to(*t, "ttl_ms", &sv.tasks.ttl_ms);
    get_to(*t, "max_tasks", &sv.tasks.max_tasks);
    get_to(*t, "max_result_bytes", &sv.tasks.max_result_bytes);
    get_to(*t, "poll_ms", &sv.tasks.poll_ms);
  }
  if (auto lc = s->find("local_caller"); lc != s->end()) {
    get_to(*lc, "id", &sv.local_caller_id);
    get_to(*lc, "roles", &sv.local_caller_roles);
  }
  if (auto auth = s->find("auth"); auth != s->end()) {
    const json& keys = auth->value("api_keys", json::array());
    for (size_t i = 0; i < keys.size(); ++i) {
      ApiKey k;
      k.key_sha256 = sha256_raw(keys[i].at("key").get<std::string>());
      k.caller = keys[i].at("caller");
      get_to(keys[i], "roles", &k.roles);
      for (size_t j = 0; j < sv.api_keys.size(); ++j) {
        if (sv.api_keys[j].key_sha256 == k.key_sha256) {
          doc.fail("/server/auth/api_keys/" + std::to_string(i) + "/key",
                   "the same key is configured twice (also at " +
                       doc.where("/server/auth/api_keys/" + std::to_string(j) + "/key") + ")");
        }
      }
      sv.api_keys.push_back(std::move(k));
    }
    // Only the hashes stay: the document kept for error positions loses
    // the keys themselves.
    for (auto& k : doc.value["server"]["auth"]["api_keys"]) k["key"] = "[REDACTED]";
  }
}

std::shared_ptr<const Config> build(YamlDoc doc) {
  auto cfg = std::make_shared<Config>();
  cfg->path = doc.file;
  if (doc.value.is_null()) doc.fail("", "the config file is empty");
  expand_references(doc, &cfg->secrets);
  check_document(doc, config_validator());
  const json& root = doc.value;

  if (auto s = root.find("server"); s != root.end() && s->is_object())
    read_server(doc, *s, cfg->server);
  if (auto p = root.find("policies"); p != root.end()) {
    for (auto& f : *p) cfg->policies.push_back(resolve_relative(doc.file, f.get<std::string>()));
  }
  if (auto a = root.find("approvals"); a != root.end()) {
    get_to(*a, "timeout_ms", &cfg->approvals.timeout_ms);
    get_to(*a, "admin_roles", &cfg->approvals.admin_roles);
    if (auto sock = a->find("socket"); sock != a->end())
      cfg->approvals.socket = resolve_relative(doc.file, *sock);
  }
  if (auto a = root.find("audit"); a != root.end()) {
    cfg->audit.path = resolve_relative(doc.file, a->at("path").get<std::string>());
    get_to(*a, "fsync", &cfg->audit.fsync);
    get_to(*a, "max_bytes", &cfg->audit.max_bytes);
    get_to(*a, "keep", &cfg->audit.keep);
  }
  if (auto w = root.find("workers"); w != root.end() && w->is_object()) {
    get_to(*w, "mode", &cfg->workers.mode);
    get_to(*w, "max_concurrent", &cfg->workers.max_concurrent);
    get_to(*w, "prespawn", &cfg->workers.prespawn);
    get_to(*w, "recycle_after", &cfg->workers.recycle_after);
    get_to(*w, "worker_path", &cfg->workers.worker_path);
    read_limits(*w, &cfg->workers.defaults);
    if (auto sb = w->find("sandbox"); sb != w->end() && sb->is_object()) {
      SandboxConfig& c = cfg->workers.sandbox;
      get_to(*sb, "enabled", &c.enabled);
      get_to(*sb, "uid", &c.uid);
      get_to(*sb, "gid", &c.gid);
      get_to(*sb, "tmp_mb", &c.tmp_mb);
      c.seccomp_kill = sb->value("seccomp_action", "errno") == "kill";
    }
  }
  const json& sources = root.at("sources");
  for (size_t i = 0; i < sources.size(); ++i) {
    const json& s = sources[i];
    SourceConfig sc;
    sc.pointer = "/sources/" + std::to_string(i);
    sc.name = s.at("name");
    sc.type = s.at("type");
    std::string prefix = s.value("prefix", "always");
    sc.prefix = prefix == "never"          ? PrefixMode::never
                : prefix == "on_collision" ? PrefixMode::on_collision
                                           : PrefixMode::always;
    sc.raw = s;
    for (auto& other : cfg->sources) {
      if (other.name == sc.name) {
        doc.fail(sc.pointer + "/name", "duplicate source name '" + sc.name +
                                           "' (first defined at " +
                                           doc.where(other.pointer + "/name") + ")");
      }
    }
    cfg->sources.push_back(std::move(sc));
  }
  cfg->doc = std::move(doc);
  return cfg;
}

}  // namespace

void check_document(const YamlDoc& doc, const SchemaValidator& schema) {
  auto errors = schema.validate(doc.value);
  if (errors.empty()) return;
  SchemaError e = errors[0];
  // Point at an unknown key itself, not at the object holding it.
  static const std::string kUnknown = "'properties' or 'additionalProperties' constraints: '";
  std::string where = doc.where(e.pointer);
  if (auto at = e.message.find(kUnknown); at != std::string::npos) {
    std::string key = e.message.substr(at + kUnknown.size());
    if (key.size() >= 2) key = key.substr(0, key.size() - 2);  // drop "'."
    e.pointer += "/" + pointer_escape(key);
    e.message = "unknown key '" + key + "'";
    where = doc.where_key(e.pointer);
  }
  throw ConfigError(where + ": " + (e.pointer.empty() ? "" : e.pointer + ": ") + e.message);
}

std::string resolve_relative(const std::string& config_file, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  auto slash = config_file.rfind('/');
  if (slash == std::string::npos) return std::filesystem::path(path).lexically_normal();
  std::string dir = config_file.substr(0, slash);
  if (dir.empty()) dir = "/";
  return (std::filesystem::path(dir) / path).lexically_normal();
}

bool parse_listen(const std::string& s, std::string* host, uint16_t* port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= s.size()) return false;
  std::string h = s.substr(0, colon), p = s.substr(colon + 1);
  if (h.front() == '[') {
    if (h.back() != ']') return false;
    h = h.substr(1, h.size() - 2);
  }
  if (p.find_first_not_of("0123456789") != std::string::npos || p.size() > 5) return false;
  unsigned long v = std::stoul(p);
  if (v > 65535) return false;  // 0: any free port (logged at startup)
  *host = h;
  *port = static_cast<uint16_t>(v);
  return true;
}

std::shared_ptr<const Config> load_config(const std::string& path) {
  return build(load_yaml_file(path));
}

std::shared_ptr<const Config> parse_config(const std::string& text, const std::string& file) {
  return build(parse_yaml(text, file));
}

}  // namespace toolgate
