// The policy engine: loading and its errors, evaluation semantics, rate
// limits, hidden tools and lint (gateway/policy/policy_*.cc).
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "config_error.h"
#include "gateway/catalog/adapter.h"
#include "gateway/config/config.h"
#include "gateway/policy/policy.h"
#include "temp_dir.h"

using namespace toolgate;

namespace {

Tool make_tool(const std::string& name, const std::string& source, json annotations = nullptr,
               json facts = json::object()) {
  Tool t;
  t.name = name;
  t.source = source;
  t.annotations = std::move(annotations);
  t.facts = std::move(facts);
  return t;
}

std::shared_ptr<const PolicySet> load(const TempDir& d, const std::vector<std::string>& texts) {
  std::vector<std::string> files;
  for (size_t i = 0; i < texts.size(); ++i)
    files.push_back(d.write("p" + std::to_string(i) + ".yaml", texts[i]));
  return PolicySet::load(files, nullptr);
}

Decision decide(const PolicySet& p, const Tool& t, json args = json::object(),
                Caller c = {"alice", {}}) {
  return p.explain({c, t, args}).decision;
}

std::string load_error(const std::string& text) {
  TempDir d;
  return config_error([&] { load(d, {text}); });
}

}  // namespace

TEST_CASE("policy load errors name file:line:col and what is wrong") {
  CHECK(load_error("version: 1\nrules:\n  - id: a\n    effect: allow\n    tool: [x]\n")
            .find("p0.yaml:5:5: /rules/0/tool: unknown key 'tool'") != std::string::npos);
  CHECK(load_error("version: 1\nrules:\n  - id: a\n    effect: permit\n").find("p0.yaml:4:13") !=
        std::string::npos);
  std::string re = load_error(
      "version: 1\nrules:\n  - id: a\n    effect: deny\n    when: {args.q: {matches: \"(\"}}\n");
  CHECK(re.find("p0.yaml:5:") != std::string::npos);
  CHECK(re.find("bad regular expression") != std::string::npos);
  CHECK(load_error("version: 1\nrules:\n  - id: a\n    effect: deny\n    when: {argz.q: 1}\n")
            .find("unknown condition key 'argz.q'") != std::string::npos);
  CHECK(
      load_error("version: 1\nrules:\n  - id: a\n    effect: deny\n    when: {args.q: {like: x}}\n")
          .find("unknown operator 'like'") != std::string::npos);
  CHECK(load_error("version: 1\nrules:\n  - id: a\n    effect: deny\n    when: {args.q: {lt: x}}\n")
            .find("need a number") != std::string::npos);
  CHECK(load_error("version: 1\nrules:\n  - id: a\n    effect: deny\n"
                   "    limit: {calls: 1, per: 1h}\n")
            .find("a deny rule cannot have a limit") != std::string::npos);
  CHECK(load_error("version: 2\nrules: []\n").find("p0.yaml:1:10") != std::string::npos);
  CHECK(load_error("version: 1\nrules:\n  - id: a\n    effect: deny\n    when: {args..x: 1}\n")
            .find("malformed argument path") != std::string::npos);

  TempDir d;
  std::string dup = config_error([&] {
    load(d, {"version: 1\nrules:\n  - id: same\n    effect: allow\n",
             "version: 1\nrules:\n  - {id: other, effect: deny}\n  - {id: same, effect: deny}\n"});
  });
  CHECK(dup.find("p1.yaml:4:10: duplicate rule id 'same' (first defined at " + d.path.string() +
                 "/p0.yaml:3:9)") != std::string::npos);
}

TEST_CASE("deny beats approve beats allow, the default applies when nothing matches") {
  TempDir d;
  auto p = load(d, {R"(version: 1
default: deny
rules:
  - {id: allow-all, tools: ["*"], effect: allow}
  - {id: approve-x, tools: ["x__*"], effect: approve}
  - {id: deny-x-drop, tools: ["x__drop"], effect: deny, message: never}
  - {id: only-y, sources: [y], tools: ["*read"], effect: allow}
)"});
  auto r = decide(*p, make_tool("z__thing", "z"));
  CHECK(r.effect == Effect::allow);
  CHECK(r.rule_id == "allow-all");
  r = decide(*p, make_tool("x__list", "x"));
  CHECK(r.effect == Effect::approve);
  CHECK(r.matched == std::vector<std::string>{"allow-all", "approve-x"});
  r = decide(*p, make_tool("x__drop", "x"));
  CHECK(r.effect == Effect::deny);
  CHECK(r.rule_id == "deny-x-drop");
  CHECK(r.text() == "Denied by policy rule 'deny-x-drop': never");

  auto q = load(d, {"version: 1\nrules:\n  - {id: only-y, sources: [y], tools: [\"*read\"], "
                    "effect: allow}\n"});
  CHECK(decide(*q, make_tool("y__read", "y")).effect == Effect::allow);
  // tools and sources both restrict: the glob matches but the source does not.
  CHECK(decide(*q, make_tool("z__read", "z")).effect == Effect::deny);
  CHECK(decide(*q, make_tool("z__read", "z")).rule_id == "default");
}

TEST_CASE("several files: a later file never weakens an earlier deny or default") {
  TempDir d;
  auto p = load(d, {"version: 1\ndefault: deny\nrules:\n  - {id: no-rm, tools: [\"*rm*\"], "
                    "effect: deny}\n",
                    "version: 1\ndefault: allow\nrules:\n  - {id: team-rm, tools: [\"t__rm\"], "
                    "effect: allow}\n"});
  CHECK(decide(*p, make_tool("t__rm", "t")).effect == Effect::deny);
  CHECK(decide(*p, make_tool("t__rm", "t")).rule_id == "no-rm");
  // The strictest default of all files applies.
  auto e = p->explain({{"a", {}}, make_tool("t__ls", "t"), json::object()});
  CHECK(e.decision.effect == Effect::deny);
  CHECK(e.default_from.find("p0.yaml") != std::string::npos);
}

TEST_CASE("callers: id globs and role:NAME, a caller without roles matches no role rule") {
  TempDir d;
  auto p = load(d, {R"(version: 1
rules:
  - {id: support, tools: ["*"], callers: ["role:support"], effect: allow}
  - {id: bots, tools: ["*"], callers: ["bot-*"], effect: allow}
  - id: not-guests
    tools: ["*"]
    effect: deny
    when: {caller.roles: guest}
)"});
  Tool t = make_tool("m__send", "m");
  CHECK(decide(*p, t, {}, {"alice", {"support"}}).effect == Effect::allow);
  CHECK(decide(*p, t, {}, {"alice", {}}).effect == Effect::deny);
  CHECK(decide(*p, t, {}, {"bot-7", {}}).rule_id == "bots");
  CHECK(decide(*p, t, {}, {"bot-7", {"support", "guest"}}).rule_id == "not-guests");
}

TEST_CASE("condition operators on arguments, including nested paths and list indexes") {
  TempDir d;
  auto p = load(d, {R"(version: 1
default: allow
rules:
  - {id: eq, effect: deny, when: {args.mode: force}}
  - {id: in, effect: deny, when: {args.env: [prod, staging]}}
  - {id: not-in, effect: deny, when: {args.region: {not_in: [eu, us]}}}
  - {id: re, effect: deny, when: {args.sql: {matches: "(?i)\\bdrop\\b"}}}
  - {id: prefix, effect: deny, when: {args.path: {prefix: /etc/}}}
  - {id: range, effect: deny, when: {args.n: {gt: 10, lte: 100}}}
  - {id: lt, effect: deny, when: {args.n: {lt: 0}}}
  - {id: gte, effect: deny, when: {args.budget: {gte: 1000}}}
  - {id: exists, effect: deny, when: {args.cc: {exists: true}}}
  - {id: long, effect: deny, when: {args.items: {len_lte: 2}, args.note: {len_lte: 3}}}
  - {id: nested, effect: deny, when: {args.user.name: root}}
  - {id: index, effect: deny, when: {"args.to[1]": boss@example.com}}
)"});
  Tool t = make_tool("a__b", "a");
  // region is given unless a case is about it: not_in on an absent argument
  // fails safe (checked at the end).
  auto rule = [&](json args) {
    if (!args.contains("region")) args["region"] = "eu";
    return decide(*p, t, args).rule_id;
  };
  CHECK(rule({{"mode", "force"}}) == "eq");
  CHECK(rule({{"mode", "gentle"}}) == "default");
  CHECK(rule({{"env", "staging"}}) == "in");
  CHECK(rule({{"env", "dev"}}) == "default");
  CHECK(rule({{"region", "ap"}}) == "not-in");
  CHECK(rule({{"region", "eu"}}) == "default");
  CHECK(rule({{"sql", "select 1; DROP table x"}}) == "re");
  CHECK(rule({{"sql", "select dropped from t"}}) == "default");
  CHECK(rule({{"path", "/etc/passwd"}}) == "prefix");
  CHECK(rule({{"path", "/home/etc/x"}}) == "default");
  CHECK(rule({{"n", 11}}) == "range");
  CHECK(rule({{"n", 101}}) == "default");
  CHECK(rule({{"n", 10}}) == "default");
  CHECK(rule({{"n", -0.5}}) == "lt");
  CHECK(rule({{"budget", 1000.0}}) == "gte");
  CHECK(rule({{"cc", nullptr}}) == "exists");
  CHECK(rule({{"items", {1, 2}}, {"note", "héé"}}) == "long");  // 3 characters, 5 bytes
  CHECK(rule({{"items", {1, 2, 3}}, {"note", "abc"}}) == "default");
  CHECK(rule({{"user", {{"name", "root"}}}}) == "nested");
  CHECK(rule({{"to", {"a@example.com", "boss@example.com"}}}) == "index");
  CHECK(rule({{"to", {"boss@example.com"}}}) == "default");
  CHECK(rule(json::object()) == "default");  // absent values match nothing...
  // ... except a negative test on an absent argument, which fails safe.
  CHECK(decide(*p, t, json::object()).rule_id == "not-in");
  // A value of another kind than the operand is not a plain miss either.
  CHECK(rule({{"mode", 5}}) == "eq");
}

TEST_CASE("a value a condition cannot judge fails safe: deny rules match, allow rules do not") {
  TempDir d;
  auto p = load(d, {R"(version: 1
default: allow
rules:
  - {id: select-only, effect: deny, when: {args.sql: {not_matches: "^select"}}}
)"});
  Tool t = make_tool("db__query", "db");
  CHECK(decide(*p, t, {{"sql", "select 1"}}).effect == Effect::allow);
  // An array of statements would dodge a per-string check: it is denied.
  CHECK(decide(*p, t, {{"sql", {"select 1", "drop x"}}}).rule_id == "select-only");
  CHECK(decide(*p, t, {{"sql", 5}}).rule_id == "select-only");

  auto q = load(d, {R"(version: 1
default: deny
rules:
  - {id: small, effect: allow, when: {args.n: {lt: 10}}}
)"});
  CHECK(decide(*q, t, {{"n", 3}}).effect == Effect::allow);
  CHECK(decide(*q, t, {{"n", "3"}}).effect == Effect::deny);  // a string is not a number
  CHECK(decide(*q, t, {{"n", {3}}}).effect == Effect::deny);
}

TEST_CASE("annotations use MCP's defaults, http and graphql facts come from the adapter") {
  TempDir d;
  auto p = load(d, {R"(version: 1
default: allow
rules:
  - {id: destructive, effect: approve, when: {annotations.destructiveHint: true}}
  - {id: writes, effect: deny, when: {http.method: {not_in: [GET, HEAD]}, http.path: {prefix: /repos}}}
  - {id: mutation, effect: deny, when: {graphql.operation: mutation}}
  - {id: from-s, effect: deny, when: {source: s, caller.id: eve}}
)"});
  CHECK(decide(*p, make_tool("a__x", "a")).rule_id == "destructive");  // no annotations
  CHECK(decide(*p, make_tool("a__x", "a", {{"readOnlyHint", true}})).rule_id == "default");
  CHECK(decide(*p, make_tool("a__x", "a", {{"destructiveHint", false}})).rule_id == "default");
  json ro = {{"readOnlyHint", true}};
  CHECK(decide(*p, make_tool("gh__d", "gh", ro,
                             {{"http", {{"method", "DELETE"}, {"path", "/repos/{o}"}}}}))
            .rule_id == "writes");
  CHECK(decide(*p, make_tool("gh__g", "gh", ro,
                             {{"http", {{"method", "GET"}, {"path", "/repos/{o}"}}}}))
            .rule_id == "default");
  CHECK(
      decide(*p, make_tool("q__m", "q", ro, {{"graphql", {{"operation", "mutation"}}}})).rule_id ==
      "mutation");
  CHECK(decide(*p, make_tool("s__t", "s", ro), {}, {"eve", {}}).rule_id == "from-s");
  CHECK(decide(*p, make_tool("s__t", "s", ro), {}, {"bob", {}}).rule_id == "default");
}

TEST_CASE("an exhausted rate limit denies, names the reset time, and counts per caller") {
  TempDir d;
  auto p = load(d, {R"(version: 1
rules:
  - id: quota
    tools: ["*"]
    effect: allow
    message: Mail quota.
    limit: {calls: 3, per: 1h, by: caller}
)"});
  Tool t = make_tool("m__send", "m");
  for (int i = 0; i < 3; ++i)
    CHECK(p->decide({{"a", {}}, t, json::object()}).effect == Effect::allow);
  Decision r = p->decide({{"a", {}}, t, json::object()});
  CHECK(r.effect == Effect::deny);
  CHECK(r.limited);
  CHECK(r.rule_id == "quota");
  CHECK(r.message.find(
            "Mail quota. (rate limit of 3 calls per 1h per caller reached; it resets at ") == 0);
  CHECK(r.message.find("(in 1200 s)") != std::string::npos);
  // Another caller has their own bucket; explain takes no tokens.
  CHECK(p->decide({{"b", {}}, t, json::object()}).effect == Effect::allow);
  CHECK(p->explain({{"a", {}}, t, json::object()}).decision.effect == Effect::allow);
}

TEST_CASE("token buckets refill over their period and take from all buckets or none") {
  MemoryRateStore s;
  Bucket a{"a", 2, 1000}, b{"b", 1, 1000};
  size_t empty;
  uint64_t wait;
  CHECK(s.take({a, b}, 0, &empty, &wait));
  CHECK_FALSE(s.take({a, b}, 0, &empty, &wait));
  CHECK(empty == 1);
  CHECK(wait == 1000);
  CHECK(s.take({a}, 0, &empty, &wait));  // b's refusal took nothing from a
  CHECK_FALSE(s.take({a}, 0, &empty, &wait));
  CHECK(wait == 500);
  CHECK(s.take({a}, 500, &empty, &wait));
}

TEST_CASE("denies_always hides a tool only when no arguments could let the call through") {
  TempDir d;
  auto p = load(d, {R"(version: 1
default: deny
rules:
  - {id: read, tools: ["gh__get*"], effect: allow}
  - {id: query, tools: ["db__query"], effect: allow, when: {args.sql: {matches: "^select"}}}
  - {id: admin, tools: ["ops__*"], callers: ["role:admin"], effect: allow}
  - {id: never, tools: ["gh__get_secret"], effect: deny}
)"});
  Caller alice{"alice", {}}, root{"root", {"admin"}};
  CHECK_FALSE(p->denies_always(alice, make_tool("gh__get_repo", "gh")));
  CHECK(p->denies_always(alice, make_tool("gh__get_secret", "gh")));
  CHECK(p->denies_always(alice, make_tool("gh__delete", "gh")));
  CHECK_FALSE(p->denies_always(alice, make_tool("db__query", "db")));  // depends on arguments
  CHECK(p->denies_always(alice, make_tool("ops__restart", "ops")));
  CHECK_FALSE(p->denies_always(root, make_tool("ops__restart", "ops")));
  AllowAllPolicy all;
  CHECK_FALSE(all.denies_always(alice, make_tool("x", "y")));
}

TEST_CASE("lint warns about globs that match nothing, unknown roles and shadowed rules") {
  TempDir d;
  auto p = load(d, {R"(version: 1
rules:
  - {id: wide-deny, tools: ["t__*"], effect: deny}
  - {id: shadowed, tools: ["t__a"], effect: allow}
  - {id: typo, tools: ["tt__*"], effect: allow}
  - {id: role-typo, tools: ["u__*"], callers: ["role:suport"], effect: allow}
  - {id: limited, tools: ["u__*"], effect: allow, limit: {calls: 1, per: 1s}}
  - {id: conditional, tools: ["u__*"], effect: approve, when: {args.x: 1}}
)"});
  std::string cfg =
      "sources:\n"
      "  - {name: t, type: script, tools: [{name: a, command: [/bin/true]}]}\n"
      "  - {name: u, type: script, tools: [{name: b, command: [/bin/true]}]}\n";
  TempDir cd;
  auto config = load_config(cd.write("c.yaml", cfg));
  AdapterRegistry reg;
  register_builtin_adapters(reg);
  auto cat = Catalog::build(*config, reg);
  auto issues = p->lint(*cat, {{"alice", {"support"}}});
  std::string all;
  for (auto& i : issues) {
    CHECK_FALSE(i.error);
    all += i.where + ": " + i.message + "\n";
  }
  CAPTURE(all);
  CHECK(all.find("rule 'shadowed' is fully shadowed by rule 'wide-deny'") != std::string::npos);
  CHECK(all.find("p0.yaml:5:24: rule 'typo': tools glob 'tt__*' matches no tool") !=
        std::string::npos);
  CHECK(all.find("callers entry 'role:suport' matches no configured caller") != std::string::npos);
  CHECK(all.find("'conditional' is fully") == std::string::npos);  // it has conditions
  CHECK(all.find("'limited' is fully") == std::string::npos);
  CHECK(issues.size() == 3);
}
