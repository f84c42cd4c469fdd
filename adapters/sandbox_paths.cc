#include "adapters/sandbox_paths.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace toolgate {

std::string working_dir() {
  char buf[PATH_MAX];
  return ::getcwd(buf, sizeof buf) ? std::string(buf) : std::string("/");
}

json command_env(const json& cfg) {
  json env = {{"PATH", "/usr/local/bin:/usr/bin:/bin"}};
  for (const auto& name : cfg.value("env_allow", json::array())) {
    std::string n = name.get<std::string>();
    if (const char* v = std::getenv(n.c_str())) env[n] = v;
  }
  const json given = cfg.value("env", json::object());  // kept alive for items()
  for (auto& [k, v] : given.items()) env[k] = v;
  return env;
}

json command_mounts(const LoadContext& ctx, const json& cfg, const std::string& ptr,
                    std::vector<std::string>* argv, const std::string& base_dir, uint32_t* tmp_mb) {
  const auto& doc = ctx.config.doc;
  auto absolute = [&](const std::string& p) { return p[0] == '/' ? p : base_dir + "/" + p; };
  json mounts = json::array();
  // The program, or the script an interpreter runs (the first file named
  // on the command line), is visible read-only at the same path, and passed
  // absolute. Nothing else on the command line is mounted: anything more a
  // command needs goes in sandbox.paths.
  for (auto& a : *argv) {
    struct stat st;
    if (a.empty() || a[0] == '-' || ::stat(absolute(a).c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    a = absolute(a);
    mounts.push_back({{"path", a}, {"writable", false}});
    break;
  }
  auto sb = cfg.find("sandbox");
  if (sb == cfg.end()) return mounts;
  *tmp_mb = sb->value("tmp_mb", 0u);
  const json paths = sb->value("paths", json::array());
  for (size_t k = 0; k < paths.size(); ++k) {
    std::string path = absolute(paths[k].at("path").get<std::string>());
    bool writable = paths[k].value("writable", false);
    std::string where = ptr + "/sandbox/paths/" + std::to_string(k);
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      if (!writable) doc.fail(where, "no such path: " + path);
      // A writable path that does not exist yet is created for the sandbox
      // identity, so the command can write to it.
      if (::mkdir(path.c_str(), 0755) != 0)
        doc.fail(where, "cannot create " + path + ": " + std::strerror(errno));
      if (::geteuid() == 0 && ::chown(path.c_str(), ctx.config.workers.sandbox.uid,
                                      ctx.config.workers.sandbox.gid) != 0)
        doc.fail(where, "cannot hand " + path + " to the sandbox uid: " + std::strerror(errno));
    }
    mounts.push_back({{"path", path}, {"writable", writable}});
  }
  return mounts;
}

}  // namespace toolgate
