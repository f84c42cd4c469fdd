// Bundling `$ref`s to other files into the root document, before the
// loader runs: each referenced node is copied under the root's component
// schemas with a generated name, and the reference points there. Every kind
// of object can be referenced this way (the loader follows pointers), and
// references inside the copied nodes are rewritten relative to their own
// file, so cycles across files terminate like cycles inside one.
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "adapters/openapi/spec_bundle.h"
#include "gateway/catalog/naming.h"
#include "gateway/config/yaml_json.h"

namespace toolgate::openapi {
namespace {

constexpr size_t kMaxFiles = 200;

std::string dir_of(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? "." : p.substr(0, slash);
}

std::string real(const std::string& p) {
  char buf[PATH_MAX];
  return ::realpath(p.c_str(), buf) ? std::string(buf) : std::string();
}

json read_any(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open (referenced by $ref)");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) {
    auto j = parse_bounded(text, 256);
    if (!j) throw ConfigError(path + ": not valid JSON: " + j.error().message);
    return *j;
  }
  return parse_yaml(text, path, std::max<size_t>(200'000, text.size()), BadUtf8::replace).value;
}

class Bundler {
 public:
  Bundler(json& root, const std::string& root_file, int major, bool local_file)
      : root_(root),
        root_file_(local_file ? real(root_file) : root_file),
        base_dir_(dir_of(root_file_) == "" ? "/" : dir_of(root_file_)),
        major_(major),
        local_file_(local_file) {
    prefix_ = major == 2 ? "#/definitions/" : "#/components/schemas/";
  }

  void run() {
    walk(root_, root_file_, "");
    while (!queue_.empty()) {
      auto [file, pointer, name] = queue_.front();
      queue_.pop_front();
      const json& doc = load(file);
      json node;
      try {
        node = doc.at(json::json_pointer(pointer));
      } catch (const json::exception&) {
        // Like any unresolvable reference: the operations using it are
        // skipped (or, strict, the load fails), not the whole spec.
        node = {{"$ref", "#/" + std::string(kBadRefs) + "/" +
                             std::to_string(bad_ref("$ref target " + file + "#" + pointer +
                                                    " does not exist"))}};
        target()[name] = std::move(node);
        continue;
      }
      walk(node, file, pointer);
      target()[name] = std::move(node);
    }
  }

 private:
  json& target() {
    // A spec whose components are not objects gets them replaced: its own
    // values there were unusable anyway.
    json* t;
    if (major_ == 2) {
      t = &root_["definitions"];
    } else {
      if (!root_["components"].is_object()) root_["components"] = json::object();
      t = &root_["components"]["schemas"];
    }
    if (!t->is_object()) *t = json::object();
    return *t;
  }

  const json& load(const std::string& file) {
    auto it = docs_.find(file);
    if (it != docs_.end()) return it->second;
    if (docs_.size() >= kMaxFiles)
      throw ConfigError(root_file_ + ": more than 200 files referenced by $ref");
    return docs_.emplace(file, read_any(file)).first->second;
  }

  // The prefix every bundled file's path has: the spec's directory and "/".
  std::string under() const { return base_dir_ == "/" ? "/" : base_dir_ + "/"; }

  size_t bad_ref(const std::string& message) {
    json& bad = root_[kBadRefs];
    if (!bad.is_array()) bad = json::array();  // the spec's own value is not ours
    bad.push_back(message);
    return bad.size() - 1;
  }

  // The generated schema name for (file, pointer), queued on first sight.
  std::string name_for(const std::string& file, const std::string& pointer) {
    auto key = std::make_pair(file, pointer);
    if (auto it = names_.find(key); it != names_.end()) return it->second;
    std::string rel = file.substr(under().size());
    std::string name = sanitize_name(rel + (pointer.empty() ? "" : "_" + pointer));
    for (int n = 2; taken_.count(name); ++n)
      name = sanitize_name(rel + pointer) + std::to_string(n);
    taken_.insert(name);
    names_[key] = name;
    queue_.push_back({file, pointer, name});
    return name;
  }

  void walk(json& node, const std::string& file, const std::string& at) {
    if (node.is_array()) {
      for (auto& x : node) walk(x, file, at);
      return;
    }
    if (!node.is_object()) return;
    auto r = node.find("$ref");
    if (r != node.end() && r->is_string()) {
      std::string ref = *r;
      auto hash = ref.find('#');
      std::string file_part = hash == std::string::npos ? ref : ref.substr(0, hash);
      std::string pointer = hash == std::string::npos ? "" : ref.substr(hash + 1);
      if (file_part.empty() && file == root_file_) {
        // A reference inside the root document stays as it is.
      } else {
        std::string target_file = file, problem;
        if (!file_part.empty()) {
          if (!local_file_) {
            problem = "file references are not followed in a spec fetched from a URL";
          } else if (file_part.find("://") != std::string::npos || file_part[0] == '/') {
            problem = "only relative file references are supported";
          } else {
            target_file = real(dir_of(file) + "/" + file_part);
            if (target_file.empty()) problem = "no such file";
            // References stay inside the spec's own directory tree.
            else if (target_file.rfind(under(), 0) != 0)
              problem = "it leaves the spec's directory";
          }
        }
        if (!problem.empty()) {
          // The operation using it is skipped (or, strict, the load fails)
          // with this message; the rest of the spec still loads.
          *r = "#/" + std::string(kBadRefs) + "/" +
               std::to_string(bad_ref("$ref " + ref + " in " + file + ": " + problem));
        } else {
          *r = target_file == root_file_ ? "#" + pointer : prefix_ + name_for(target_file, pointer);
        }
      }
    }
    for (auto& [k, v] : node.items()) {
      if (k != "$ref") walk(v, file, at);
    }
  }

  json& root_;
  std::string root_file_, base_dir_, prefix_;
  int major_;
  bool local_file_;
  std::map<std::string, json> docs_;
  std::map<std::pair<std::string, std::string>, std::string> names_;
  std::set<std::string> taken_;
  std::deque<std::tuple<std::string, std::string, std::string>> queue_;
};

}  // namespace

void bundle_external_refs(json& root, const std::string& root_file, int major, bool local_file) {
  Bundler(root, root_file, major, local_file).run();
}

}  // namespace toolgate::openapi
