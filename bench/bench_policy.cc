// What the policy layer adds to a call: one decision (scope, conditions,
// rate-limit buckets), and the audit record written before dispatch.
//
//   build/bench_policy [--iters N] [--smoke]
//
// Rows are per operation, in microseconds; the first row (an allow-all
// policy) is the baseline measured in the same run.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>

#include "gateway/audit/audit.h"
#include "gateway/catalog/adapter.h"
#include "gateway/catalog/naming.h"
#include "gateway/catalog/schema_validator.h"
#include "gateway/config/config.h"
#include "gateway/egress/egress.h"
#include "gateway/policy/policy.h"

using namespace toolgate;

namespace {

double per_op_us(int iters, const std::function<void()>& op) {
  for (int i = 0; i < iters / 10 + 1; ++i) op();  // warm up
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) op();
  auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(t1 - t0).count() / iters;
}

// A policy of `n` rules in the shape of real ones: globs, callers, an
// argument regex on every fourth rule.
std::string big_policy(int n) {
  std::string s = "version: 1\ndefault: deny\nrules:\n";
  for (int i = 0; i < n; ++i) {
    s += "  - id: r" + std::to_string(i) + "\n    tools: [\"src" + std::to_string(i % 50) +
         "__*\"]\n    callers: [\"role:team" + std::to_string(i % 7) +
         "\"]\n    effect: " + (i % 3 == 0 ? "deny" : "allow") + "\n";
    if (i % 4 == 0) s += "    when: {args.sql: {not_matches: \"(?i)^\\\\s*select\\\\b\"}}\n";
  }
  return s;
}

// How long resolve_within takes to give up on a resolver that never
// answers: the deadline plus the gateway's overshoot.
double hung_lookup_ms(int deadline_ms) {
  struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    bool open = false;
  };
  auto gate = std::make_shared<Gate>();
  auto hung = [gate](const std::string&, std::vector<IpAddr>*) {
    std::unique_lock<std::mutex> l(gate->mu);
    gate->cv.wait(l, [&] { return gate->open; });
    return std::string("released");
  };
  auto t0 = std::chrono::steady_clock::now();
  auto r = resolve_within("stuck.example", deadline_ms, hung);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  {
    std::lock_guard<std::mutex> l(gate->mu);
    gate->open = true;
  }
  gate->cv.notify_all();  // the lookup left behind finishes and frees its place
  return r ? -1 : ms;
}

}  // namespace

int main(int argc, char** argv) {
  int iters = 200000;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--smoke"))
      iters = 2000;
    else if (!strcmp(argv[i], "--iters") && i + 1 < argc)
      iters = atoi(argv[++i]);
    else {
      std::printf("usage: bench_policy [--iters N] [--smoke]\n");
      return 2;
    }
  }
  char dir_tmpl[] = "/tmp/toolgate-bench-policy-XXXXXX";
  std::string dir = ::mkdtemp(dir_tmpl);
  std::ofstream(dir + "/big.yaml") << big_policy(1000);

  Tool tool;
  tool.name = "src7__query";
  tool.source = "src7";
  tool.annotations = {{"readOnlyHint", false}, {"destructiveHint", false}};
  json args = {{"sql", "SELECT id, total FROM orders WHERE customer = 42"}};
  Caller caller{"alice", {"team0", "support"}};

  AllowAllPolicy all;
  auto examples = PolicySet::load({std::string(SOURCE_DIR) + "/policies/sql-select-only.yaml",
                                   std::string(SOURCE_DIR) + "/policies/approve-destructive.yaml"},
                                  nullptr);
  auto big = PolicySet::load({dir + "/big.yaml"}, nullptr);
  Tool db = tool;
  db.name = "db__query";
  db.source = "db";

  std::printf("policy decision and audit cost, %d operations each, microseconds per op\n", iters);
  std::printf("%-52s %10s\n", "row", "us/op");
  double base = per_op_us(iters, [&] { (void)all.decide({caller, tool, args}); });
  std::printf("%-52s %10.3f\n", "baseline: allow-all policy", base);
  double ex = per_op_us(iters, [&] { (void)examples->decide({caller, db, args}); });
  std::printf("%-52s %10.3f\n", "example policies (6 rules, 2 regexes)", ex);
  double b = per_op_us(iters / 10, [&] { (void)big->decide({caller, tool, args}); });
  std::printf("%-52s %10.3f\n", "1000 rules (glob, callers, regex on 250)", b);
  double hide = per_op_us(iters / 10, [&] { (void)big->denies_always(caller, tool); });
  std::printf("%-52s %10.3f\n", "tools/list visibility check, 1000 rules, per tool", hide);
  std::vector<std::string> secrets = {"s3cr3t-token-value"};
  double red = per_op_us(iters, [&] {
    (void)redact(args, secrets);
    (void)args_digest(args);
  });
  std::printf("%-52s %10.3f\n", "redact + digest the arguments", red);
  for (bool fsync : {false, true}) {
    AuditConfig cfg;
    cfg.path = dir + (fsync ? "/audit-fsync.jsonl" : "/audit.jsonl");
    cfg.fsync = fsync;
    auto log = AuditLog::open(cfg);
    if (!log) return std::printf("%s\n", log.error().message.c_str()), 1;
    int n = fsync ? std::max(20, iters / 1000) : iters / 10;
    double w = per_op_us(n, [&] {
      (*log)->write({{"event", "decision"}, {"tool", "db__query"}, {"args", args}});
    });
    std::printf("%-52s %10.3f\n",
                fsync ? "audit record, fsync: true (this disk)" : "audit record, fsync: false", w);
  }
  // What the unit tests once bounded with a stopwatch: worst-case inputs of
  // the matchers on the call's path, and the egress lookup deadline.
  const std::string as(10000, 'a');
  double glob =
      per_op_us(std::max(iters / 100, 5), [&] { (void)glob_match("*a*a*a*a*a*a*a*a*a*a*b*", as); });
  std::printf("%-52s %10.3f\n", "glob_match, pathological pattern, 10000 chars", glob);
  auto re = SchemaValidator::compile(json::parse(R"({"type":"string","pattern":"^(a+)+$"})"));
  if (!re) return std::printf("%s\n", re.error().message.c_str()), 1;
  const json long_a = std::string(100000, 'a');
  double pat = per_op_us(std::max(iters / 1000, 5), [&] { (void)(*re)->validate(long_a); });
  std::printf("%-52s %10.3f\n", "pattern ^(a+)+$ on 100000 chars (RE2)", pat);
  std::printf(
      "summary: a decision with the example policies costs %.2f us over allow-all; "
      "with 1000 rules %.2f us\n",
      ex - base, b - base);
  std::printf(
      "egress lookup, 150 ms deadline, resolver that never answers: refused after %.1f ms\n",
      hung_lookup_ms(150));
  std::system(("rm -rf " + dir).c_str());
  return 0;
}
