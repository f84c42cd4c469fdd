// The policy: every tools/call is decided here after argument validation and
// before anything leaves the gateway. Policy files (docs/policy.md,
// schemas/policy.schema.json) are loaded into an immutable PolicySet; a
// reload builds a new one and swaps it in.
//
//   auto set = PolicySet::load(cfg->policies, rate_store);   // throws ConfigError
//   json facts = per_call_facts(tool, args);
//   Decision d = set->decide({caller, tool, args, &facts});   // takes rate-limit tokens
//   if (d.effect == Effect::deny) return tool_error(d.text());
//   Explanation e = set->explain({caller, tool, args});       // no side effects
//
// Semantics: every matching rule counts; deny beats approve beats allow;
// when no rule matches, the strictest `default` of all files applies. A
// condition that cannot be evaluated on the value it finds (a regex on a
// number, `lt` on a string, an array where a scalar was expected) fails
// safe: it makes deny and approve rules match, and allow rules not match.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gateway/catalog/catalog.h"
#include "gateway/identity/caller.h"
#include "gateway/policy/rate_limit.h"

namespace re2 {
class RE2;
}

namespace toolgate {

// Ordered by strength: a stronger effect wins.
enum class Effect { allow = 0, approve = 1, deny = 2 };
const char* to_string(Effect e);
bool parse_effect(const std::string& s, Effect* out);

struct CallContext {
  const Caller& caller;
  const Tool& tool;
  const json& args;
  // What the tool's translator works out from these arguments for tools
  // whose facts say "per_call" (per_call_facts in adapter.h); null: none.
  // A condition on a fact that is missing fails safe.
  const json* call_facts = nullptr;
};

struct Decision {
  Effect effect = Effect::allow;
  std::string rule_id;               // the deciding rule; "default" when none matched
  std::string message;               // the deciding rule's message (shown to the model)
  std::vector<std::string> matched;  // ids of every rule that matched
  bool limited = false;              // a rule's rate limit was exhausted

  // "Denied by policy rule 'x': message" and the like, for the model.
  std::string text() const;
};

// Why each rule did or did not match, for `toolgate policy explain`.
struct RuleTrace {
  std::string rule_id;
  std::string where;  // file:line:col of the rule
  Effect effect;
  bool in_scope;  // its tools/sources/callers cover this call
  bool matched;
  std::string failed;  // in scope but not matched: the condition that failed, and why
};
struct Explanation {
  Decision decision;
  std::string default_from;  // file whose default applies
  std::vector<RuleTrace> rules;
};

struct LintIssue {
  bool error;
  std::string where;  // file:line:col
  std::string message;
};

class Policy {
 public:
  virtual ~Policy() = default;
  // Decides a call, taking rate-limit tokens when the call may go ahead.
  virtual Decision decide(const CallContext& call) const = 0;
  // The same decision without taking rate-limit tokens.
  virtual Decision peek(const CallContext& call) const = 0;
  // True when every possible call of `tool` by `caller` is denied, whatever
  // the arguments: such tools are hidden from the caller's tools/list.
  virtual bool denies_always(const Caller& caller, const Tool& tool) const = 0;
  // False for the built-in allow-all policy (no `policies` configured).
  virtual bool configured() const = 0;
};

class AllowAllPolicy : public Policy {
 public:
  Decision decide(const CallContext&) const override {
    return {Effect::allow, "allow-all", "", {}, false};
  }
  Decision peek(const CallContext& c) const override { return decide(c); }
  bool denies_always(const Caller&, const Tool&) const override { return false; }
  bool configured() const override { return false; }
};

struct PolicyRule;

class PolicySet : public Policy {
 public:
  // Loads, checks and merges policy files, in order. Throws ConfigError as
  // "file:line:col: message" on unknown keys, bad regexes, unknown effects,
  // unknown condition keys or operators, and duplicate rule ids.
  static std::shared_ptr<const PolicySet> load(const std::vector<std::string>& files,
                                               std::shared_ptr<RateStore> store);
  ~PolicySet() override;

  Decision decide(const CallContext& call) const override;
  Decision peek(const CallContext& call) const override;
  bool denies_always(const Caller& caller, const Tool& tool) const override;
  bool configured() const override { return true; }

  Explanation explain(const CallContext& call) const;
  // Warnings against a catalog and the configured callers' roles: rules
  // whose globs match no tool, unknown sources and roles, shadowed rules.
  std::vector<LintIssue> lint(const Catalog& catalog, const std::vector<Caller>& callers) const;

  const std::vector<std::string>& files() const { return files_; }
  size_t rule_count() const { return rules_.size(); }

 private:
  PolicySet() = default;
  Decision evaluate(const CallContext& call, std::vector<RuleTrace>* trace, bool take) const;

  std::vector<std::string> files_;
  std::vector<std::unique_ptr<PolicyRule>> rules_;
  Effect default_ = Effect::deny;
  std::string default_from_;
  std::shared_ptr<RateStore> store_;
};

}  // namespace toolgate
