// `toolgate audit tail [-f] [-n N]`: the audit log, one readable line per record.
#include <sys/stat.h>

#include <cstdio>
#include <deque>
#include <fstream>
#include <thread>

#include "common/json_limits.h"
#include "gateway/cli/cli_args.h"

namespace toolgate {
namespace {

constexpr const char* kAuditHelp =
    "usage: toolgate audit tail (-c CONFIG | --file PATH) [-n N] [-f] [--json]\n"
    "\n"
    "Prints the last N records (default 20) of the audit log, one readable line\n"
    "each: decisions (with the rules that made them), approvals and call ends,\n"
    "correlated by call id. -f keeps following the file, across rotations.\n"
    "--json prints the records as they are stored.\n";

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : dump_safe(*it);
}

std::string readable(const std::string& line, bool raw) {
  if (raw) return line;
  json j = json::parse(line, nullptr, false);
  if (!j.is_object()) return "(unparsable record) " + line.substr(0, 200);
  std::string ev = str(j, "event");
  std::string out = str(j, "ts") + "  " + ev;
  out.resize(std::max<size_t>(out.size(), 35), ' ');
  out += " call=" + str(j, "call") + "  " + str(j, "caller") + "  " + str(j, "tool") + "  ";
  if (ev == "decision") {
    out += str(j, "decision") + " (rule " + str(j, "rule") + ")";
    if (j.value("rate_limited", false)) out += " rate-limited";
    out += "  args " + str(j, "args");
  } else if (ev == "approval") {
    out += str(j, "verdict") + " by " + str(j, "by");
  } else if (ev == "end" && j.value("dispatched", true) == false) {
    out += str(j, "outcome") + " (never dispatched)";
  } else if (ev == "end") {
    out += str(j, "outcome") + "  " + str(j, "ms") + " ms  " + str(j, "bytes") + " B";
    if (j.contains("upstream_status")) out += "  HTTP " + str(j, "upstream_status");
    if (j.value("is_error", false)) out += "  isError";
  }
  return out;
}

ino_t inode_of(const std::string& path, off_t* size) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  *size = st.st_size;
  return st.st_ino;
}

}  // namespace

int cmd_audit(const Args& a) {
  if (a.has("--help")) return std::printf("%s", kAuditHelp), 0;
  if (a.positional.empty() || a.positional[0] != "tail" || a.positional.size() > 1)
    return usage_error("expected `audit tail`", kAuditHelp);
  std::string path = a.opt("--file");
  if (path.empty()) {
    if (a.config.empty())
      return usage_error("audit tail needs -c CONFIG or --file PATH", kAuditHelp);
    auto cfg = load_or_report(a.config);
    if (!cfg) return 1;
    if (cfg->audit.path.empty()) {
      std::fprintf(stderr, "%s has no audit.path: no audit log is written\n", a.config.c_str());
      return 1;
    }
    path = cfg->audit.path;
  }
  long n = 20;
  try {
    n = std::stol(a.opt("-n", "20"));
  } catch (const std::exception&) {
    return usage_error("-n needs a number", kAuditHelp);
  }
  bool raw = a.has("--json");
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 1;
  }
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (long(last.size()) > n) last.pop_front();
  }
  for (auto& l : last) std::printf("%s\n", readable(l, raw).c_str());
  std::fflush(stdout);
  if (!a.has("-f")) return 0;

  off_t size = 0;
  ino_t ino = inode_of(path, &size);
  in.clear();
  std::string partial;
  for (;;) {
    while (std::getline(in, line)) {
      if (in.eof()) {  // no newline yet: the record is still being written
        partial += line;
        break;
      }
      std::printf("%s\n", readable(partial + line, raw).c_str());
      partial.clear();
    }
    std::fflush(stdout);
    in.clear();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    off_t now_size = 0;
    ino_t now = inode_of(path, &now_size);
    if (now != 0 && (now != ino || now_size < size)) {  // rotated or truncated
      in = std::ifstream(path);
      ino = now;
      partial.clear();
    }
    size = now_size;
  }
}

}  // namespace toolgate
