// Audit log writing and rotation, redaction, API-key authentication and the
// metrics exposition (gateway/audit/audit.cc, auth.cc, metrics.cc).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gateway/audit/audit.h"
#include "gateway/audit/metrics.h"
#include "gateway/identity/auth.h"
#include "temp_dir.h"

using namespace toolgate;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("redact hides secret-looking keys and configured secret values anywhere") {
  json args = {{"user", "al"},
               {"Password", "hunter2"},
               {"nested", {{"api_key", "k"}, {"list", {"x s3cr3t-value y", 3}}}},
               {"headers", {{"Authorization", "Bearer abc"}}}};
  json r = redact(args, {"s3cr3t-value", "ab"});
  CHECK(r["user"] == "al");
  CHECK(r["Password"] == "[REDACTED]");
  CHECK(r["nested"]["api_key"] == "[REDACTED]");
  CHECK(r["nested"]["list"][0] == "x [REDACTED] y");
  CHECK(r["nested"]["list"][1] == 3);
  CHECK(r["headers"]["Authorization"] == "[REDACTED]");
  CHECK(dump_safe(r).find("s3cr3t") == std::string::npos);
  // Too short to redact without mangling ordinary text.
  CHECK(redact(json("abc"), {"ab"}) == "abc");
}

TEST_CASE("args_digest is canonical: key order does not matter, values do") {
  json a = json::parse(R"({"b":1,"a":[1,2]})"), b = json::parse(R"({"a":[1,2],"b":1})");
  CHECK(args_digest(a) == args_digest(b));
  CHECK(args_digest(a).rfind("sha256:", 0) == 0);
  CHECK(args_digest(a).size() == 7 + 64);
  CHECK(args_digest(a) != args_digest(json::parse(R"({"a":[2,1],"b":1})")));
}

TEST_CASE("the audit log appends one JSON line per record, mode 0600, and rotates by size") {
  TempDir d;
  AuditConfig cfg;
  cfg.path = (d.path / "audit.jsonl").string();
  cfg.max_bytes = 4096;
  cfg.keep = 2;
  auto log = AuditLog::open(cfg);
  REQUIRE(log);
  for (int i = 0; i < 300; ++i) CHECK((*log)->write({{"event", "decision"}, {"n", i}}));
  struct stat st;
  REQUIRE(::stat(cfg.path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(st.st_size <= 4096);
  CHECK(::access((cfg.path + ".1").c_str(), F_OK) == 0);
  CHECK(::access((cfg.path + ".2").c_str(), F_OK) == 0);
  CHECK(::access((cfg.path + ".3").c_str(), F_OK) != 0);  // keep: 2
  // The newest record is last in the live file, and every line parses.
  std::istringstream lines(slurp(cfg.path));
  std::string line, last;
  while (std::getline(lines, line)) {
    json j = json::parse(line);
    CHECK(j.contains("ts"));
    last = line;
  }
  CHECK(json::parse(last)["n"] == 299);

  AuditConfig bad;
  bad.path = (d.path / "missing" / "dir" / "audit.jsonl").string();
  auto b = AuditLog::open(bad);
  REQUIRE_FALSE(b);
  CHECK(b.error().message.find("cannot open the audit log") == 0);
}

TEST_CASE("API keys: bearer keys map to callers, anything else is refused") {
  ServerConfig s;
  s.local_caller_id = "me";
  CHECK(authenticate(s, "")->id == "anonymous");  // no keys: nobody known, no roles
  CHECK(authenticate(s, "")->roles.empty());
  auto cfg = parse_config(
      "server:\n  auth:\n    api_keys:\n"
      "      - {key: alice-key-0123456789, caller: alice, roles: [support]}\n"
      "      - {key: bob-key-0123456789ab, caller: bob}\nsources: []\n",
      "t.yaml");
  const ServerConfig& sv = cfg->server;
  auto a = authenticate(sv, "Bearer alice-key-0123456789");
  REQUIRE(a);
  CHECK(a->id == "alice");
  CHECK(a->roles == std::vector<std::string>{"support"});
  CHECK(authenticate(sv, "bearer bob-key-0123456789ab")->id == "bob");
  CHECK_FALSE(authenticate(sv, ""));
  CHECK_FALSE(authenticate(sv, "Bearer alice-key-012345678"));
  CHECK_FALSE(authenticate(sv, "Basic YWxpY2U6eA=="));
  CHECK(authenticate(sv, "Bearer nope").error().code == rpc::kInvalidRequest);
  // Only hashes are kept.
  for (auto& k : sv.api_keys) CHECK(k.key_sha256.find("alice-key") == std::string::npos);
}

TEST_CASE("metrics render as Prometheus text with escaped labels and cumulative buckets") {
  Metrics m;
  m.call("a__b", "allow", "ok", 0.003);
  m.call("a__b", "allow", "ok", 0.2);
  m.call("we\"ird", "deny", "denied", -1);
  m.approval("declined");
  std::string t = m.render({{"toolgate_sessions_active", "Open sessions", "gauge", 2}});
  CHECK(t.find("toolgate_calls_total{tool=\"a__b\",decision=\"allow\",outcome=\"ok\"} 2\n") !=
        std::string::npos);
  CHECK(t.find("tool=\"we\\\"ird\"") != std::string::npos);
  CHECK(t.find("toolgate_call_duration_seconds_bucket{tool=\"a__b\",le=\"0.0025\"} 0\n") !=
        std::string::npos);
  CHECK(t.find("toolgate_call_duration_seconds_bucket{tool=\"a__b\",le=\"0.005\"} 1\n") !=
        std::string::npos);
  CHECK(t.find("toolgate_call_duration_seconds_bucket{tool=\"a__b\",le=\"+Inf\"} 2\n") !=
        std::string::npos);
  CHECK(t.find("toolgate_call_duration_seconds_count{tool=\"a__b\"} 2\n") != std::string::npos);
  CHECK(t.find("toolgate_approvals_total{result=\"declined\"} 1\n") != std::string::npos);
  CHECK(t.find("# TYPE toolgate_sessions_active gauge\ntoolgate_sessions_active 2\n") !=
        std::string::npos);
  CHECK(t.find("we\"ird\",le") == std::string::npos);  // denied calls have no latency
}

TEST_CASE("worker end reasons are counted by reason, every reason listed from the start") {
  Metrics m;
  std::string before = m.render({});
  CHECK(before.find("# TYPE toolgate_worker_end_reasons_total counter\n") != std::string::npos);
  for (EndReason r : all_end_reasons()) {
    CAPTURE(to_string(r));
    CHECK(before.find("toolgate_worker_end_reasons_total{reason=\"" + std::string(to_string(r)) +
                      "\"} 0\n") != std::string::npos);
  }
  m.worker_end(EndReason::exec_failed);
  m.worker_end(EndReason::exec_failed);
  m.worker_end(EndReason::none);
  std::string t = m.render({});
  CHECK(t.find("toolgate_worker_end_reasons_total{reason=\"exec_failed\"} 2\n") !=
        std::string::npos);
  CHECK(t.find("toolgate_worker_end_reasons_total{reason=\"none\"} 1\n") != std::string::npos);
  CHECK(t.find("toolgate_worker_end_reasons_total{reason=\"setup_failed\"} 0\n") !=
        std::string::npos);
}
