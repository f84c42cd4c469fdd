// Reads a YAML file as a config (parse_config) and as a policy (PolicySet::load, explain()):
// a reload reads whatever is on disk and must end in a ConfigError, never a crash.
// Only fixed ${ENV}/${file:} references are expanded, so every input loads the same way.
#include <sys/mman.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_util.h"
#include "gateway/catalog/adapter.h"
#include "gateway/config/config.h"
#include "gateway/policy/policy.h"

using namespace toolgate;

namespace {

// References are expanded only when they name these, so that an input loads
// the same way everywhere and never reads a FIFO or a terminal.
bool fixed_reference(const std::string& ref) {
  if (ref.rfind("file:", 0) == 0)
    return ref == "file:" || ref == "file:/dev/null" || ref == "file:/nonexistent/toolgate-fuzz";
  bool env_name = !ref.empty() && !(ref[0] >= '0' && ref[0] <= '9');
  for (unsigned char c : ref) env_name = env_name && (std::isalnum(c) || c == '_');
  return !env_name || ref == "FUZZ_TOKEN" || ref == "FUZZ_EMPTY" || ref == "FUZZ_UNSET";
}

// Whether every reference expand_references would follow is a fixed one
// (its scan, repeated: "$${" is a literal, an unterminated "${" fails).
bool fixed_references_in(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    if (s.compare(i, 3, "$${") == 0) {
      i += 3;
    } else if (s.compare(i, 2, "${") != 0) {
      ++i;
    } else {
      size_t close = s.find('}', i + 2);
      if (close == std::string::npos) return true;
      if (!fixed_reference(s.substr(i + 2, close - i - 2))) return false;
      i = close + 1;
    }
  }
  return true;
}

bool only_fixed_references(const json& j) {
  if (j.is_string()) return fixed_references_in(j.get_ref<const std::string&>());
  if (j.is_structured())
    for (auto& v : j)
      if (!only_fixed_references(v)) return false;
  return true;
}

void read_as_config(const std::string& text) {
  const std::string file = "/nonexistent/toolgate-fuzz/gateway.yaml";
  try {
    if (!only_fixed_references(parse_yaml(text, file).value)) return;
    auto cfg = parse_config(text, file);
    const json::json_pointer at("/server/auth/api_keys");
    const json& doc = cfg->doc.value;
    size_t kept = 0;
    if (doc.contains(at) && doc.at(at).is_array()) {
      for (auto& k : doc.at(at)) {
        FUZZ_CHECK(k.is_object() && k.value("key", "") == "[REDACTED]", "an API key was kept");
        ++kept;
      }
    }
    FUZZ_CHECK(cfg->server.api_keys.size() == kept, "API keys lost");
  } catch (const ConfigError&) {
  }
}

Tool make_tool(const char* name, const char* source, json annotations) {
  Tool t;
  t.name = name;
  t.source = source;
  t.annotations = std::move(annotations);
  t.facts = {{"http", {{"method", "POST"}, {"path", "/items/{id}"}}}};
  return t;
}

void read_as_policy(const std::string& text) {
  static const int fd = ::memfd_create("policy.yaml", MFD_CLOEXEC);
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  FUZZ_CHECK(fd >= 0 && ::ftruncate(fd, 0) == 0, "memfd");
  FUZZ_CHECK(::pwrite(fd, text.data(), text.size(), 0) == ssize_t(text.size()), "memfd write");
  std::shared_ptr<const PolicySet> set;
  try {
    set = PolicySet::load({path}, nullptr);
  } catch (const ConfigError&) {
    return;
  }
  static const Tool tools[] = {
      make_tool("db__query", "db", {{"readOnlyHint", false}, {"destructiveHint", false}}),
      make_tool("github__get_repo", "github", {{"readOnlyHint", true}}),
      make_tool("mail__send", "mail", json::object()),
      make_tool("notes__delete_note", "notes", nullptr)};
  static const json args[] = {{{"sql", "select 1; drop table t"}},
                              {{"owner", "o"}, {"repo", "r"}, {"n", 3}},
                              {{"to", "a@example.com"}, {"cc", {"b@example.org"}}, {"body", "hi"}},
                              json::object()};
  static const Caller callers[] = {{"alice", {"support"}}, {"local", {"admin"}}, {"bob", {}}};
  for (size_t i = 0; i < 4; ++i) {
    for (const Caller& who : callers) {
      Explanation e = set->explain({who, tools[i], args[i]});
      Decision d = set->peek({who, tools[i], args[i]});
      FUZZ_CHECK(d.effect == e.decision.effect && d.rule_id == e.decision.rule_id,
                 "peek() and explain() disagree");
      if (set->denies_always(who, tools[i]))
        FUZZ_CHECK(d.effect == Effect::deny, "a hidden tool's call is let through by %s",
                   d.rule_id.c_str());
      (void)d.text();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool env = [] {
    return ::setenv("FUZZ_TOKEN", "fuzz-token-value", 1) == 0 &&
           ::setenv("FUZZ_EMPTY", "", 1) == 0 && ::unsetenv("FUZZ_UNSET") == 0;
  }();
  FUZZ_CHECK(env, "setenv");
  std::string text(reinterpret_cast<const char*>(data), size);
  read_as_config(text);
  read_as_policy(text);
  return 0;
}
