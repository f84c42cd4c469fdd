#include "adapters/openapi/oauth_tokens.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/io.h"
#include "common/log.h"

namespace toolgate::openapi {
namespace {

std::string read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string t = ss.str();
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  return t;
}

// write + fsync + rename: the file always holds a whole token, old or new.
bool write_atomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  ::unlink(tmp.c_str());  // a leftover of a crash; never followed if a link
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::string line = text + "\n";
  bool ok = write_all(fd, line) && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return false;
  }
  // The rename itself must survive a crash too.
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

}  // namespace

OAuthState TokenStore::current(const std::string& key, const std::string& config_refresh,
                               const std::string& token_file) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_.find(key);
  if (it == state_.end()) {
    OAuthState s;
    s.refresh_token = token_file.empty() ? "" : read_token_file(token_file);
    if (s.refresh_token.empty()) s.refresh_token = config_refresh;
    it = state_.emplace(key, s).first;
  }
  return it->second;
}

void TokenStore::mark_refused(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  state_[key].refused = true;
}

std::unique_lock<std::mutex> TokenStore::lock(const std::string& key) {
  std::mutex* m;
  {
    std::lock_guard<std::mutex> guard(mu_);
    auto& slot = fetching_[key];
    if (!slot) slot = std::make_unique<std::mutex>();
    m = slot.get();
  }
  return std::unique_lock<std::mutex>(*m);
}

bool TokenStore::update(const std::string& key, const json& fresh, const std::string& token_file) {
  if (!fresh.is_object() || !fresh.contains("access_token") || !fresh["access_token"].is_string())
    return true;
  int64_t expires_at = 0;
  if (auto e = fresh.find("expires_at"); e != fresh.end() && e->is_number_integer())
    expires_at = e->get<int64_t>();
  std::lock_guard<std::mutex> lock(mu_);
  OAuthState& s = state_[key];
  // Answers of concurrent calls may arrive in any order: an older token
  // never replaces a newer one.
  if (expires_at < s.expires_at && !s.refused) return true;
  s.access_token = fresh["access_token"];
  s.expires_at = expires_at;
  s.refused = false;
  auto r = fresh.find("refresh_token");
  if (r == fresh.end() || !r->is_string() || *r == s.refresh_token) return true;
  s.refresh_token = *r;
  if (token_file.empty()) return true;
  if (!write_atomically(token_file, s.refresh_token)) {
    log::error(
        "cannot save the rotated OAuth refresh token; the next gateway start will use "
        "the old one",
        {{"token_file", token_file}, {"error", strerror(errno)}});
    return false;
  }
  return true;
}

}  // namespace toolgate::openapi
