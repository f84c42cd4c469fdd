// What the gateway asks a worker to do, and what comes back.
//
// A WorkOrder is built by an adapter (pure translation, no I/O) and carried
// to the worker in one frame. A WorkResult is the worker's single answer
// frame. The gateway treats that frame as hostile: WorkResult::from_json
// checks every field's type and bound before anything uses it.
//
//   WorkOrder o;  o.argv = {"python3", "tool.py"};  o.stdin_data = args.dump();
//   WorkResult r = pool.run(o, cancel);
//   if (r.outcome != Outcome::ok) ...
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/json_limits.h"
#include "common/outcome.h"
#include "common/result.h"

namespace toolgate {

// Per-call resource limits. Zero means "derive a default" where noted.
struct Limits {
  uint32_t timeout_ms = 30000;          // wall clock for the whole call
  uint32_t memory_mb = 256;             // RLIMIT_DATA: private writable memory
  uint32_t address_space_mb = 0;        // RLIMIT_AS; 0 = 8 x memory_mb, at least 4096
  uint32_t cpu_seconds = 0;             // RLIMIT_CPU; 0 = timeout rounded up, plus 1
  uint64_t max_output_bytes = 1 << 20;  // cap on stdout, and on stderr
  uint32_t max_open_files = 256;        // RLIMIT_NOFILE
  uint32_t max_processes = 256;         // RLIMIT_NPROC (per uid; see docs/security.md)
  uint64_t max_file_mb = 64;            // RLIMIT_FSIZE

  json to_json() const;
  static Limits from_json(const json& j);  // missing fields keep defaults
};

// How the tool process is isolated (worker/sandbox/contain.cc applies it). Every
// flag the gateway sets is applied or the call fails: the worker never
// quietly skips a step.
struct SandboxSpec {
  struct Mount {
    std::string path;  // host path, mounted at the same path inside
    bool writable = false;
  };
  bool namespaces = false;      // new pid, mount, ipc, uts and net namespaces + minimal root
  bool drop_identity = false;   // run as uid/gid, no capabilities
  bool user_namespace = false;  // gateway is not root: identity via a user namespace
  bool seccomp = false;         // syscall deny-list
  bool seccomp_kill = false;    // a denied syscall kills the tool (default: EPERM)
  bool cgroups = false;         // per-call memory and pids caps, killed as a group
  bool egress = false;          // AF_INET/AF_INET6 sockets allowed, resolv.conf visible
  uint32_t uid = 65534, gid = 65534;
  uint32_t tmp_mb = 64;       // size of the private /tmp
  std::vector<Mount> mounts;  // extra paths and the files named on the command line
  std::string cgroup_name;    // parent cgroup name, e.g. "toolgate-1234"

  json to_json() const;
  static SandboxSpec from_json(const json& j);
};

struct WorkOrder {
  std::vector<std::string> argv;                         // argv[0] looked up in env PATH
  std::vector<std::pair<std::string, std::string>> env;  // the complete environment
  std::string cwd;                                       // empty = worker's cwd
  std::string stdin_data;                                // written to the tool's stdin
  Limits limits;
  SandboxSpec sandbox;
  // Egress allow-list entries (see egress.h). The gateway's broker decides
  // with its own copy of the order, never with what a worker claims.
  std::vector<std::string> egress_allow;
  // Pooled mode: the worker stays for another call of the same profile and
  // prepares a fresh contained process for it right after answering.
  bool keep_worker = false;
  // Instead of one call, a long-lived server whose stdio is relayed over
  // the frame socket until either side ends (worker/stdio_relay.h).
  bool serve = false;
  // Instead of exec'ing argv, make one HTTP request from inside the sandbox
  // (worker/net/http_fetch.h); null for script tools.
  json http;

  // An HTTP request (not the MCP bridge): its contained process serves
  // requests on a socket the worker hands to the gateway, which then talks
  // to it directly (hand_over_http in worker/exec_runner.h). In a prepared
  // profile an empty `http` object marks it.
  bool direct_http() const { return http.is_object() && !http.contains("mcp_bridge"); }

  json to_json() const;
  static Result<WorkOrder> from_json(const json& j);
};

struct WorkResult {
  Outcome outcome = Outcome::protocol_error;
  EndReason reason = EndReason::none;  // why; logic and metrics use this, never `detail`
  int exit_code = -1;                  // when the tool exited
  int signal = 0;                      // when the tool was killed by a signal
  std::string stdout_text;             // valid UTF-8, at most max_output_bytes
  json stdout_json;                    // stdout parsed as JSON, or null when it was not JSON
  bool stdout_is_json = false;
  std::string stderr_tail;  // last few KiB of stderr, valid UTF-8
  std::string detail;       // human context only (e.g. the failed step and its errno)
  uint64_t duration_ms = 0;
  uint64_t max_rss_kb = 0;

  json to_json() const;
  // Strict: rejects unknown outcomes and reasons, wrong types, oversized strings.
  static Result<WorkResult> from_json(const json& j, uint64_t max_output_bytes);
};

// Bytes kept from the end of stderr for error messages.
inline constexpr size_t kStderrTailBytes = 2048;

}  // namespace toolgate
