#include "worker/net/curl_lib.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cctype>

#include "common/frame.h"
#include "common/json_limits.h"
#include "common/text.h"

namespace toolgate::worker {

bool Curl::load() {
  lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return false;
  auto sym = [&](auto* fn, const char* name) {
    *fn = reinterpret_cast<std::remove_pointer_t<decltype(fn)>>(::dlsym(lib, name));
    return *fn != nullptr;
  };
  return sym(&easy_init, "curl_easy_init") && sym(&easy_setopt, "curl_easy_setopt") &&
         sym(&easy_perform, "curl_easy_perform") && sym(&easy_getinfo, "curl_easy_getinfo") &&
         sym(&easy_cleanup, "curl_easy_cleanup") && sym(&easy_reset, "curl_easy_reset") &&
         sym(&easy_strerror, "curl_easy_strerror") && sym(&slist_append, "curl_slist_append") &&
         sym(&slist_free_all, "curl_slist_free_all");
}

// Loaded once per contained process; preload_http() does it before the call
// arrives, off the call's path.
Curl& curl_lib() {
  static Curl c = [] {
    Curl x;
    if (!x.load()) x.lib = nullptr;
    if (x.lib) {
      // curl_global_init (and with it OpenSSL's) happens on the first
      // handle: make one now.
      if (CURL* h = x.easy_init()) x.easy_cleanup(h);
    }
    return x;
  }();
  return c;
}

bool parse_url(const std::string& url, Target* t) {
  auto sep = url.find("://");
  if (sep == std::string::npos) return false;
  t->scheme = ascii_lower(url.substr(0, sep));
  if (t->scheme != "http" && t->scheme != "https") return false;
  std::string rest = url.substr(sep + 3);
  std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string::npos) return false;  // no credentials in URLs
  std::string port;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) return false;
    t->host = authority.substr(0, close + 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      port = authority.substr(close + 2);
  } else {
    auto colon = authority.rfind(':');
    t->host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (t->host.empty()) return false;
  t->port = t->scheme == "https" ? 443 : 80;
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
    t->port = std::stoi(port);
  }
  return t->port > 0 && t->port < 65536;
}

namespace {

curl_socket_t open_socket(void* p, curlsocktype, curl_sockaddr*) {
  auto* bt = static_cast<BrokeredTarget*>(p);
  std::string host = bt->target.host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  json req = {{"connect", {{"host", host}, {"port", bt->target.port}}}};
  std::unique_lock<std::mutex> lock;
  if (bt->broker_mu) lock = std::unique_lock<std::mutex>(*bt->broker_mu);
  if (!write_frame(bt->broker_fd, dump_safe(req))) return CURL_SOCKET_BAD;
  int fd = -1;
  FrameRead r = read_frame_with_fd(bt->broker_fd, 65536, bt->timeout_ms, &fd);
  json ans = r.status == FrameStatus::ok ? json::parse(r.payload, nullptr, false) : json();
  if (fd >= 0 && ans.is_object() && ans.value("connected", false)) return fd;
  if (fd >= 0) ::close(fd);
  bt->refused = ans.is_object() ? ans.value("reason", std::string("egress refused")) : "no broker";
  return CURL_SOCKET_BAD;
}

int already_connected(void*, curl_socket_t, curlsocktype) { return CURL_SOCKOPT_ALREADY_CONNECTED; }

}  // namespace

curl_slist* secure_handle(Curl& curl, CURL* h, BrokeredTarget* bt) {
  curl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl.easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl.easy_setopt(h, CURLOPT_OPENSOCKETDATA, bt);
  curl.easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, already_connected);
  const Target& t = bt->target;
  std::string entry = t.host + ":" + std::to_string(t.port) + ":192.0.2.1";
  curl_slist* resolve = t.host[0] == '[' ? nullptr : curl.slist_append(nullptr, entry.c_str());
  curl.easy_setopt(h, CURLOPT_RESOLVE, resolve);
  return resolve;
}

}  // namespace toolgate::worker
