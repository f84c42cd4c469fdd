#include "gateway/cli/cli.h"

#include "gateway/cli/cli_args.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "gateway/catalog/adapter.h"
#include "gateway/config/config_watch.h"
#include "gateway/gateway.h"
#include "gateway/identity/auth.h"
#include "gateway/transport/transport.h"
#include "gateway/workers/sandbox_probe.h"
#include "gateway/workers/sandboxed_run.h"
#include "gateway/workers/spawn.h"

namespace toolgate {

bool Args::has(const std::string& f) const {
  for (auto& x : flags)
    if (x == f) return true;
  return false;
}

std::string Args::opt(const std::string& name, const std::string& dflt) const {
  auto it = opts.find(name);
  return it == opts.end() ? dflt : it->second;
}

Args parse_args(int argc, char** argv) {
  Args a;
  static const char* kValued[] = {"--listen", "--log-level", "--tool", "--args",
                                  "--caller", "--socket",    "--file", "-n"};
  static const char* kFlags[] = {"--stdio", "--json", "--help", "--version", "-f"};
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (!s.empty() && s[0] != '-') {
      if (a.command.empty())
        a.command = s;
      else
        a.positional.push_back(s);
      continue;
    }
    if (s == "-c" || s == "--config") {
      if (i + 1 >= argc)
        a.error = s + " needs a file";
      else
        a.config = argv[++i];
      continue;
    }
    if (s.rfind("--config=", 0) == 0) {
      a.config = s.substr(9);
      continue;
    }
    if (s == "-h") s = "--help";
    if (s == "--follow") s = "-f";
    bool known = false;
    for (const char* f : kFlags) {
      if (s == f) {
        known = true;
        a.flags.push_back(s);
      }
    }
    for (const char* v : kValued) {
      if (s == v) {
        known = true;
        if (i + 1 >= argc)
          a.error = s + " needs a value";
        else
          a.opts[s] = argv[++i];
      } else if (s.rfind(std::string(v) + "=", 0) == 0) {
        known = true;
        a.opts[v] = s.substr(strlen(v) + 1);
      }
    }
    if (!known && a.error.empty()) a.error = "unknown option: " + s;
  }
  return a;
}

CliServices cli_services(const Config& cfg) {
  struct Lazy {
    std::mutex mu;
    std::unique_ptr<WorkerPool> pool;
    SandboxSupport support;
  };
  auto lazy = std::make_shared<Lazy>();
  std::string worker =
      cfg.workers.worker_path.empty() ? default_worker_path() : cfg.workers.worker_path;
  SandboxConfig sb = cfg.workers.sandbox;
  auto pool = [lazy, worker, sb]() -> WorkerPool& {
    std::lock_guard<std::mutex> lock(lazy->mu);
    if (!lazy->pool) {
      lazy->pool = std::make_unique<WorkerPool>(worker, 2);
      lazy->support = probe_sandbox(*lazy->pool, sb);
    }
    return *lazy->pool;
  };
  // The host is probed on first use: `validate` of a config without URLs
  // or upstream servers starts no worker at all.
  auto sandbox_for = [lazy, sb, pool](const SandboxSpec& part) {
    pool();
    return call_sandbox(base_sandbox(lazy->support, sb), part);
  };
  CliServices out;
  out.fetch = [pool, sandbox_for](WorkOrder o) {
    WorkerPool& p = pool();
    o.sandbox = sandbox_for(o.sandbox);
    return p.run(o, nullptr, nullptr, false);
  };
  out.launcher.spawn = [pool] { return pool().spawn_server(); };
  out.launcher.retire = [pool](pid_t pid) { pool().retire(pid); };
  out.sandbox_for = sandbox_for;
  return out;
}

std::shared_ptr<const Catalog> build_catalog(const Config& cfg, const AdapterRegistry& reg,
                                             const CliServices& services) {
  return Catalog::build(cfg, reg, &services.fetch, &services.launcher, &services.sandbox_for);
}

int usage_error(const std::string& msg, const char* help) {
  std::fprintf(stderr, "toolgate: %s\n\n%s", msg.c_str(), help);
  return 2;
}

std::shared_ptr<const Config> load_or_report(const std::string& path) {
  try {
    return load_config(path);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return nullptr;
  }
}

namespace {

constexpr const char* kMainHelp =
    "toolgate: an MCP gateway that checks, isolates and records every tool call.\n"
    "\n"
    "usage: toolgate <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve      serve MCP over Streamable HTTP or stdio\n"
    "  validate   check a config file without serving\n"
    "  tools      print the tool catalog a config produces\n"
    "  doctor     show which sandbox protections this host allows\n"
    "  policy     explain, test and lint policy files\n"
    "  approvals  list, approve and deny calls waiting for a human\n"
    "  audit      print the audit log readably\n"
    "\n"
    "options:\n"
    "  --version  print the version\n"
    "  --help     this text; `toolgate <command> --help` for a command\n";

constexpr const char* kServeHelp =
    "usage: toolgate serve -c FILE [--stdio | --listen HOST:PORT] [--log-level LEVEL]\n"
    "\n"
    "Serves the tools of FILE over MCP.\n"
    "  -c, --config FILE     the config file (YAML)\n"
    "  --stdio               newline-delimited JSON on stdin/stdout (logs go to stderr)\n"
    "  --listen HOST:PORT    Streamable HTTP at http://HOST:PORT/mcp (default from the\n"
    "                        config's server.listen, else 127.0.0.1:8765); port 0 picks\n"
    "                        a free port and logs it\n"
    "  --log-level LEVEL     debug | info | warning | error | off (default: info)\n"
    "\n"
    "Signals: SIGHUP reloads the config (a bad file is rejected and the old one\n"
    "stays); SIGTERM and SIGINT stop the gateway and every worker.\n";

constexpr const char* kValidateHelp =
    "usage: toolgate validate -c FILE\n"
    "\n"
    "Checks FILE against the config schema, expands ${ENV} and ${file:...}\n"
    "references, builds the catalog and loads the policy files, without serving.\n"
    "Prints the problem as file:line:col: message and exits 1 when the config or\n"
    "a policy file is invalid. Policy lint warnings are printed but do not fail.\n";

constexpr const char* kToolsHelp =
    "usage: toolgate tools -c FILE [--json]\n"
    "\n"
    "Prints the tools FILE produces: one line each, or with --json the exact\n"
    "tools/list entries clients will see.\n";

constexpr const char* kDoctorHelp =
    "usage: toolgate doctor [-c FILE] [--json]\n"
    "\n"
    "Runs a trivial tool through a real worker once per isolation step\n"
    "(namespaces and the minimal filesystem, identity, seccomp, cgroups) and\n"
    "prints which are active on this host. With -c, the config's\n"
    "workers.sandbox settings and worker_path are used. Exits 1 when any step is\n"
    "unavailable: the gateway then runs tools without it, and says so at startup.\n";

int cmd_validate(const Args& a, const AdapterRegistry& reg) {
  if (a.has("--help")) return std::printf("%s", kValidateHelp), 0;
  if (a.config.empty()) return usage_error("validate needs -c FILE", kValidateHelp);
  auto cfg = load_or_report(a.config);
  if (!cfg) return 1;
  try {
    CliServices services = cli_services(*cfg);
    auto cat = build_catalog(*cfg, reg, services);
    auto policy = load_policy(*cfg, nullptr);
    std::printf("%s: ok (%zu sources, %zu tools)\n", a.config.c_str(), cfg->sources.size(),
                cat->tools().size());
    if (auto* set = dynamic_cast<const PolicySet*>(policy.get())) {
      std::printf("policy: %zu rules from %zu files\n", set->rule_count(), set->files().size());
      for (auto& w : set->lint(*cat, configured_callers(*cfg)))
        std::printf("warning: %s: %s\n", w.where.c_str(), w.message.c_str());
    } else {
      std::printf("warning: no policies are configured, so every call is allowed\n");
    }
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}

int cmd_tools(const Args& a, const AdapterRegistry& reg) {
  if (a.has("--help")) return std::printf("%s", kToolsHelp), 0;
  if (a.config.empty()) return usage_error("tools needs -c FILE", kToolsHelp);
  auto cfg = load_or_report(a.config);
  if (!cfg) return 1;
  try {
    CliServices services = cli_services(*cfg);
    auto cat = build_catalog(*cfg, reg, services);
    if (a.has("--json")) {
      json list = json::array();
      for (auto& t : cat->tools()) list.push_back(t->to_mcp());
      std::printf("%s\n", list.dump(2, ' ', false, json::error_handler_t::replace).c_str());
      return 0;
    }
    for (auto& t : cat->tools()) {
      std::string desc = t->description.substr(0, 70);
      std::printf("%-40s %-12s %s\n", t->name.c_str(), t->source.c_str(), desc.c_str());
    }
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}

int cmd_doctor(const Args& a) {
  if (a.has("--help")) return std::printf("%s", kDoctorHelp), 0;
  std::shared_ptr<const Config> cfg;
  if (!a.config.empty()) {
    cfg = load_or_report(a.config);
    if (!cfg) return 1;
  }
  SandboxConfig sb = cfg ? cfg->workers.sandbox : SandboxConfig{};
  std::string worker =
      cfg && !cfg->workers.worker_path.empty() ? cfg->workers.worker_path : default_worker_path();
  log::set_level(log::Level::error);
  WorkerPool pool(worker, 4);
  SandboxSupport sup = probe_sandbox(pool, sb);
  if (a.has("--json")) {
    json out = {{"worker", worker}, {"all_active", sup.all_ok()}, {"steps", json::array()}};
    for (auto& s : sup.steps) {
      out["steps"].push_back(
          {{"step", s.name}, {"active", s.ok}, {"protects", s.what}, {"reason", s.detail}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return sup.all_ok() ? 0 : 1;
  }
  std::printf("toolgate doctor: worker %s, running as uid %d%s\n\n", worker.c_str(),
              int(::geteuid()), sup.user_namespace ? " (identity via a user namespace)" : "");
  for (auto& s : sup.steps) {
    std::printf("  %-11s %-12s %s\n", s.name.c_str(), s.ok ? "active" : "UNAVAILABLE",
                s.what.c_str());
    if (!s.ok) std::printf("  %-11s %-12s reason: %s\n", "", "", s.detail.c_str());
  }
  if (!sb.enabled)
    std::printf("\nworkers.sandbox.enabled is false in this config: no step is applied.\n");
  std::printf("\n%s\n", sup.all_ok() ? "all protections active"
                                     : "some protections are UNAVAILABLE on this host");
  return sup.all_ok() && sb.enabled ? 0 : 1;
}

// SIGHUP reloads, SIGTERM/SIGINT stop. All threads block these signals; one
// thread takes them with sigwait, so handlers never run in odd contexts.
void start_signal_thread(Gateway& gateway, Transport& transport, const sigset_t& set) {
  std::thread([&gateway, &transport, set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (sig == SIGHUP) {
        log::info("SIGHUP: reloading the config");
        gateway.reload();
        continue;
      }
      log::info("stopping", {{"signal", sig}});
      transport.stop();
      return;
    }
  }).detach();
}

// Expires idle HTTP sessions and reaps processes orphaned by killed workers.
void start_sweeper(Gateway& gateway) {
  std::thread([&gateway] {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::seconds(2));
      auto idle = std::chrono::milliseconds(gateway.config()->server.session_idle_timeout_ms);
      gateway.sessions().expire_idle(idle);
      gateway.pool().reap_orphans();
    }
  }).detach();
}

// Blocks the signals the signal thread takes (SIGHUP, SIGTERM, SIGINT) in
// every thread started after this, and ignores SIGPIPE.
sigset_t block_serve_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return set;
}

int cmd_serve(const Args& a, const AdapterRegistry& reg) {
  if (a.has("--help")) return std::printf("%s", kServeHelp), 0;
  if (a.config.empty()) return usage_error("serve needs -c FILE", kServeHelp);
  if (a.has("--stdio") && a.opts.count("--listen")) {
    return usage_error("--stdio and --listen exclude each other", kServeHelp);
  }
  sigset_t set = block_serve_signals();

  auto cfg = load_or_report(a.config);
  if (!cfg) return 1;
  log::Level level;
  std::string level_name =
      a.opts.count("--log-level") ? a.opts.at("--log-level") : cfg->server.log_level;
  if (!log::parse_level(level_name, &level))
    return usage_error("bad --log-level: " + level_name, kServeHelp);
  log::set_level(level);

  std::unique_ptr<Gateway> gateway;
  try {
    gateway = std::make_unique<Gateway>(cfg, reg);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  if (::access(gateway->pool().worker_path().c_str(), X_OK) != 0) {
    log::error("worker binary not found; every call will fail",
               {{"path", gateway->pool().worker_path()}});
  }
  bool stdio = a.has("--stdio") || (!a.opts.count("--listen") && cfg->server.transport == "stdio");
  log::info("starting", {{"version", TOOLGATE_VERSION},
                         {"config", cfg->path},
                         {"tools", gateway->generations().current().catalog->tools().size()},
                         {"transport", stdio ? "stdio" : "http"}});
  start_sweeper(*gateway);
  // Humans decide pending approvals through this socket (`toolgate approvals`).
  AdminSocket admin(gateway->approvals());
  std::string sock =
      cfg->approvals.socket.empty() ? default_approvals_socket(cfg->path) : cfg->approvals.socket;
  std::string admin_err = admin.start(sock);
  bool admin_ok = admin_err.empty();
  if (!admin_ok) {
    log::error(
        "approvals socket unavailable; pending approvals can only be decided over "
        "/admin/approvals",
        {{"socket", sock}, {"error", admin_err}});
  } else {
    log::info("approvals socket ready", {{"socket", sock}});
  }
  ConfigWatcher watcher(gateway->generations());
  watcher.start();
  // Once a transport stops, the process ends at once rather than unwinding:
  // the sweeper and signal threads still hold references, and nothing needs
  // tearing down by hand. Workers notice their frame sockets closing and kill
  // their tools; stdout and stderr are written unbuffered.
  auto finish = [admin_ok, sock](int rc) {
    if (admin_ok) ::unlink(sock.c_str());
    log::info("stopped", {{"exit_code", rc}});
    std::_Exit(rc);
  };
  if (stdio) {
    StdioTransport t(*gateway, local_caller(cfg->server));
    start_signal_thread(*gateway, t, set);
    finish(t.run());
  }
  std::string host = cfg->server.listen_host;
  uint16_t port = cfg->server.listen_port;
  if (a.opts.count("--listen") && !parse_listen(a.opts.at("--listen"), &host, &port)) {
    return usage_error("bad --listen (expected HOST:PORT): " + a.opts.at("--listen"), kServeHelp);
  }
  HttpTransport t(*gateway, host, port);
  if (!t.bind()) return 1;
  start_signal_thread(*gateway, t, set);
  finish(t.run());
  return 0;  // not reached
}

}  // namespace

int run_cli(int argc, char** argv) {
  Args a = parse_args(argc, argv);
  if (a.command.empty()) {
    if (a.has("--version")) return std::printf("toolgate %s\n", TOOLGATE_VERSION), 0;
    if (a.has("--help")) return std::printf("%s", kMainHelp), 0;
    return usage_error(a.error.empty() ? "no command given" : a.error, kMainHelp);
  }
  if (!a.error.empty()) return usage_error(a.error, kMainHelp);
  bool takes_positional = a.command == "policy" || a.command == "approvals" || a.command == "audit";
  if (!takes_positional && !a.positional.empty())
    return usage_error("unexpected argument: " + a.positional[0], kMainHelp);
  AdapterRegistry reg;
  register_builtin_adapters(reg);
  if (a.command == "serve") return cmd_serve(a, reg);
  if (a.command == "validate") return cmd_validate(a, reg);
  if (a.command == "tools") return cmd_tools(a, reg);
  if (a.command == "doctor") return cmd_doctor(a);
  if (a.command == "policy") return cmd_policy(a, reg);
  if (a.command == "approvals") return cmd_approvals(a);
  if (a.command == "audit") return cmd_audit(a);
  if (a.command == "help") return std::printf("%s", kMainHelp), 0;
  return usage_error("unknown command: " + a.command, kMainHelp);
}

}  // namespace toolgate
