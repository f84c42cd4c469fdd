// Policy lint: what loads fine but is probably not what the author meant.
// (Errors such as unknown keys and bad regexes stop PolicySet::load itself.)
#include <set>

#include "gateway/catalog/naming.h"
#include "gateway/policy/policy_rule.h"

namespace toolgate {
namespace {

std::set<std::string> tools_covered(const PolicyRule& r, const Catalog& cat) {
  std::set<std::string> out;
  for (auto& t : cat.tools())
    if (rule_covers_tool(r, *t)) out.insert(t->name);
  return out;
}

bool includes(const std::set<std::string>& big, const std::set<std::string>& small) {
  for (auto& s : small)
    if (!big.count(s)) return false;
  return true;
}

// Does `s` apply to every caller `r` applies to? Conservatively: s has no
// caller restriction, or restricts to a superset of r's entries.
bool callers_cover(const PolicyRule& s, const PolicyRule& r) {
  if (s.callers.empty()) return true;
  if (r.callers.empty()) return false;
  std::set<std::string> mine(s.callers.begin(), s.callers.end());
  for (auto& c : r.callers)
    if (!mine.count(c) && !mine.count("*")) return false;
  return true;
}

}  // namespace

std::vector<LintIssue> PolicySet::lint(const Catalog& catalog,
                                       const std::vector<Caller>& callers) const {
  std::vector<LintIssue> out;
  auto warn = [&](const std::string& where, const std::string& msg) {
    out.push_back({false, where, msg});
  };
  std::set<std::string> sources, roles, ids;
  for (auto& t : catalog.tools()) sources.insert(t->source);
  for (auto& c : callers) {
    ids.insert(c.id);
    roles.insert(c.roles.begin(), c.roles.end());
  }

  std::vector<std::set<std::string>> covered;
  for (auto& rp : rules_) covered.push_back(tools_covered(*rp, catalog));

  for (size_t i = 0; i < rules_.size(); ++i) {
    const PolicyRule& r = *rules_[i];
    for (size_t k = 0; k < r.tools.size(); ++k) {
      bool any = false;
      for (auto& t : catalog.tools()) any = any || glob_match(r.tools[k], t->name);
      if (!any) {
        warn(r.tools_where[k],
             "rule '" + r.id + "': tools glob '" + r.tools[k] + "' matches no tool in the catalog");
      }
    }
    for (size_t k = 0; k < r.sources.size(); ++k) {
      bool any = false;
      for (auto& s : sources) any = any || glob_match(r.sources[k], s);
      if (!any) {
        warn(r.sources_where[k],
             "rule '" + r.id + "': sources entry '" + r.sources[k] + "' matches no source");
      }
    }
    for (size_t k = 0; k < r.callers.size(); ++k) {
      const std::string& entry = r.callers[k];
      bool role = entry.rfind("role:", 0) == 0;
      bool any = false;
      for (auto& v : role ? roles : ids) any = any || glob_match(role ? entry.substr(5) : entry, v);
      if (!any) {
        warn(r.callers_where[k], "rule '" + r.id + "': callers entry '" + entry +
                                     "' matches no configured caller (server.auth.api_keys, "
                                     "server.local_caller)");
      }
    }
    if (!r.tools.empty() && covered[i].empty()) continue;  // already reported

    for (size_t j = 0; j < rules_.size(); ++j) {
      const PolicyRule& s = *rules_[j];
      if (i == j || !s.when.empty() || s.limit.calls || !callers_cover(s, r)) continue;
      if (covered[i].empty() || !includes(covered[j], covered[i])) continue;
      bool shadowed = false;
      if (s.effect > r.effect) {
        // A stronger unconditional rule wins wherever r matches. r's limit
        // still counts (and can deny) unless s is a deny.
        shadowed = !r.limit.calls || s.effect == Effect::deny;
      } else if (s.effect == r.effect && j < i) {
        shadowed = !r.limit.calls;  // same effect, decided by the earlier rule
      }
      if (shadowed) {
        warn(r.where, "rule '" + r.id + "' is fully shadowed by rule '" + s.id + "' (" + s.where +
                          "), which covers every call it covers with " +
                          (s.effect == r.effect ? "the same" : "a stronger") +
                          " effect, so it never changes a decision");
        break;
      }
    }
  }
  return out;
}

}  // namespace toolgate
