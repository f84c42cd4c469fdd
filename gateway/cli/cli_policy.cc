// `toolgate policy explain | test | lint`: tooling for policy authors.
#include <cstdio>

#include "gateway/catalog/adapter.h"
#include "gateway/cli/cli_args.h"
#include "gateway/generations.h"
#include "gateway/identity/auth.h"

namespace toolgate {
namespace {

constexpr const char* kPolicyHelp =
    "usage: toolgate policy <explain | test | lint> -c CONFIG [...]\n"
    "\n"
    "  explain -c CONFIG --tool NAME [--args JSON] [--caller ID] [--json]\n"
    "      Prints the decision for one call, every rule that matched, and for each\n"
    "      near miss (a rule covering the tool and caller) the condition that failed.\n"
    "      The caller's roles come from the config (server.auth.api_keys,\n"
    "      server.local_caller); default caller: the local caller.\n"
    "  test -c CONFIG TESTS.yaml [TESTS.yaml ...]\n"
    "      Runs expectation cases and prints `N passed, N failed`; exits 1 on any\n"
    "      failure, so it can gate CI. Format: docs/policy.md#policy-tests.\n"
    "  lint -c CONFIG\n"
    "      Errors (unknown keys, bad regexes, unknown effects) exit 1; warnings\n"
    "      (globs that match no tool, unknown roles, shadowed rules) are printed.\n";

struct Loaded {
  std::shared_ptr<const Config> cfg;
  CliServices services;  // declared first: outlives the catalog's upstreams
  std::shared_ptr<const Catalog> cat;
  std::shared_ptr<const PolicySet> set;
};

bool load_all(const Args& a, const AdapterRegistry& reg, Loaded* out) {
  out->cfg = load_or_report(a.config);
  if (!out->cfg) return false;
  try {
    out->services = cli_services(*out->cfg);
    out->cat = build_catalog(*out->cfg, reg, out->services);
    if (out->cfg->policies.empty()) {
      std::fprintf(stderr, "%s: no `policies` configured: every call is allowed\n",
                   a.config.c_str());
      return false;
    }
    out->set = PolicySet::load(out->cfg->policies, nullptr);
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return false;
  }
  return true;
}

// A configured caller by id (with its roles), else one with no roles.
Caller find_caller(const Config& cfg, const std::string& id, bool* known) {
  for (auto& c : configured_callers(cfg)) {
    if (c.id == id) {
      *known = true;
      return c;
    }
  }
  *known = false;
  return {id, {}};
}

std::string arg_errors(const Tool& tool, const json& args) {
  std::string out;
  for (auto& e : tool.input_validator->validate(args)) {
    out += (out.empty() ? "" : "; ") + std::string("arguments") + e.pointer + ": " + e.message;
  }
  return out;
}

int cmd_explain(const Args& a, const AdapterRegistry& reg) {
  if (!a.opts.count("--tool")) return usage_error("explain needs --tool NAME", kPolicyHelp);
  Loaded l;
  if (!load_all(a, reg, &l)) return 1;
  auto tool = l.cat->find_shared(a.opt("--tool"));
  if (!tool) {
    std::fprintf(stderr, "unknown tool: %s (see `toolgate tools -c %s`)\n", a.opt("--tool").c_str(),
                 a.config.c_str());
    return 1;
  }
  auto args = parse_bounded(a.opt("--args", "{}"), 64);
  if (!args || !args->is_object()) {
    std::fprintf(stderr, "--args must be a JSON object%s\n",
                 args ? "" : (": " + args.error().message).c_str());
    return 2;
  }
  bool known = true;
  Caller caller = a.opts.count("--caller") ? find_caller(*l.cfg, a.opt("--caller"), &known)
                                           : local_caller(l.cfg->server);
  json facts = per_call_facts(*tool, *args);
  Explanation e = l.set->explain({caller, *tool, *args, &facts});
  std::string invalid = arg_errors(*tool, *args);

  if (a.has("--json")) {
    json out = {{"decision", to_string(e.decision.effect)},
                {"rule", e.decision.rule_id},
                {"message", e.decision.message},
                {"matched", e.decision.matched},
                {"caller", {{"id", caller.id}, {"roles", caller.roles}, {"configured", known}}},
                {"rules", json::array()}};
    if (!invalid.empty()) out["invalid_arguments"] = invalid;
    for (auto& r : e.rules) {
      out["rules"].push_back({{"id", r.rule_id},
                              {"where", r.where},
                              {"effect", to_string(r.effect)},
                              {"in_scope", r.in_scope},
                              {"matched", r.matched},
                              {"failed", r.failed}});
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("tool:     %s (source %s)\n", tool->name.c_str(), tool->source.c_str());
  std::string roles;
  for (auto& r : caller.roles) roles += (roles.empty() ? "" : ", ") + r;
  std::printf("caller:   %s [%s]%s\n", caller.id.c_str(), roles.c_str(),
              known ? "" : " (not a configured caller: no roles)");
  if (!invalid.empty()) {
    std::printf(
        "note:     these arguments fail the tool's inputSchema, so a real call\n"
        "          would be rejected before the policy runs: %s\n",
        invalid.c_str());
  }
  std::printf("decision: %s", to_string(e.decision.effect));
  if (e.decision.rule_id == "default")
    std::printf(" (no rule matched: the default, from %s)\n", e.default_from.c_str());
  else
    std::printf(" (rule %s)\n", e.decision.rule_id.c_str());
  if (!e.decision.message.empty()) std::printf("message:  %s\n", e.decision.message.c_str());
  std::printf("\nmatched rules:\n");
  size_t out_of_scope = 0, matched = 0;
  for (auto& r : e.rules) {
    if (!r.matched) continue;
    ++matched;
    std::printf("  %-8s %-28s %s\n", to_string(r.effect), r.rule_id.c_str(), r.where.c_str());
  }
  if (!matched) std::printf("  (none)\n");
  std::printf("\nnear misses (cover this tool and caller, but a condition failed):\n");
  size_t near = 0;
  for (auto& r : e.rules) {
    if (r.matched) continue;
    if (!r.in_scope) {
      ++out_of_scope;
      continue;
    }
    ++near;
    std::printf("  %-8s %-28s %s\n           %s\n", to_string(r.effect), r.rule_id.c_str(),
                r.where.c_str(), r.failed.c_str());
  }
  if (!near) std::printf("  (none)\n");
  std::printf("\n%zu other rules do not cover this tool or caller.\n", out_of_scope);
  return 0;
}

struct CaseResult {
  bool ok;
  std::string detail;
};

CaseResult run_case(const YamlDoc& doc, const std::string& ptr, const Loaded& l) {
  const json& c = doc.value.at(json::json_pointer(ptr));
  auto bad = [&](const std::string& msg) { return CaseResult{false, msg}; };
  if (!c.is_object()) return bad("a case must be a mapping");
  for (auto& [k, v] : c.items()) {
    static const std::set<std::string> kKeys = {"name",   "tool", "args",   "caller",
                                                "expect", "rule", "repeat", "message"};
    if (!kKeys.count(k)) return bad("unknown key '" + k + "'");
  }
  if (!c.contains("tool") || !c["tool"].is_string()) return bad("'tool' (a string) is required");
  Effect want;
  if (!c.contains("expect") || !c["expect"].is_string() || !parse_effect(c["expect"], &want))
    return bad("'expect' must be allow, deny or approve");
  json args = c.value("args", json::object());
  if (!args.is_object()) return bad("'args' must be a mapping");
  auto tool = l.cat->find_shared(c["tool"]);
  if (!tool) return bad("unknown tool '" + c["tool"].get<std::string>() + "'");
  if (std::string inv = arg_errors(*tool, args); !inv.empty())
    return bad("arguments fail the tool's inputSchema (the call would never reach the policy): " +
               inv);

  Caller caller = local_caller(l.cfg->server);
  if (auto cl = c.find("caller"); cl != c.end()) {
    bool known;
    if (cl->is_string()) {
      caller = find_caller(*l.cfg, *cl, &known);
      // A typo must not quietly become a caller without roles.
      if (!known)
        return bad("unknown caller '" + cl->get<std::string>() +
                   "' (not in server.auth.api_keys or server.local_caller); write {id: " +
                   cl->get<std::string>() + ", roles: []} for a caller the config does not know");
    } else if (cl->is_object() && cl->contains("id") && (*cl)["id"].is_string()) {
      caller = {(*cl)["id"], {}};
      if (auto r = cl->find("roles"); r != cl->end()) {
        if (!r->is_array()) return bad("caller.roles must be a list");
        for (auto& x : *r) {
          if (!x.is_string()) return bad("caller.roles must be strings");
          caller.roles.push_back(x);
        }
      }
    } else {
      return bad("'caller' must be a caller id or {id, roles}");
    }
  }

  Decision d;
  if (c.contains("repeat") && !c["repeat"].is_number_integer())
    return bad("'repeat' must be a whole number");
  int repeat = c.value("repeat", 1);
  if (repeat < 1 || repeat > 100000) return bad("'repeat' must be 1..100000");
  json facts = per_call_facts(*tool, args);
  if (repeat == 1) {
    d = l.set->explain({caller, *tool, args, &facts}).decision;
  } else {
    // Rate limits count: a fresh policy (and fresh buckets) for this case.
    auto fresh = PolicySet::load(l.cfg->policies, nullptr);
    for (int i = 0; i < repeat; ++i) d = fresh->decide({caller, *tool, args, &facts});
  }
  std::string got = std::string(to_string(d.effect)) + " (rule " + d.rule_id + ")";
  if (d.effect != want) return bad("expected " + std::string(to_string(want)) + ", got " + got);
  if (auto r = c.find("rule"); r != c.end() && (!r->is_string() || *r != d.rule_id))
    return bad("expected rule " + dump_safe(*r) + ", got " + got);
  if (auto m = c.find("message");
      m != c.end() &&
      (!m->is_string() || d.message.find(m->get<std::string>()) == std::string::npos))
    return bad("expected the message to contain " + dump_safe(*m) + ", got \"" + d.message + "\"");
  return {true, got};
}

int cmd_test(const Args& a, const AdapterRegistry& reg) {
  if (a.positional.size() < 2) return usage_error("test needs a TESTS.yaml file", kPolicyHelp);
  Loaded l;
  if (!load_all(a, reg, &l)) return 1;
  size_t passed = 0, failed = 0;
  for (size_t f = 1; f < a.positional.size(); ++f) {
    YamlDoc doc;
    try {
      doc = load_yaml_file(a.positional[f]);
      if (!doc.value.is_object() || !doc.value.contains("cases") ||
          !doc.value["cases"].is_array()) {
        doc.fail("", "a policy test file is a mapping with a `cases` list");
      }
    } catch (const ConfigError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      return 1;
    }
    const json& cases = doc.value["cases"];
    for (size_t i = 0; i < cases.size(); ++i) {
      std::string ptr = "/cases/" + std::to_string(i);
      CaseResult r;
      try {
        r = run_case(doc, ptr, l);
      } catch (const std::exception& e) {
        r = {false, std::string("malformed case: ") + e.what()};
      }
      std::string name =
          cases[i].is_object() && cases[i].contains("name") && cases[i]["name"].is_string()
              ? cases[i]["name"].get<std::string>()
              : "case " + std::to_string(i + 1);
      if (r.ok) {
        ++passed;
        if (a.has("--json") == false) std::printf("ok    %s\n", name.c_str());
      } else {
        ++failed;
        std::printf("FAIL  %s: %s: %s\n", doc.where(ptr).c_str(), name.c_str(), r.detail.c_str());
      }
    }
  }
  std::printf("%zu passed, %zu failed\n", passed, failed);
  return failed ? 1 : 0;
}

int cmd_lint(const Args& a, const AdapterRegistry& reg) {
  Loaded l;
  if (!load_all(a, reg, &l)) return 1;
  auto issues = l.set->lint(*l.cat, configured_callers(*l.cfg));
  for (auto& w : issues) std::printf("warning: %s: %s\n", w.where.c_str(), w.message.c_str());
  std::printf("%zu rules in %zu files: 0 errors, %zu warnings\n", l.set->rule_count(),
              l.set->files().size(), issues.size());
  return 0;
}

}  // namespace

int cmd_policy(const Args& a, const AdapterRegistry& reg) {
  if (a.has("--help") || a.positional.empty()) {
    if (a.has("--help")) return std::printf("%s", kPolicyHelp), 0;
    return usage_error("policy needs a subcommand", kPolicyHelp);
  }
  if (a.config.empty()) return usage_error("policy needs -c CONFIG", kPolicyHelp);
  const std::string& sub = a.positional[0];
  if (sub != "test" && a.positional.size() > 1)
    return usage_error("unexpected argument: " + a.positional[1], kPolicyHelp);
  if (sub == "explain") return cmd_explain(a, reg);
  if (sub == "test") return cmd_test(a, reg);
  if (sub == "lint") return cmd_lint(a, reg);
  return usage_error("unknown policy subcommand: " + sub, kPolicyHelp);
}

}  // namespace toolgate
