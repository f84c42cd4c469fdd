#include "worker/net/http_fetch.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "common/base64.h"
#include "common/frame.h"
#include "worker/net/curl_lib.h"
#include "worker/net/http_headers.h"

namespace toolgate::worker {
namespace {

struct State : BrokeredTarget {
  std::string body;
  size_t max_body = 1 << 20;
  bool truncated = false;
  ResponseHeaders headers;
};

size_t on_body(char* data, size_t size, size_t n, void* p) {
  auto* st = static_cast<State*>(p);
  size_t len = size * n;
  if (st->body.size() + len > st->max_body) {
    st->body.append(data, st->max_body - st->body.size());
    st->truncated = true;
    return 0;  // stops the transfer
  }
  st->body.append(data, len);
  return len;
}

size_t on_header(char* data, size_t size, size_t n, void* p) {
  static_cast<State*>(p)->headers.feed(std::string_view(data, size * n));
  return size * n;
}

int answer(const json& j) {
  std::string s = dump_safe(j);
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
  return 0;
}

// What one hop sends: everything but the hardening (secure_handle) and
// what the handle keeps between hops.
void set_hop(Curl& curl, CURL* h, State& st, const std::string& url, const std::string& method,
             const std::string& body, curl_slist* headers) {
  st.body.clear();
  st.truncated = false;
  st.refused.clear();
  curl.easy_setopt(h, CURLOPT_URL, url.c_str());
  curl.easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl.easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  if (!body.empty()) {
    curl.easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.size()));
  } else if (method == "GET" || method == "HEAD") {
    curl.easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl.easy_setopt(h, CURLOPT_CUSTOMREQUEST, method == "HEAD" ? "HEAD" : nullptr);
    curl.easy_setopt(h, CURLOPT_NOBODY, method == "HEAD" ? 1L : 0L);
  }
  curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl.easy_setopt(h, CURLOPT_WRITEDATA, &st);
  curl.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl.easy_setopt(h, CURLOPT_HEADERDATA, &st);
  curl.easy_setopt(h, CURLOPT_TIMEOUT_MS, long(st.timeout_ms));
}

std::string origin_of(const Target& t) {
  return t.scheme + "://" + t.host + ":" + std::to_string(t.port);
}

// A redirect to follow: the next URL, and what of the request goes on.
// Headers (credentials among them) go only to the origin they were meant
// for: never on to another host, port or scheme.
void redirect(Curl& curl, const State& st, long status, const char* location, std::string* url,
              std::string* method, std::string* body, curl_slist** headers) {
  const std::string prev_origin = origin_of(st.target);
  *url = location;
  Target next;
  if (parse_url(*url, &next) && origin_of(next) != prev_origin && *headers) {
    curl.slist_free_all(*headers);
    *headers = nullptr;
  }
  if (status == 301 || status == 302 || status == 303) {
    *method = "GET";
    body->clear();
  }
}

// The answer for the last hop's response, as run_http_request documents it.
json answer_of(State& st, long status, const std::string& url, int redirects) {
  json out = {{"status", status},
              {"headers", st.headers.all()},
              {"url", url},
              {"redirects", redirects},
              {"truncated", st.truncated}};
  // JSON answers are parsed here, inside the sandbox and with bounded depth,
  // so the gateway never parses upstream bytes itself.
  std::string ctype = st.headers.get("content-type");
  bool json_type = ctype.find("application/json") != std::string::npos ||
                   ctype.find("+json") != std::string::npos;
  if (json_type && !st.truncated) {
    if (auto parsed = parse_bounded(st.body, 64)) {
      out["body_json"] = std::move(*parsed);
      if (status < 400) return out;  // the text would only double the frame
    }
  }
  // A cut body may end inside a character: trim it back to a whole one, so
  // text stays text.
  if (st.truncated) {
    size_t end = st.body.size(), back = 0;
    while (back < 4 && end > back && (uint8_t(st.body[end - back - 1]) & 0xC0) == 0x80) ++back;
    if (end > back) {
      uint8_t lead = uint8_t(st.body[end - back - 1]);
      size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
      if (need != back + 1) st.body.resize(end - back - 1);
    }
  }
  if (sanitize_utf8(st.body) == st.body) {
    out["body"] = st.body;
  } else {
    out["body_base64"] = base64_encode(st.body);
  }
  return out;
}

// One request, redirects followed hop by hop; the answer as run_http_request
// documents it.
json perform(Curl& curl, const json& req, int broker_fd, int timeout_ms, CURL* reuse = nullptr) {
  State st;
  st.broker_fd = broker_fd;
  st.timeout_ms = timeout_ms;
  std::string url = req.value("url", "");
  std::string method = req.value("method", "GET");
  std::string body = req.value("body", "");
  if (auto b = req.find("body_base64"); b != req.end() && b->is_string()) {
    auto raw = base64_decode(b->get<std::string>(), Base64::standard_lenient);
    if (!raw) return {{"error", "the body is not valid base64"}};
    body = std::move(*raw);
  }
  int max_redirects = req.value("max_redirects", 5);
  st.max_body = req.value("max_body_bytes", size_t(1) << 20);
  // A reused handle keeps its connections (keep-alive) across requests;
  // reset clears everything else the last request set.
  if (reuse) curl.easy_reset(reuse);
  CURL* h = reuse ? reuse : curl.easy_init();
  if (!h) return {{"error", "curl_easy_init failed"}};
  curl_slist* headers = nullptr;
  for (auto& x : req.value("headers", json::array())) {
    if (x.is_string()) headers = curl.slist_append(headers, x.get<std::string>().c_str());
  }
  int redirects = 0;
  long status = 0;
  std::string error;
  for (;;) {
    if (!parse_url(url, &st.target)) {
      error = "unsupported URL (http and https only, no credentials): " + url;
      break;
    }
    curl_slist* resolve = secure_handle(curl, h, &st);
    set_hop(curl, h, st, url, method, body, headers);
    CURLcode rc = curl.easy_perform(h);
    if (resolve) curl.slist_free_all(resolve);
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && st.truncated)) {
      error = st.refused.empty() ? std::string(curl.easy_strerror(rc)) : st.refused;
      break;
    }
    curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    char* location = nullptr;
    curl.easy_getinfo(h, CURLINFO_REDIRECT_URL, &location);
    if (!(status >= 300 && status < 400 && location && redirects < max_redirects)) break;
    redirect(curl, st, status, location, &url, &method, &body, &headers);
    ++redirects;
  }
  curl.slist_free_all(headers);
  if (!reuse) curl.easy_cleanup(h);
  if (!error.empty()) return {{"error", error}, {"url", url}, {"redirects", redirects}};
  return answer_of(st, status, url, redirects);
}

std::string form_encode(const std::string& s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += char(c);
    } else {
      snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// A token string from the token endpoint: bounded, printable, no spaces.
bool sane_token(const json& v) {
  if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
      v.get_ref<const std::string&>().size() > 8192)
    return false;
  for (unsigned char c : v.get_ref<const std::string&>())
    if (c <= 0x20 || c >= 0x7F) return false;
  return true;
}

// Asks the token endpoint for an access token (client_credentials, or
// refresh_token). Returns {access_token, expires_at[, refresh_token]} or
// {error}.
json fetch_token(Curl& curl, const json& oauth, int broker_fd, int timeout_ms) {
  std::string grant = oauth.value("grant", "client_credentials");
  std::string form = "grant_type=" + form_encode(grant);
  if (grant == "refresh_token")
    form += "&refresh_token=" + form_encode(oauth.value("refresh_token", ""));
  form += "&client_id=" + form_encode(oauth.value("client_id", ""));
  if (!oauth.value("client_secret", "").empty())
    form += "&client_secret=" + form_encode(oauth.value("client_secret", ""));
  if (!oauth.value("scope", "").empty()) form += "&scope=" + form_encode(oauth.value("scope", ""));
  json req = {
      {"method", "POST"},
      {"url", oauth.value("token_url", "")},
      {"headers", {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json"}},
      {"body", form},
      {"max_redirects", 0},
      {"max_body_bytes", 65536}};
  json r = perform(curl, req, broker_fd, timeout_ms);
  if (r.contains("error")) return {{"error", "token endpoint: " + r["error"].get<std::string>()}};
  int status = r.value("status", 0);
  const json& b = r.value("body_json", json::object());
  if (status != 200 || !b.is_object() || !sane_token(b.value("access_token", json()))) {
    std::string why = b.is_object() && b.contains("error") && b["error"].is_string()
                          ? " (" + truncate_utf8(b["error"].get<std::string>(), 100) + ")"
                          : "";
    return {{"error", "the token endpoint answered HTTP " + std::to_string(status) + why +
                          " without an access token"}};
  }
  int64_t expires_in = 3600;
  if (auto e = b.find("expires_in"); e != b.end() && e->is_number()) {
    expires_in = std::clamp<int64_t>(e->get<int64_t>(), 0, 365LL * 86400);
  }
  json out = {{"access_token", b["access_token"]},
              {"expires_at", int64_t(::time(nullptr)) + expires_in}};
  if (sane_token(b.value("refresh_token", json()))) out["refresh_token"] = b["refresh_token"];
  return out;
}

}  // namespace

void preload_http() { (void)curl_lib(); }

namespace {

// The answer to one request, as run_http_request documents it.
json http_answer(Curl& curl, const json& req, int broker_fd, int timeout_ms, CURL* reuse) {
  if (!curl.lib) return {{"error", "libcurl is not available in the sandbox"}};
  auto oauth = req.find("oauth");
  if (oauth == req.end() || !oauth->is_object()) {
    return perform(curl, req, broker_fd, timeout_ms, reuse);
  }
  // A token order: only the token endpoint is asked, and the tokens go back
  // to the gateway, which keeps (and saves) them before any API call.
  if (req.value("token_only", false)) {
    json t = fetch_token(curl, *oauth, broker_fd, timeout_ms);
    if (t.contains("error")) return {{"error", t["error"]}};
    return {{"oauth", t}};
  }
  json r = req;
  r.erase("oauth");
  if (!r.contains("headers") || !r["headers"].is_array()) r["headers"] = json::array();
  r["headers"].push_back("Authorization: Bearer " + oauth->value("access_token", std::string()));
  return perform(curl, r, broker_fd, timeout_ms, reuse);
}

}  // namespace

int run_http_request(const json& req, int broker_fd, int timeout_ms) {
  return answer(http_answer(curl_lib(), req, broker_fd, timeout_ms, nullptr));
}

int run_http_loop(int sock) {
  Curl& curl = curl_lib();
  CURL* h = curl.lib ? curl.easy_init() : nullptr;
  for (;;) {
    FrameRead in = read_frame(sock, 1 << 26, -1);
    if (in.status != FrameStatus::ok) return 0;  // the gateway is done with us
    json r = json::parse(in.payload, nullptr, false);
    if (!r.is_object() || !r.contains("http")) return 2;
    // Connect requests for this request go out on the same socket; the
    // gateway answers them before it reads this request's answer.
    json a = http_answer(curl, r["http"], sock, r.value("timeout_ms", 30000), h);
    if (!write_frame(sock, dump_safe(a))) return 0;
  }
}

}  // namespace toolgate::worker
