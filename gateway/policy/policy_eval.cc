// Evaluating a PolicySet: scope, conditions, effects, rate limits.
#include <chrono>
#include <ctime>
#include <optional>

#include "gateway/catalog/adapter.h"
#include "gateway/catalog/naming.h"
#include "gateway/policy/policy_rule.h"

namespace toolgate {
namespace {

uint64_t now_ms() {
  return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}

std::string utc_time(uint64_t ms) {
  time_t t = time_t(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string excerpt(const json& v) {
  std::string s = dump_safe(v);
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

size_t utf8_length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

const json* lookup(const json& root, const std::vector<std::string>& path) {
  const json* cur = &root;
  for (const std::string& seg : path) {
    if (cur->is_object()) {
      auto it = cur->find(seg);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array()) {
      if (seg.empty() || seg.find_first_not_of("0123456789") != std::string::npos ||
          seg.size() > 9) {
        return nullptr;
      }
      size_t i = std::stoul(seg);
      if (i >= cur->size()) return nullptr;
      cur = &(*cur)[i];
    } else {
      return nullptr;
    }
  }
  return cur;
}

// JSON kinds for comparisons: a number never equals a string, and "1"
// against `equals: 1` is a value the rule cannot judge, not a plain miss.
int kind(const json& v) {
  if (v.is_number()) return 1;
  if (v.is_string()) return 2;
  if (v.is_boolean()) return 3;
  return 0;  // null
}

// One operator on one scalar value.
Tri eval_scalar(const Operand& o, const json& v) {
  switch (o.op) {
    case Op::equals:
      if (kind(v) != kind(o.value)) return Tri::mismatch;
      return v == o.value ? Tri::yes : Tri::no;
    case Op::in:
    case Op::not_in: {
      bool found = false, same_kind = o.value.empty();
      for (auto& x : o.value) {
        found = found || v == x;
        same_kind = same_kind || kind(v) == kind(x);
      }
      if (!same_kind) return Tri::mismatch;
      return found == (o.op == Op::in) ? Tri::yes : Tri::no;
    }
    case Op::matches:
    case Op::not_matches: {
      if (!v.is_string()) return Tri::mismatch;
      bool m = RE2::PartialMatch(v.get_ref<const std::string&>(), *o.re);
      return m == (o.op == Op::matches) ? Tri::yes : Tri::no;
    }
    case Op::prefix:
      if (!v.is_string()) return Tri::mismatch;
      return v.get_ref<const std::string&>().rfind(o.value.get_ref<const std::string&>(), 0) == 0
                 ? Tri::yes
                 : Tri::no;
    case Op::lt:
    case Op::lte:
    case Op::gt:
    case Op::gte: {
      if (!v.is_number()) return Tri::mismatch;
      double a = v.get<double>(), b = o.value.get<double>();
      bool r = o.op == Op::lt ? a < b : o.op == Op::lte ? a <= b : o.op == Op::gt ? a > b : a >= b;
      return r ? Tri::yes : Tri::no;
    }
    case Op::len_lte:
      if (!v.is_string()) return Tri::mismatch;
      return utf8_length(v.get_ref<const std::string&>()) <= o.value.get<uint64_t>() ? Tri::yes
                                                                                     : Tri::no;
    case Op::exists:
      return o.value.get<bool>() ? Tri::yes : Tri::no;
  }
  return Tri::mismatch;
}

// caller.roles is a list the gateway itself made: equality-like operators
// ask whether any role satisfies them, negative ones whether none does.
Tri eval_roles(const Operand& o, const json& roles) {
  if (o.op == Op::len_lte) return roles.size() <= o.value.get<uint64_t>() ? Tri::yes : Tri::no;
  if (o.op == Op::exists) return o.value.get<bool>() ? Tri::yes : Tri::no;
  if (o.op == Op::not_in || o.op == Op::not_matches) {
    Operand positive = o;
    positive.op = o.op == Op::not_in ? Op::in : Op::matches;
    for (auto& r : roles)
      if (eval_scalar(positive, r) == Tri::yes) return Tri::no;
    return Tri::yes;
  }
  if (o.op == Op::lt || o.op == Op::lte || o.op == Op::gt || o.op == Op::gte) return Tri::mismatch;
  for (auto& r : roles)
    if (eval_scalar(o, r) == Tri::yes) return Tri::yes;
  return Tri::no;
}

const char* op_name(Op op) {
  switch (op) {
    case Op::equals:
      return "equals";
    case Op::in:
      return "in";
    case Op::not_in:
      return "not_in";
    case Op::matches:
      return "matches";
    case Op::not_matches:
      return "not_matches";
    case Op::prefix:
      return "prefix";
    case Op::lt:
      return "lt";
    case Op::lte:
      return "lte";
    case Op::gt:
      return "gt";
    case Op::gte:
      return "gte";
    case Op::exists:
      return "exists";
    case Op::len_lte:
      return "len_lte";
  }
  return "?";
}

}  // namespace

bool rule_covers_tool(const PolicyRule& r, const Tool& t) {
  bool tool_ok = r.tools.empty();
  for (auto& g : r.tools) tool_ok = tool_ok || glob_match(g, t.name);
  bool source_ok = r.sources.empty();
  for (auto& g : r.sources) source_ok = source_ok || glob_match(g, t.source);
  return tool_ok && source_ok;
}

bool rule_covers_caller(const PolicyRule& r, const Caller& c) {
  if (r.callers.empty()) return true;
  for (auto& entry : r.callers) {
    if (entry.rfind("role:", 0) == 0) {
      for (auto& role : c.roles)
        if (glob_match(entry.substr(5), role)) return true;
    } else if (glob_match(entry, c.id)) {
      return true;
    }
  }
  return false;
}

// `call_facts` null: facts that do not depend on the call (denies_always()).
json static_facts(const Caller& caller, const Tool& tool, const json* call_facts) {
  // MCP's defaults for absent hints: a tool is assumed to write, destroy,
  // not be idempotent and reach the outside world unless it says otherwise.
  // A hint that is not a boolean counts as absent.
  json ann = tool.annotations.is_object() ? tool.annotations : json::object();
  auto hint = [&](const char* k) { return ann.contains(k) && ann[k].is_boolean(); };
  if (!hint("readOnlyHint")) ann["readOnlyHint"] = false;
  if (!hint("destructiveHint")) ann["destructiveHint"] = !(ann["readOnlyHint"] == true);
  if (!hint("idempotentHint")) ann["idempotentHint"] = false;
  if (!hint("openWorldHint")) ann["openWorldHint"] = true;
  json f = {{"annotations", ann},
            {"source", tool.source},
            {"caller", {{"id", caller.id}, {"roles", caller.roles}}}};
  if (tool.facts.is_object()) {
    if (auto h = tool.facts.find("http"); h != tool.facts.end()) f["http"] = *h;
    if (auto g = tool.facts.find("graphql"); g != tool.facts.end()) f["graphql"] = *g;
  }
  if (call_facts && call_facts->is_object())
    for (auto& [k, v] : call_facts->items())
      if (k == "http" || k == "graphql") f[k] = v;
  return f;
}

Tri eval_condition(const Condition& c, const json& facts, const json& args, std::string* why) {
  const json* v = nullptr;
  switch (c.field) {
    case Field::args:
      v = lookup(args, c.path);
      break;
    case Field::http_method:
      v = lookup(facts, {"http", "method"});
      break;
    case Field::http_path:
      v = lookup(facts, {"http", "path"});
      break;
    case Field::graphql_operation:
      v = lookup(facts, {"graphql", "operation"});
      break;
    case Field::annotation:
      v = lookup(facts, {"annotations", c.path[0]});
      break;
    case Field::source:
      v = lookup(facts, {"source"});
      break;
    case Field::caller_id:
      v = lookup(facts, {"caller", "id"});
      break;
    case Field::caller_roles:
      v = lookup(facts, {"caller", "roles"});
      break;
  }
  Tri result = Tri::yes;
  for (const Operand& o : c.ops) {
    Tri t;
    if (!v) {
      // Absent: only `exists: false` holds. A negative test on an absent
      // argument cannot be judged (it fails safe), so leaving an argument
      // out never dodges a deny.
      bool negative = o.op == Op::not_in || o.op == Op::not_matches;
      t = o.op == Op::exists && !o.value.get<bool>() ? Tri::yes
          : negative && c.field == Field::args       ? Tri::mismatch
                                                     : Tri::no;
    } else if (o.op == Op::exists) {
      t = o.value.get<bool>() ? Tri::yes : Tri::no;
    } else if (c.field == Field::caller_roles) {
      t = eval_roles(o, *v);
    } else if (o.op == Op::len_lte && v->is_array()) {
      t = v->size() <= o.value.get<uint64_t>() ? Tri::yes : Tri::no;
    } else if (!v->is_primitive()) {
      t = Tri::mismatch;  // a list or object where a scalar was expected
    } else {
      t = eval_scalar(o, *v);
    }
    if (t != Tri::yes && why && why->empty()) {
      std::string seen = v ? excerpt(*v) : "absent";
      *why = c.key + " " + op_name(o.op) + " " + excerpt(o.value) + ": " +
             (t == Tri::mismatch ? "cannot apply to " + seen : "value is " + seen);
    }
    if (t == Tri::mismatch)
      result = Tri::mismatch;
    else if (t == Tri::no && result == Tri::yes)
      result = Tri::no;
  }
  return result;
}

bool holds_for(Effect effect, Tri t) {
  if (t == Tri::yes) return true;
  if (t == Tri::no) return false;
  return effect != Effect::allow;  // a value the rule cannot judge never helps a call through
}

std::string Decision::text() const {
  if (effect == Effect::allow) return "";
  std::string who = rule_id == "default"
                        ? std::string("the policy default (no rule allows this call)")
                        : "policy rule '" + rule_id + "'";
  std::string t = (effect == Effect::deny ? "Denied by " : "Needs approval by ") + who;
  if (!message.empty()) t += ": " + message;
  return t;
}

Decision PolicySet::evaluate(const CallContext& call, std::vector<RuleTrace>* trace,
                             bool take) const {
  // Built on first use: most rules look only at arguments, or at nothing.
  std::optional<json> facts_store;
  auto facts = [&]() -> const json& {
    if (!facts_store) facts_store = static_facts(call.caller, call.tool, call.call_facts);
    return *facts_store;
  };
  static const json kNoFacts = json::object();
  Decision d;
  const PolicyRule* decider = nullptr;
  std::vector<const PolicyRule*> limited;
  for (auto& rp : rules_) {
    const PolicyRule& r = *rp;
    RuleTrace t{
        trace ? r.id : std::string(), trace ? r.where : std::string(), r.effect, false, false, ""};
    t.in_scope = rule_covers_tool(r, call.tool) && rule_covers_caller(r, call.caller);
    if (t.in_scope) {
      t.matched = true;
      for (const Condition& c : r.when) {
        // Reasons are only worded for explain; decide() skips the strings.
        std::string why;
        const json& f = c.field == Field::args ? kNoFacts : facts();
        if (!holds_for(r.effect, eval_condition(c, f, call.args, trace ? &why : nullptr))) {
          t.matched = false;
          if (trace) t.failed = why.empty() ? c.key + " did not hold" : why;
          break;
        }
      }
    }
    if (t.matched) {
      d.matched.push_back(r.id);
      if (!decider || r.effect > decider->effect) decider = &r;
      if (r.limit.calls) limited.push_back(&r);
    }
    if (trace) trace->push_back(std::move(t));
  }
  if (decider) {
    d.effect = decider->effect;
    d.rule_id = decider->id;
    d.message = decider->message;
  } else {
    d.effect = default_;
    d.rule_id = "default";
  }
  if (d.effect == Effect::deny || limited.empty() || !take) return d;

  std::vector<Bucket> buckets;
  for (const PolicyRule* r : limited) {
    std::string by = r->limit.by == "caller" ? "caller=" + call.caller.id
                     : r->limit.by == "tool" ? "tool=" + call.tool.name
                                             : "everyone";
    buckets.push_back({r->id + "|" + by, r->limit.calls, r->limit.per_ms});
  }
  size_t empty = 0;
  uint64_t wait = 0, now = now_ms();
  if (store_->take(buckets, now, &empty, &wait)) return d;
  const PolicyRule* r = limited[empty];
  d.effect = Effect::deny;
  d.rule_id = r->id;
  d.limited = true;
  d.message = "rate limit of " + std::to_string(r->limit.calls) + " calls per " + r->limit.per +
              (r->limit.by == "everyone" ? "" : " per " + r->limit.by) + " reached; it resets at " +
              utc_time(now + wait) + " (in " + std::to_string((wait + 999) / 1000) + " s)";
  if (!r->message.empty()) d.message = r->message + " (" + d.message + ")";
  return d;
}

Decision PolicySet::decide(const CallContext& call) const { return evaluate(call, nullptr, true); }

Decision PolicySet::peek(const CallContext& call) const { return evaluate(call, nullptr, false); }

Explanation PolicySet::explain(const CallContext& call) const {
  Explanation e;
  e.decision = evaluate(call, &e.rules, false);
  e.default_from = default_from_;
  return e;
}

bool PolicySet::denies_always(const Caller& caller, const Tool& tool) const {
  json facts = static_facts(caller, tool, nullptr);
  bool per_call = tool.facts.is_object() && tool.facts.value("per_call", false);
  bool may_pass = default_ != Effect::deny;
  for (auto& rp : rules_) {
    const PolicyRule& r = *rp;
    if (!rule_covers_tool(r, tool) || !rule_covers_caller(r, caller)) continue;
    bool possible = true, certain = true;
    for (const Condition& c : r.when) {
      bool from_call = per_call && (c.field == Field::http_method || c.field == Field::http_path ||
                                    c.field == Field::graphql_operation);
      if (c.field == Field::args || from_call) {
        certain = false;  // depends on the arguments: it may or may not match
        continue;
      }
      if (!holds_for(r.effect, eval_condition(c, facts, json::object(), nullptr))) {
        possible = false;
        break;
      }
    }
    if (!possible) continue;
    if (r.effect == Effect::deny && certain) return true;
    if (r.effect != Effect::deny) may_pass = true;
  }
  return !may_pass;
}

}  // namespace toolgate
