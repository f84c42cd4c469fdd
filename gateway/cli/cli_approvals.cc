// `toolgate approvals list | approve ID | deny ID`: a human decides calls a
// policy rule sent for approval, through the gateway's approvals socket.
#include <cstdio>

#include "gateway/approvals/approvals.h"
#include "gateway/cli/cli_args.h"

namespace toolgate {
namespace {

constexpr const char* kApprovalsHelp =
    "usage: toolgate approvals <list | approve ID | deny ID> (-c CONFIG | --socket PATH) [--json]\n"
    "\n"
    "Talks to a running `toolgate serve -c CONFIG` over its approvals socket\n"
    "(approvals.socket, or the default derived from the config path), which only\n"
    "the gateway's own user and root can reach.\n"
    "  list         calls waiting for a human: tool, caller, arguments (secrets\n"
    "               redacted), the rule that asked, and the time left\n"
    "  approve ID   run the call, exactly as listed\n"
    "  deny ID      refuse it; the model is told a human declined\n";

}  // namespace

int cmd_approvals(const Args& a) {
  if (a.has("--help")) return std::printf("%s", kApprovalsHelp), 0;
  if (a.positional.empty()) return usage_error("approvals needs a subcommand", kApprovalsHelp);
  std::string sock = a.opt("--socket");
  if (sock.empty()) {
    if (a.config.empty())
      return usage_error("approvals needs -c CONFIG or --socket PATH", kApprovalsHelp);
    auto cfg = load_or_report(a.config);
    if (!cfg) return 1;
    sock =
        cfg->approvals.socket.empty() ? default_approvals_socket(cfg->path) : cfg->approvals.socket;
  }
  const std::string& sub = a.positional[0];
  json req;
  if (sub == "list" && a.positional.size() == 1) {
    req = {{"op", "list"}};
  } else if ((sub == "approve" || sub == "deny") && a.positional.size() == 2) {
    req = {{"op", sub}, {"id", a.positional[1]}};
  } else {
    return usage_error("expected `list`, `approve ID` or `deny ID`", kApprovalsHelp);
  }
  auto r = admin_request(sock, req);
  if (!r) {
    std::fprintf(stderr, "toolgate: %s\n", r.error().message.c_str());
    return 1;
  }
  if (r->contains("error")) {
    std::fprintf(stderr, "toolgate: %s\n", (*r)["error"].get<std::string>().c_str());
    return 1;
  }
  if (a.has("--json")) {
    std::printf("%s\n", r->dump(2).c_str());
    return 0;
  }
  if (sub != "list") {
    std::printf("%s %s\n", sub == "approve" ? "approved" : "denied", a.positional[1].c_str());
    return 0;
  }
  const json& pending = (*r)["pending"];
  if (pending.empty()) std::printf("no calls are waiting for approval\n");
  for (auto& p : pending) {
    std::printf("%s  %s  caller %s  rule %s  %llu s left\n  args %s\n  digest %s\n",
                p.value("id", "").c_str(), p.value("tool", "").c_str(),
                p.value("caller", "").c_str(), p.value("rule", "").c_str(),
                (unsigned long long)(p.value("expires_in_ms", uint64_t(0)) / 1000),
                dump_safe(p.value("args", json::object())).c_str(),
                p.value("args_digest", "").c_str());
  }
  return 0;
}

}  // namespace toolgate
