// Command-line parsing shared by the `toolgate` commands (cli*.cc).
//
//   Args a = parse_args(argc, argv);            // a.command, a.config, a.opts, a.positional
//   if (a.has("--help")) return std::printf("%s", kHelp), 0;
//   auto cfg = load_or_report(a.config);        // prints file:line:col on error
//   CliServices s = cli_services(*cfg);         // a lazily started worker pool for loads
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/work_order.h"
#include "gateway/catalog/adapter.h"
#include "gateway/config/config.h"

namespace toolgate {

struct Args {
  std::string command;
  std::vector<std::string> positional;  // after the command: subcommand, files, ids
  std::string config;
  std::map<std::string, std::string> opts;  // valued options: --listen, --tool, ...
  std::vector<std::string> flags;           // --stdio, --json, --help, -f, ...
  std::string error;
  bool has(const std::string& f) const;
  std::string opt(const std::string& name, const std::string& dflt = "") const;
};

Args parse_args(int argc, char** argv);
// Prints "toolgate: msg" and the help text to stderr; returns 2.
int usage_error(const std::string& msg, const char* help);
// Loads a config, printing the error on failure (then returns null).
std::shared_ptr<const Config> load_or_report(const std::string& path);

class AdapterRegistry;
// Runs adapters' load-time fetches (a spec URL) for commands that do not
// serve: a worker pool and the sandbox probe are set up on first use.
// What commands that load a config need to build its catalog: fetches (a
// spec given as a URL) and long-lived upstream servers, both in workers
// under the sandbox, started on first use.
struct CliServices {
  LoadFetcher fetch;
  Launcher launcher;
  SandboxFor sandbox_for;
};
CliServices cli_services(const Config& cfg);
// The config's catalog, loaded with `services` (which must outlive it).
std::shared_ptr<const Catalog> build_catalog(const Config& cfg, const AdapterRegistry& reg,
                                             const CliServices& services);
int cmd_policy(const Args& a, const AdapterRegistry& reg);
int cmd_audit(const Args& a);
int cmd_approvals(const Args& a);

}  // namespace toolgate
