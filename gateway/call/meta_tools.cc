#include "gateway/call/meta_tools.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "common/text.h"
#include "gateway/config/config.h"
#include "gateway/policy/policy.h"

namespace toolgate {
namespace {

std::vector<std::string> words(const std::string& q) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : ascii_lower(q)) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      cur += c;
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

size_t count_in(const std::string& hay, const std::string& w) {
  size_t n = 0;
  for (size_t at = hay.find(w); at != std::string::npos; at = hay.find(w, at + w.size())) ++n;
  return n;
}

// The unlisted tools of the meta-tool's source that this caller may use.
bool reachable(const Snapshot& snap, const Caller& caller, const Tool& meta, const Tool& t) {
  return !t.listed && t.meta.empty() && t.source == meta.source &&
         !snap.policy->denies_always(caller, t);
}

}  // namespace

json answer_discovery(const Snapshot& snap, const Caller& caller, const Tool& meta,
                      const json& args) {
  if (meta.meta == "describe_tool") {
    std::string name = args.value("name", "");
    const Tool* t = snap.catalog->find(name);
    if (!t || !reachable(snap, caller, meta, *t)) {
      return {
          {"content",
           {{{"type", "text"}, {"text", "No tool named '" + name + "' here; use search_tools."}}}},
          {"isError", true}};
    }
    json d = t->to_mcp();
    return {{"content", {{{"type", "text"}, {"text", dump_safe(d)}}}}, {"structuredContent", d}};
  }
  // search_tools: every query word scores where it appears; names and tags
  // count most, then paths, then descriptions.
  std::vector<std::string> q = words(args.value("query", ""));
  size_t limit = std::clamp<size_t>(args.value("limit", 10), 1, 50);
  std::vector<std::pair<double, const Tool*>> ranked;
  for (auto& tp : snap.catalog->tools()) {
    const Tool& t = *tp;
    if (!reachable(snap, caller, meta, t)) continue;
    std::string name = ascii_lower(t.name), desc = ascii_lower(t.title + " " + t.description), tags;
    for (auto& g : t.tags) tags += ascii_lower(g) + " ";
    std::string path;
    if (auto h = t.facts.find("http"); h != t.facts.end() && h->is_object())
      path = ascii_lower(h->value("method", "") + " " + h->value("path", ""));
    double score = 0;
    for (auto& w : q) {
      score += 5.0 * count_in(name, w) + 3.0 * count_in(tags, w) + 2.0 * count_in(path, w) +
               std::min<size_t>(count_in(desc, w), 3);
    }
    if (score > 0) ranked.push_back({score, &t});
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](auto& a, auto& b) { return a.first > b.first; });
  json list = json::array();
  for (size_t i = 0; i < ranked.size() && i < limit; ++i) {
    const Tool& t = *ranked[i].second;
    json e = {{"name", t.name}, {"description", t.description.substr(0, 200)}};
    if (auto h = t.facts.find("http"); h != t.facts.end() && h->is_object()) {
      e["method"] = h->value("method", "");
      e["path"] = h->value("path", "");
    }
    list.push_back(std::move(e));
  }
  json out = {{"tools", list}, {"matches", ranked.size()}};
  std::string text = ranked.empty() ? "No tools match; try other words." : dump_safe(out);
  return {{"content", {{{"type", "text"}, {"text", text}}}}, {"structuredContent", out}};
}

Result<std::string> call_tool_target(const Snapshot& snap, const Tool& meta, const json& args) {
  std::string name = args.value("name", "");
  const Tool* t = snap.catalog->find(name);
  if (!t || t->listed || !t->meta.empty() || t->source != meta.source) {
    return Error{rpc::kInvalidParams, "No tool named '" + name + "' here; use search_tools."};
  }
  return name;
}

}  // namespace toolgate
