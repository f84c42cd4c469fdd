#include "gateway/config/expand.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace toolgate {
namespace {

constexpr size_t kMaxSecretFileBytes = 1 << 20;

bool valid_env_name(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

std::string read_secret_file(const YamlDoc& doc, const std::string& ptr, const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) doc.fail(ptr, "${file:" + path + "}: cannot read: " + std::strerror(errno));
  std::string out;
  char buf[4096];
  while (f.read(buf, sizeof buf) || f.gcount() > 0) {
    out.append(buf, size_t(f.gcount()));
    if (out.size() > kMaxSecretFileBytes) doc.fail(ptr, "${file:" + path + "}: larger than 1 MiB");
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return out;
}

std::string expand_string(const YamlDoc& doc, const std::string& ptr, const std::string& in,
                          std::vector<std::string>* secrets, const EnvLookup& env) {
  if (in.find('$') == std::string::npos) return in;
  std::string out;
  for (size_t i = 0; i < in.size();) {
    if (in.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (in.compare(i, 2, "${") != 0) {
      out += in[i++];
      continue;
    }
    size_t close = in.find('}', i + 2);
    if (close == std::string::npos) doc.fail(ptr, "unterminated ${ reference");
    std::string ref = in.substr(i + 2, close - i - 2);
    std::string value;
    if (ref.rfind("file:", 0) == 0) {
      std::string path = ref.substr(5);
      if (path.empty()) doc.fail(ptr, "${file:} needs a path");
      value = read_secret_file(doc, ptr, path);
    } else {
      if (!valid_env_name(ref))
        doc.fail(ptr, "bad reference ${" + ref + "}: expected ${NAME} or ${file:path}");
      const char* v = env ? env(ref) : std::getenv(ref.c_str());
      if (!v) doc.fail(ptr, "environment variable " + ref + " is not set");
      value = v;
    }
    if (!value.empty()) secrets->push_back(value);
    out += value;
    i = close + 1;
  }
  return out;
}

void walk(YamlDoc& doc, json& node, const std::string& ptr, std::vector<std::string>* secrets,
          const EnvLookup& env) {
  if (node.is_string()) {
    node = expand_string(doc, ptr, node.get<std::string>(), secrets, env);
  } else if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) {
      walk(doc, node[i], ptr + "/" + std::to_string(i), secrets, env);
    }
  } else if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      walk(doc, it.value(), ptr + "/" + pointer_escape(it.key()), secrets, env);
    }
  }
}

}  // namespace

void expand_references(YamlDoc& doc, std::vector<std::string>* secrets, const EnvLookup& env) {
  walk(doc, doc.value, "", secrets, env);
}

}  // namespace toolgate
