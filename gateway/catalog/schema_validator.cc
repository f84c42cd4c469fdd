#include "gateway/catalog/schema_validator.h"

#include <re2/re2.h>

#include <algorithm>

// Without this valijson calls abort() on a schema it cannot read: a hostile
// schema (from an upstream server, or a spec) would kill the gateway.
#define VALIJSON_USE_EXCEPTIONS 1
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/constraint_builder.hpp>
#include <valijson/constraints/concrete_constraints.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace toolgate {
namespace {

constexpr const char* kPatternKey = "x-toolgate-re2-pattern";

// `pattern` evaluated with RE2, partial match as JSON Schema requires.
class Re2PatternConstraint : public valijson::constraints::PolyConstraint {
 public:
  explicit Re2PatternConstraint(std::shared_ptr<const RE2> re) : re_(std::move(re)) {}

  bool validate(const valijson::adapters::Adapter& target, const std::vector<std::string>& context,
                valijson::ValidationResults* results) const override {
    if (!target.isString()) return true;
    if (RE2::PartialMatch(target.getString(), *re_)) return true;
    if (results) {
      results->pushError(context, "does not match pattern '" + re_->pattern() + "'");
    }
    return false;
  }

 private:
  valijson::constraints::Constraint* cloneInto(void* ptr) const override {
    return new (ptr) Re2PatternConstraint(re_);
  }
  size_t sizeOf() const override { return sizeof(Re2PatternConstraint); }

  std::shared_ptr<const RE2> re_;
};

class Re2PatternBuilder : public valijson::ConstraintBuilder {
 public:
  valijson::constraints::Constraint* make(const valijson::adapters::Adapter& node) const override {
    if (!node.isString()) throw std::runtime_error("'pattern' must be a string");
    RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_shared<const RE2>(node.getString(), opts);
    if (!re->ok()) {
      throw std::runtime_error("bad 'pattern' '" + node.getString() + "': " + re->error());
    }
    return new Re2PatternConstraint(std::move(re));
  }
};

// Keywords whose values are data, not schemas: never rewritten.
bool is_data_keyword(const std::string& k) {
  return k == "enum" || k == "const" || k == "default" || k == "examples" || k == "example";
}

// Keywords whose value maps names to schemas: the names are data (a
// property may well be called "default"), the values are schemas.
bool is_schema_map_keyword(const std::string& k) {
  return k == "properties" || k == "patternProperties" || k == "definitions" || k == "$defs" ||
         k == "dependentSchemas" || k == "dependencies";
}

void rewrite(json& node, int depth);

void rewrite_schema_map(json& map, int depth) {
  if (!map.is_object()) return;
  for (auto it = map.begin(); it != map.end(); ++it) rewrite(it.value(), depth + 1);
}

// Rewrites a schema (or an array of schemas) so valijson never reaches
// std::regex (see the header). Walks by position: data is left alone.
void rewrite(json& node, int depth) {
  if (depth > 256) throw std::runtime_error("schema nested too deeply");
  if (node.is_array()) {
    for (auto& v : node) rewrite(v, depth + 1);
    return;
  }
  if (!node.is_object()) return;
  if (auto it = node.find("pattern"); it != node.end() && it->is_string()) {
    json p = *it;
    node.erase(it);
    node[kPatternKey] = std::move(p);
  }
  if (auto it = node.find("format"); it != node.end() && it->is_string()) node.erase(it);
  if (auto it = node.find("patternProperties"); it != node.end() && it->is_object()) {
    node.erase(it);
    node.erase("additionalProperties");
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (is_data_keyword(it.key())) continue;
    if (is_schema_map_keyword(it.key())) {
      rewrite_schema_map(it.value(), depth + 1);
    } else {
      // Schema-valued keywords (items, allOf, not, ...) and unknown ones,
      // which a $ref may still point into.
      rewrite(it.value(), depth + 1);
    }
  }
}

std::string pointer_from_context(const std::vector<std::string>& ctx) {
  // valijson contexts look like {"<root>", "[items]", "[0]"}.
  std::string out;
  for (size_t i = 1; i < ctx.size(); ++i) {
    std::string c = ctx[i];
    if (c.size() >= 2 && c.front() == '[' && c.back() == ']') c = c.substr(1, c.size() - 2);
    if (c.size() >= 2 && c.front() == '"' && c.back() == '"') c = c.substr(1, c.size() - 2);
    out += "/" + c;
  }
  return out;
}

}  // namespace

struct SchemaValidator::Impl {
  json rewritten;
  valijson::Schema schema;
};

SchemaValidator::~SchemaValidator() = default;

Result<std::shared_ptr<const SchemaValidator>> SchemaValidator::compile(const json& schema) {
  if (!schema.is_object() && !schema.is_boolean()) {
    return Error{rpc::kInvalidParams, "a schema must be an object or a boolean"};
  }
  auto v = std::shared_ptr<SchemaValidator>(new SchemaValidator());
  v->impl_ = std::make_unique<Impl>();
  try {
    v->impl_->rewritten = schema;
    rewrite(v->impl_->rewritten, 0);
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    parser.addConstraintBuilder(kPatternKey, new Re2PatternBuilder());  // parser takes ownership
    valijson::adapters::NlohmannJsonAdapter adapter(v->impl_->rewritten);
    parser.populateSchema(adapter, v->impl_->schema);
  } catch (const std::exception& e) {
    return Error{rpc::kInvalidParams, std::string("invalid JSON Schema: ") + e.what()};
  }
  return std::shared_ptr<const SchemaValidator>(std::move(v));
}

std::vector<SchemaError> SchemaValidator::validate(const json& instance) const {
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(instance);
  std::vector<SchemaError> out;
  try {
    if (validator.validate(impl_->schema, target, &results)) return out;
  } catch (const std::exception& e) {
    out.push_back({"", e.what()});
    return out;
  }
  // valijson reports a failure at every level ("Failed to validate item #0",
  // then the real reason); the deepest ones say what is actually wrong.
  std::vector<std::pair<size_t, SchemaError>> all;
  valijson::ValidationResults::Error err;
  while (results.popError(err)) {
    all.push_back({err.context.size(), {pointer_from_context(err.context), err.description}});
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (auto& [depth, e] : all) {
    if (out.size() >= 8) break;
    out.push_back(std::move(e));
  }
  if (out.empty()) out.push_back({"", "does not match the schema"});
  return out;
}

}  // namespace toolgate
