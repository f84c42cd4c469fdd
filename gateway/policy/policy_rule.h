// Internal to the policy engine (policy_load.cc, policy_eval.cc,
// policy_lint.cc): one loaded rule and its compiled conditions.
//
//   if (rule_covers_tool(rule, tool) && rule_covers_caller(rule, caller))
//     Tri t = eval_condition(cond, facts, args, &why);   // yes, no, or cannot tell
#pragma once

#include <re2/re2.h>

#include <memory>
#include <string>
#include <vector>

#include "gateway/policy/policy.h"

namespace toolgate {

// Where a condition looks.
enum class Field {
  args,
  http_method,
  http_path,
  graphql_operation,
  annotation,
  source,
  caller_id,
  caller_roles
};

enum class Op {
  equals,
  in,
  not_in,
  matches,
  not_matches,
  prefix,
  lt,
  lte,
  gt,
  gte,
  exists,
  len_lte
};

struct Operand {
  Op op;
  json value;                     // the operand as written
  std::shared_ptr<const RE2> re;  // matches / not_matches
};

struct Condition {
  std::string key;    // as written, e.g. "args.sql"
  std::string where;  // file:line:col of the key
  Field field;
  std::vector<std::string> path;  // args: the path inside the arguments; annotation: its name
  std::vector<Operand> ops;       // all must hold
};

struct RateLimit {
  uint64_t calls = 0;  // 0: no limit
  uint64_t per_ms = 0;
  std::string per;  // as written, e.g. "1h"
  std::string by = "caller";
};

struct PolicyRule {
  std::string id;
  std::string file;
  std::string where;  // file:line:col of the rule
  Effect effect = Effect::deny;
  std::vector<std::string> tools;    // globs; empty: every tool
  std::vector<std::string> sources;  // globs; empty: every source
  std::vector<std::string> callers;  // id globs or role:NAME; empty: everyone
  std::vector<Condition> when;
  std::string message;
  RateLimit limit;
  // Marks of list entries, for lint messages.
  std::vector<std::string> tools_where;
  std::vector<std::string> callers_where;
  std::vector<std::string> sources_where;
};

// Three-valued result of a condition: `mismatch` means the value was of a
// kind the operator cannot judge; the rule's effect decides what it means.
enum class Tri { yes, no, mismatch };

bool rule_covers_tool(const PolicyRule& r, const Tool& t);
bool rule_covers_caller(const PolicyRule& r, const Caller& c);
// The facts conditions other than args.* look at.
json static_facts(const Caller& caller, const Tool& tool);
// Evaluates one condition; `why` gets a reason when it does not hold.
Tri eval_condition(const Condition& c, const json& facts, const json& args, std::string* why);
// A condition result as the rule sees it (mismatch fails safe).
bool holds_for(Effect effect, Tri t);

}  // namespace toolgate
