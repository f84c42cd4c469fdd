// The gateway's configuration: loaded once per (re)load into an immutable
// Config, validated against schemas/config.schema.json (compiled into the
// binary), with ${ENV} and ${file:path} references expanded.
//
//   auto cfg = load_config("toolgate.yaml");   // throws ConfigError "file:line:col: ..."
//   cfg->server.listen_port ...
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/work_order.h"
#include "gateway/config/yaml_json.h"

namespace toolgate {

enum class PrefixMode { always, never, on_collision };

// An HTTP API key. Only the SHA-256 of the key is kept.
struct ApiKey {
  std::string key_sha256;  // 32 raw bytes
  std::string caller;
  std::vector<std::string> roles;
};

// MCP 2026-07-28 Tasks extension (io.modelcontextprotocol/tasks): for
// clients that declare it, a tools/call still running after `after_ms`
// (at once for tools matching `long_running`) is answered with a task
// handle, and runs on to completion under all its limits.
struct TasksConfig {
  uint64_t after_ms = 10000;
  std::vector<std::string> long_running;  // tool name globs
  uint64_t ttl_ms = 60 * 60 * 1000;       // a finished task's result is kept this long
  size_t max_tasks = 256;                 // kept at once, over all callers
  size_t max_result_bytes = 16 << 20;     // a larger result is not kept
  uint64_t poll_ms = 1000;                // the pollIntervalMs clients are told
};

struct ServerConfig {
  std::string transport = "http";  // "http" | "stdio"
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8765;
  std::vector<std::string> allowed_origins;  // globs; empty = only localhost origins
  std::vector<std::string> allowed_hosts;    // extra Host globs
  size_t max_body_bytes = 4 << 20;
  size_t max_json_depth = 64;
  // Bounds on an HTTP request's head, and on how long it may take to arrive
  // (gateway/transport/request_framing.h).
  size_t max_header_bytes = 64 << 10;
  size_t max_header_count = 100;
  size_t max_line_bytes = 8 << 10;
  uint64_t header_timeout_ms = 10000;
  uint64_t body_timeout_ms = 60000;
  size_t page_size = 100;
  uint64_t session_idle_timeout_ms = 30 * 60 * 1000;
  size_t max_sessions = 10000;
  // HTTP threads kept ready, and the most there may be: each connection,
  // and so each open GET stream, holds one (see elastic_pool.h).
  int http_threads = 16;
  int http_max_threads = 4096;
  std::string log_level = "info";
  bool hide_denied_tools = true;
  TasksConfig tasks;
  std::vector<ApiKey> api_keys;  // empty: HTTP clients are local_caller
  std::string local_caller_id = "local";
  std::vector<std::string> local_caller_roles;
};

struct ApprovalsConfig {
  uint64_t timeout_ms = 120000;
  std::string socket;  // empty: default_approvals_socket(config path)
  std::vector<std::string> admin_roles = {"admin"};
};

struct AuditConfig {
  std::string path;  // empty: no audit log
  bool fsync = false;
  uint64_t max_bytes = 100ull << 20;
  int keep = 5;
};

struct SandboxConfig {
  bool enabled = true;   // namespaces, filesystem view, identity, seccomp, cgroups
  uint32_t uid = 65534;  // the unprivileged identity tools run as
  uint32_t gid = 65534;
  uint32_t tmp_mb = 64;       // size of each call's private /tmp
  bool seccomp_kill = false;  // a denied syscall kills the tool instead of EPERM
};

struct WorkersConfig {
  std::string mode = "per_call";
  Limits defaults;  // per-tool settings override these
  int max_concurrent = 16;
  int prespawn = 1;  // prepared workers kept per isolation profile in use
  // Pooled mode: calls a worker serves before it is replaced. Each
  // replacement slows the calls around it (a new process, a new upstream
  // connection, the old one's teardown): bench/README.md, bench_streams.
  int recycle_after = 1000;
  std::string worker_path;  // empty = toolgate-worker next to the gateway binary
  SandboxConfig sandbox;
};

struct SourceConfig {
  std::string name;
  std::string type;
  PrefixMode prefix = PrefixMode::always;
  std::string pointer;  // JSON pointer of this source in the config document
  json raw;             // the source's own keys, for its adapter
};

struct Config {
  std::string path;
  YamlDoc doc;  // for file:line:col of any key
  ServerConfig server;
  WorkersConfig workers;
  std::vector<SourceConfig> sources;
  std::vector<std::string> policies;  // absolute paths, in order; empty: allow every call
  ApprovalsConfig approvals;
  AuditConfig audit;
  std::vector<std::string> secrets;  // expanded secret values, for redaction

  // "file:line:col" of the value at a JSON pointer.
  std::string where(const std::string& pointer) const { return doc.where(pointer); }
};

// Loads, expands and validates a config file. Throws ConfigError.
std::shared_ptr<const Config> load_config(const std::string& path);
// Same, from text (tests).
std::shared_ptr<const Config> parse_config(const std::string& text, const std::string& file);

// The config and policy JSON Schemas, as compiled into the binary.
const std::string& config_schema_text();
const std::string& policy_schema_text();

class SchemaValidator;
// Validates a YAML document against a schema. Throws ConfigError at the
// first problem; an unknown key is reported at the key itself.
void check_document(const YamlDoc& doc, const SchemaValidator& schema);

// A path from a config file, taken relative to the file's directory.
std::string resolve_relative(const std::string& config_file, const std::string& path);

// Parses "host:port" / "[v6]:port". False on a malformed value.
bool parse_listen(const std::string& s, std::string* host, uint16_t* port);

}  // namespace toolgate
