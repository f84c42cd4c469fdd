// Loading policy files: schema check, then each rule compiled, with every
// problem reported as file:line:col.
#include <map>

#include "gateway/catalog/schema_validator.h"
#include "gateway/config/config.h"
#include "gateway/config/yaml_json.h"
#include "gateway/policy/policy_rule.h"

namespace toolgate {
namespace {

const SchemaValidator& policy_validator() {
  static const std::shared_ptr<const SchemaValidator> v = [] {
    auto r = SchemaValidator::compile(json::parse(policy_schema_text()));
    if (!r) throw std::logic_error("built-in policy schema is invalid: " + r.error().message);
    return *r;
  }();
  return *v;
}

const std::map<std::string, Op>& operators() {
  static const std::map<std::string, Op> ops = {{"equals", Op::equals},
                                                {"in", Op::in},
                                                {"not_in", Op::not_in},
                                                {"matches", Op::matches},
                                                {"not_matches", Op::not_matches},
                                                {"prefix", Op::prefix},
                                                {"lt", Op::lt},
                                                {"lte", Op::lte},
                                                {"gt", Op::gt},
                                                {"gte", Op::gte},
                                                {"exists", Op::exists},
                                                {"len_lte", Op::len_lte}};
  return ops;
}

bool is_scalar(const json& v) { return v.is_primitive(); }

// "a.b[0].c" -> {"a", "b", "0", "c"}. Empty on a malformed path.
std::vector<std::string> split_path(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.') {
      if (cur.empty() && (out.empty() || s[i - 1] != ']')) return {};
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (c == '[') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      auto close = s.find(']', i);
      if (close == std::string::npos || close == i + 1) return {};
      std::string idx = s.substr(i + 1, close - i - 1);
      if (idx.find_first_not_of("0123456789") != std::string::npos) return {};
      out.push_back(idx);
      i = close;
    } else {
      cur += c;
    }
  }
  if (!cur.empty())
    out.push_back(cur);
  else if (s.empty() || s.back() == '.')
    return {};
  return out;
}

Condition parse_condition(const YamlDoc& doc, const std::string& ptr, const std::string& key,
                          const json& value) {
  Condition c;
  c.key = key;
  c.where = doc.where_key(ptr);
  auto fail = [&](const std::string& msg) { throw ConfigError(c.where + ": " + msg); };
  if (key.rfind("args.", 0) == 0) {
    c.field = Field::args;
    c.path = split_path(key.substr(5));
    if (c.path.empty())
      fail("malformed argument path '" + key + "' (expected args.name.sub or args.list[0])");
  } else if (key.rfind("annotations.", 0) == 0 && key.size() > 12) {
    c.field = Field::annotation;
    c.path = {key.substr(12)};
  } else if (key == "http.method") {
    c.field = Field::http_method;
  } else if (key == "http.path") {
    c.field = Field::http_path;
  } else if (key == "graphql.operation") {
    c.field = Field::graphql_operation;
  } else if (key == "source") {
    c.field = Field::source;
  } else if (key == "caller.id") {
    c.field = Field::caller_id;
  } else if (key == "caller.roles") {
    c.field = Field::caller_roles;
  } else {
    fail("unknown condition key '" + key +
         "' (expected args.<path>, http.method, http.path, graphql.operation, "
         "annotations.<hint>, source, caller.id or caller.roles)");
  }

  auto add = [&](Op op, const json& operand, const std::string& at) {
    Operand o{op, operand, nullptr};
    auto bad = [&](const std::string& msg) { throw ConfigError(doc.where(at) + ": " + msg); };
    switch (op) {
      case Op::equals:
        if (!is_scalar(operand)) bad("'equals' needs a string, number, boolean or null");
        break;
      case Op::in:
      case Op::not_in:
        if (!operand.is_array()) bad("'in' and 'not_in' need a list");
        for (auto& v : operand)
          if (!is_scalar(v)) bad("list entries must be strings, numbers, booleans or null");
        break;
      case Op::matches:
      case Op::not_matches: {
        if (!operand.is_string())
          bad("'matches' and 'not_matches' need a regular expression string");
        RE2::Options opts;
        opts.set_log_errors(false);
        opts.set_max_mem(8 << 20);
        auto re = std::make_shared<RE2>(operand.get<std::string>(), opts);
        if (!re->ok()) bad("bad regular expression (RE2 syntax): " + re->error());
        o.re = re;
        break;
      }
      case Op::prefix:
        if (!operand.is_string()) bad("'prefix' needs a string");
        break;
      case Op::lt:
      case Op::lte:
      case Op::gt:
      case Op::gte:
        if (!operand.is_number()) bad("'lt', 'lte', 'gt' and 'gte' need a number");
        break;
      case Op::exists:
        if (!operand.is_boolean()) bad("'exists' needs true or false");
        break;
      case Op::len_lte:
        if (!operand.is_number_unsigned() && !(operand.is_number_integer() && operand >= 0))
          bad("'len_lte' needs a non-negative integer");
        break;
    }
    c.ops.push_back(std::move(o));
  };

  if (value.is_array()) {
    add(Op::in, value, ptr);
  } else if (value.is_object()) {
    if (value.empty()) fail("empty condition: give a value, a list or operators");
    for (auto& [name, operand] : value.items()) {
      auto it = operators().find(name);
      std::string at = ptr + "/" + pointer_escape(name);
      if (it == operators().end()) {
        throw ConfigError(doc.where_key(at) + ": unknown operator '" + name +
                          "' (expected equals, in, not_in, matches, not_matches, prefix, lt, "
                          "lte, gt, gte, exists or len_lte)");
      }
      add(it->second, operand, at);
    }
  } else {
    add(Op::equals, value, ptr);
  }
  return c;
}

uint64_t parse_duration_ms(const std::string& s) {
  size_t digits = s.find_first_not_of("0123456789");
  uint64_t n = std::stoull(s.substr(0, digits));
  std::string unit = s.substr(digits);
  uint64_t mult = unit == "ms"  ? 1
                  : unit == "s" ? 1000
                  : unit == "m" ? 60000
                  : unit == "h" ? 3600000
                                : 86400000;
  return n * mult;
}

std::vector<std::string> strings_at(const YamlDoc& doc, const json& rule, const char* key,
                                    const std::string& ptr, std::vector<std::string>* where) {
  std::vector<std::string> out;
  if (auto it = rule.find(key); it != rule.end()) {
    for (size_t i = 0; i < it->size(); ++i) {
      out.push_back((*it)[i].get<std::string>());
      where->push_back(doc.where(ptr + "/" + key + "/" + std::to_string(i)));
    }
  }
  return out;
}

}  // namespace

const char* to_string(Effect e) {
  switch (e) {
    case Effect::allow:
      return "allow";
    case Effect::approve:
      return "approve";
    case Effect::deny:
      return "deny";
  }
  return "deny";
}

bool parse_effect(const std::string& s, Effect* out) {
  if (s == "allow")
    *out = Effect::allow;
  else if (s == "approve")
    *out = Effect::approve;
  else if (s == "deny")
    *out = Effect::deny;
  else
    return false;
  return true;
}

PolicySet::~PolicySet() = default;

std::shared_ptr<const PolicySet> PolicySet::load(const std::vector<std::string>& files,
                                                 std::shared_ptr<RateStore> store) {
  std::shared_ptr<PolicySet> set(new PolicySet());
  set->store_ = store ? std::move(store) : std::make_shared<MemoryRateStore>();
  set->files_ = files;
  set->default_from_ = "(no file sets one, so deny)";
  bool have_default = false;
  std::map<std::string, std::string> seen_ids;  // id -> where
  for (const std::string& file : files) {
    YamlDoc doc = load_yaml_file(file);
    if (doc.value.is_null()) doc.fail("", "the policy file is empty");
    check_document(doc, policy_validator());
    const json& root = doc.value;
    // Several files: the strictest default given applies, so no file can
    // weaken another's. A file without one has no say; with none at all
    // the default is deny.
    if (root.contains("default")) {
      Effect def = Effect::deny;
      parse_effect(root["default"], &def);
      if (!have_default || def > set->default_) {
        set->default_ = def;
        set->default_from_ = file;
        have_default = true;
      }
    }
    const json& rules = root.at("rules");
    for (size_t i = 0; i < rules.size(); ++i) {
      const json& r = rules[i];
      std::string ptr = "/rules/" + std::to_string(i);
      auto rule = std::make_unique<PolicyRule>();
      rule->id = r.at("id");
      rule->file = file;
      rule->where = doc.where(ptr);
      if (auto prev = seen_ids.find(rule->id); prev != seen_ids.end()) {
        doc.fail(ptr + "/id",
                 "duplicate rule id '" + rule->id + "' (first defined at " + prev->second + ")");
      }
      seen_ids[rule->id] = doc.where(ptr + "/id");
      parse_effect(r.at("effect"), &rule->effect);
      rule->tools = strings_at(doc, r, "tools", ptr, &rule->tools_where);
      rule->sources = strings_at(doc, r, "sources", ptr, &rule->sources_where);
      rule->callers = strings_at(doc, r, "callers", ptr, &rule->callers_where);
      rule->message = r.value("message", "");
      if (auto w = r.find("when"); w != r.end()) {
        for (auto& [key, value] : w->items()) {
          rule->when.push_back(
              parse_condition(doc, ptr + "/when/" + pointer_escape(key), key, value));
        }
      }
      if (auto l = r.find("limit"); l != r.end()) {
        rule->limit.calls = l->at("calls");
        rule->limit.per = l->at("per");
        rule->limit.per_ms = parse_duration_ms(rule->limit.per);
        rule->limit.by = l->value("by", "caller");
        if (rule->limit.per_ms == 0)
          doc.fail(ptr + "/limit/per", "the period must be longer than 0");
        if (rule->effect == Effect::deny)
          doc.fail(ptr + "/limit", "a deny rule cannot have a limit (it allows nothing to count)");
      }
      set->rules_.push_back(std::move(rule));
    }
  }
  return set;
}

}  // namespace toolgate
