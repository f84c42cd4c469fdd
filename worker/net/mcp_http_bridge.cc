#include "worker/net/mcp_http_bridge.h"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/base64.h"
#include "common/io.h"
#include "worker/net/curl_lib.h"
#include "worker/net/http_headers.h"
#include "worker/net/sse_parser.h"

namespace toolgate::worker {
namespace {

// Shared by the threads of one bridge: one POST thread per message, one GET
// stream, and the main thread reading the gateway's lines.
struct Bridge {
  Bridge(Curl& c, std::string u, size_t max, int broker)
      : curl(c), url(std::move(u)), max_message(max), broker_fd(broker) {}
  Curl& curl;
  std::string url;
  std::vector<std::string> headers;  // "Name: value", from the source's config
  size_t max_message;
  int broker_fd;
  std::mutex out_mu, state_mu, broker_mu;
  std::string session_id, protocol_version;
  // The x-mcp-header arguments of each tool, as the server's own tools/list
  // declared them: 2026-07-28 calls mirror them in Mcp-Param-* headers.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> param_headers;
  std::atomic<bool> get_started{false}, closing{false};
  // The legacy HTTP+SSE transport: messages are POSTed to the endpoint the
  // server's stream named (post_url, under state_mu), answers come on it.
  std::atomic<bool> legacy{false};
  std::string post_url;
  std::condition_variable endpoint_cv;

  std::string post_target() {
    std::lock_guard<std::mutex> lock(state_mu);
    return post_url.empty() ? url : post_url;
  }

  // The endpoint event: a path, or a URL of the same origin; anything else
  // would send the session's messages somewhere the config never named.
  void set_endpoint(const std::string& where) {
    auto full = endpoint_url(url, where);
    if (!full) {
      std::fprintf(stderr, "toolgate-worker: endpoint event outside the server's origin ignored\n");
      return;
    }
    std::lock_guard<std::mutex> lock(state_mu);
    post_url = *full;
    endpoint_cv.notify_all();
  }

  void learn_param_headers(const json& tools) {
    std::lock_guard<std::mutex> lock(state_mu);
    for (auto& t : tools) {
      if (!t.is_object() || !t.value("name", json()).is_string()) continue;
      auto props = t.value("inputSchema", json::object()).value("properties", json::object());
      std::vector<std::pair<std::string, std::string>> marked;
      if (props.is_object())
        for (auto& [name, schema] : props.items())
          if (schema.is_object() && schema.value("x-mcp-header", json()).is_string())
            marked.emplace_back(name, schema["x-mcp-header"].get<std::string>());
      if (marked.empty())
        param_headers.erase(t["name"].get<std::string>());
      else
        param_headers[t["name"].get<std::string>()] = std::move(marked);
    }
  }

  // One message to the gateway: one compact JSON line on stdout.
  void emit(const json& msg) {
    if (msg.is_object() && msg.contains("result") && msg["result"].is_object() &&
        msg["result"].value("tools", json()).is_array())
      learn_param_headers(msg["result"]["tools"]);
    // Later requests carry the protocol version the server chose.
    if (msg.is_object() && msg.contains("result") && msg["result"].is_object() &&
        msg["result"].contains("serverInfo")) {
      json v = msg["result"].value("protocolVersion", json());
      std::lock_guard<std::mutex> lock(state_mu);
      if (v.is_string() && v.get_ref<const std::string&>().size() == 10 &&
          protocol_version.empty() &&
          v.get_ref<const std::string&>().find_first_not_of("0123456789-") == std::string::npos)
        protocol_version = v;
    }
    std::string line = dump_safe(msg) + "\n";
    std::lock_guard<std::mutex> lock(out_mu);
    (void)write_all(1, line);
  }

  void emit_text(std::string_view text) {
    auto doc = parse_bounded(text, 64);
    if (!doc) return;  // not JSON: the upstream's problem, not passed on
    if (doc->is_array()) {
      for (auto& m : *doc) emit(m);
    } else {
      emit(*doc);
    }
  }
};

// One HTTP exchange: the answer is a JSON body, or an SSE stream whose
// events are passed on as they arrive.
struct Exchange : BrokeredTarget {
  Bridge* bridge = nullptr;
  bool sse = false, too_big = false;
  SseParser events;
  std::string body, ctype, session_header;
  ResponseHeaders headers;

  // SSE: the events go on as they arrive (sse_parser.h).
  void feed(const char* p, size_t n) {
    too_big = !events.feed(std::string_view(p, n), bridge->max_message,
                           [this](const std::string& event, const std::string& data) {
                             if (event == "endpoint")
                               bridge->set_endpoint(data);
                             else if (!data.empty())
                               bridge->emit_text(data);
                           });
  }
};

// A header value as MCP 2026-07-28 spells it: visible ASCII as it is,
// anything else (non-ASCII, control characters, edge spaces) in the Base64
// sentinel, so no value can break out of its header line. A value that
// itself looks like the sentinel is encoded too, or the server would
// decode it into something else.
std::string header_value(const std::string& v) {
  bool plain = !v.empty() && v.front() != ' ' && v.back() != ' ';
  for (unsigned char c : v) plain = plain && c >= 0x20 && c <= 0x7E;
  bool looks_encoded =
      v.rfind("=?base64?", 0) == 0 && v.size() >= 11 && v.compare(v.size() - 2, 2, "?=") == 0;
  plain = plain && !looks_encoded;
  return plain ? v : "=?base64?" + base64_encode(v) + "?=";
}

// The headers a 2026-07-28 request carries (its body has the per-request
// envelope): the version, the method, the name it acts on, and the
// arguments the tool marks x-mcp-header. Empty for 2025-era messages.
std::vector<std::string> modern_headers(Bridge& b, const json& msg) {
  std::vector<std::string> out;
  const json params = msg.value("params", json::object());
  if (!params.is_object()) return out;
  json version = params.value("_meta", json::object())
                     .value("io.modelcontextprotocol/protocolVersion", json());
  if (!version.is_string() || !msg.value("method", json()).is_string()) return out;
  std::string method = msg["method"];
  out.push_back("MCP-Protocol-Version: " + header_value(version.get<std::string>()));
  out.push_back("Mcp-Method: " + header_value(method));
  const char* field = method == "resources/read"                          ? "uri"
                      : method == "tools/call" || method == "prompts/get" ? "name"
                                                                          : nullptr;
  if (field && params.value(field, json()).is_string())
    out.push_back(std::string("Mcp-Name: ") + header_value(params[field].get<std::string>()));
  if (method != "tools/call" || !params.value("name", json()).is_string()) return out;
  json args = params.value("arguments", json::object());
  std::lock_guard<std::mutex> lock(b.state_mu);
  auto it = b.param_headers.find(params["name"].get<std::string>());
  if (it == b.param_headers.end() || !args.is_object()) return out;
  for (auto& [prop, header] : it->second) {
    auto v = args.find(prop);
    if (v == args.end() || v->is_null() || v->is_object() || v->is_array()) continue;
    std::string text = v->is_string() ? v->get<std::string>() : v->dump();
    // The upstream chose the name: a header token only (RFC 9110), so it
    // cannot start another header or end this one.
    bool header_ok = !header.empty();
    for (unsigned char c : header)
      header_ok = header_ok && (std::isalnum(c) || c == '-' || c == '_');
    if (header_ok) out.push_back("Mcp-Param-" + header + ": " + header_value(text));
  }
  return out;
}

size_t on_data(char* p, size_t size, size_t n, void* ud) {
  auto* x = static_cast<Exchange*>(ud);
  size_t len = size * n;
  if (x->bridge->closing) return 0;
  if (x->sse) {
    x->feed(p, len);
  } else {
    x->body.append(p, len);
    if (x->body.size() > x->bridge->max_message) x->too_big = true;
  }
  return x->too_big ? 0 : len;
}

size_t on_header(char* p, size_t size, size_t n, void* ud) {
  auto* x = static_cast<Exchange*>(ud);
  x->headers.feed(std::string_view(p, size * n));
  x->ctype = x->headers.get("content-type");
  x->sse = x->ctype.find("text/event-stream") != std::string::npos;
  std::string session = x->headers.get("mcp-session-id");
  if (!session.empty() && session.size() < 256) x->session_header = session;
  return size * n;
}

// Makes one request; returns the HTTP status (0: no answer, `error` says why).
// `modern`: a 2026-07-28 request's own headers, which replace the session's.
long exchange(Bridge& b, Exchange& x, const char* method, const std::string& body,
              const std::string& url, std::string* error,
              const std::vector<std::string>& modern = {}) {
  x.bridge = &b;
  x.broker_fd = b.broker_fd;
  x.broker_mu = &b.broker_mu;
  x.timeout_ms = 10000;
  if (!parse_url(url, &x.target)) {
    *error = "unsupported URL";
    return 0;
  }
  Curl& c = b.curl;
  CURL* h = c.easy_init();
  if (!h) {
    *error = "curl_easy_init failed";
    return 0;
  }
  curl_slist* hs = nullptr;
  for (auto& s : b.headers) hs = c.slist_append(hs, s.c_str());
  if (!modern.empty()) {
    for (auto& m : modern) hs = c.slist_append(hs, m.c_str());
  } else {
    std::lock_guard<std::mutex> lock(b.state_mu);
    if (!b.session_id.empty()) hs = c.slist_append(hs, ("Mcp-Session-Id: " + b.session_id).c_str());
    if (!b.protocol_version.empty())
      hs = c.slist_append(hs, ("MCP-Protocol-Version: " + b.protocol_version).c_str());
  }
  std::string m = method;
  if (m == "POST") {
    hs = c.slist_append(hs, "Content-Type: application/json");
    hs = c.slist_append(hs, "Accept: application/json, text/event-stream");
    c.easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    c.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.size()));
  } else {
    hs = c.slist_append(hs, "Accept: text/event-stream");
    c.easy_setopt(h, CURLOPT_CUSTOMREQUEST, m == "GET" ? nullptr : method);
    c.easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
  curl_slist* resolve = secure_handle(c, h, &x);
  c.easy_setopt(h, CURLOPT_URL, url.c_str());
  c.easy_setopt(h, CURLOPT_HTTPHEADER, hs);
  c.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  c.easy_setopt(h, CURLOPT_WRITEDATA, &x);
  c.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  c.easy_setopt(h, CURLOPT_HEADERDATA, &x);
  c.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  CURLcode rc = c.easy_perform(h);
  long status = 0;
  if (rc == CURLE_OK || rc == CURLE_WRITE_ERROR) c.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (x.too_big) {
    *error = "a message larger than " + std::to_string(b.max_message) + " bytes";
    status = 0;
  } else if (rc != CURLE_OK) {
    *error = x.refused.empty() ? std::string(c.easy_strerror(rc)) : x.refused;
    status = 0;
  }
  if (resolve) c.slist_free_all(resolve);
  c.slist_free_all(hs);
  c.easy_cleanup(h);
  return status;
}

// The server's own stream (GET): notifications and requests outside any
// call. A server without one answers 405; a dropped one is reopened.
void get_stream(Bridge* b) {
  for (int attempt = 0; !b->closing && attempt < 1000; ++attempt) {
    Exchange x;
    std::string error;
    long status = exchange(*b, x, "GET", "", b->url, &error);
    if (status == 405 || status == 404 || b->closing) return;
    std::this_thread::sleep_for(std::chrono::seconds(std::min(1 + attempt, 30)));
  }
}

// Opens the legacy stream and waits for its endpoint event.
bool start_legacy(Bridge* b) {
  b->legacy = true;
  b->get_started = true;  // the legacy stream is the server's own stream
  std::thread([b] {
    Exchange x;
    std::string error;
    exchange(*b, x, "GET", "", b->url, &error);
    std::fprintf(stderr, "toolgate-worker: the server's stream ended%s%s\n",
                 error.empty() ? "" : ": ", error.c_str());
    if (!b->closing) std::_Exit(0);  // nothing more can arrive: the server is gone
  }).detach();
  std::unique_lock<std::mutex> lock(b->state_mu);
  return b->endpoint_cv.wait_for(lock, std::chrono::seconds(10),
                                 [&] { return !b->post_url.empty(); });
}

void post(Bridge* b, json msg) {
  bool is_init = msg.value("method", "") == "initialize";
  json id = msg.contains("method") && msg.contains("id") ? msg["id"] : json();
  Exchange x;
  std::string error;
  std::string body = dump_safe(msg);
  std::vector<std::string> modern = modern_headers(*b, msg);
  long status = exchange(*b, x, "POST", body, b->post_target(), &error, modern);
  // A server that refuses the initialize POST with 400, 404 or 405 may
  // speak the legacy HTTP+SSE transport (the spec's backwards
  // compatibility rule): try that, once.
  if (is_init && !b->legacy && !x.sse && (status == 400 || status == 404 || status == 405) &&
      start_legacy(b)) {
    x = Exchange();
    status = exchange(*b, x, "POST", body, b->post_target(), &error);
  }
  if (is_init && status == 200 && !x.session_header.empty()) {
    std::lock_guard<std::mutex> lock(b->state_mu);
    b->session_id = x.session_header;
  }
  // A 2026-07-28 server answers some errors with a 4xx status and the
  // JSON-RPC error as the body: that error is the answer.
  bool rpc_error = false;
  if (!x.sse && status >= 400 && !id.is_null()) {
    auto doc = parse_bounded(x.body, 64);
    rpc_error = doc && doc->is_object() && doc->value("id", json()) == id && doc->contains("error");
  }
  if (!x.sse && ((status >= 200 && status < 300) || rpc_error) && !x.body.empty()) {
    b->emit_text(x.body);
  } else if (!x.sse && !(status >= 200 && status < 300) && !id.is_null()) {
    // The request failed at the HTTP level: its caller gets an error, not
    // a wait until its timeout.
    std::string why = status ? "HTTP " + std::to_string(status) + " from the upstream" : error;
    if (status && !x.body.empty()) why += ": " + truncate_utf8(sanitize_utf8(x.body), 300);
    b->emit({{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", -32603}, {"message", why}}}});
  }
  // The handshake is over: open the server's own stream.
  if (msg.value("method", "") == "notifications/initialized" && !b->get_started.exchange(true))
    std::thread(get_stream, b).detach();
}

}  // namespace

[[noreturn]] int run_mcp_http_bridge(const json& cfg, int broker_fd) {
  Curl& curl = curl_lib();
  if (!curl.lib) {
    std::fprintf(stderr, "toolgate-worker: libcurl is not available\n");
    std::_Exit(1);
  }
  // Never freed: detached threads use it until the process exits.
  auto* b = new Bridge(curl, cfg.value("url", ""), cfg.value("max_message_bytes", size_t(16) << 20),
                       broker_fd);
  for (auto& h : cfg.value("headers", json::array()))
    if (h.is_string()) b->headers.push_back(h);
  // Each message is its own POST, so a long call's stream never holds up
  // the next message (such as the answer to a sampling request it made).
  std::string line;
  while (std::getline(std::cin, line)) {
    auto msg = parse_bounded(line, 128);
    if (!msg || !msg->is_object()) continue;
    std::thread(post, b, std::move(*msg)).detach();
  }
  // The gateway is done with this server: end the session (best effort).
  b->closing = true;
  Exchange x;
  std::string error;
  if (!b->session_id.empty() && !b->legacy) exchange(*b, x, "DELETE", "", b->url, &error);
  std::_Exit(0);  // threads blocked in transfers do not hold the process
}

}  // namespace toolgate::worker
