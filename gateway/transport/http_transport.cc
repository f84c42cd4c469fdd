// Streamable HTTP on one endpoint, /mcp: the 2025 revisions (2025-03-26 ..
// 2025-11-25) with sessions, and 2026-07-28 without (http_stateless.cc).
#include <httplib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>

#include "common/log.h"
#include "common/text.h"
#include "gateway/catalog/naming.h"
#include "gateway/identity/auth.h"
#include "gateway/protocol/batch.h"
#include "gateway/protocol/jsonrpc.h"
#include "gateway/protocol/stateless.h"
#include "gateway/transport/bounded_server.h"
#include "gateway/transport/elastic_pool.h"
#include "gateway/transport/http_admin.h"
#include "gateway/transport/http_reply.h"
#include "gateway/transport/sse_stream.h"
#include "gateway/transport/transport.h"

namespace toolgate {
namespace {

constexpr const char* kSessionHeader = "Mcp-Session-Id";
constexpr int kKeepaliveMs = 15000;

bool accepts(const httplib::Request& req, const char* type) {
  std::string a = req.get_header_value("Accept");
  return a.find(type) != std::string::npos || a.find("*/*") != std::string::npos;
}

// Host without port, lower-cased; handles "[::1]:8080".
std::string host_part(const std::string& host) {
  std::string h = host;
  if (!h.empty() && h[0] == '[') {
    auto close = h.find(']');
    h = close == std::string::npos ? h : h.substr(0, close + 1);
  } else if (auto colon = h.rfind(':'); colon != std::string::npos) {
    h = h.substr(0, colon);
  }
  return ascii_lower(h);
}

// Every session holds a socket for its GET stream and one for its POSTs, and
// distributions still start processes with a soft limit of 1024 open files.
// The hard limit is what the operator allows; take all of it. (Workers set
// their own limits for what they run.)
void raise_open_files_limit() {
  rlimit l{};
  if (::getrlimit(RLIMIT_NOFILE, &l) != 0 || l.rlim_cur == l.rlim_max) return;
  rlim_t was = l.rlim_cur;
  l.rlim_cur = l.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &l) != 0)
    log::warn("cannot raise the open files limit", {{"soft", uint64_t(was)}});
}

HttpLimits http_limits(const ServerConfig& sv) {
  HttpLimits l;
  l.max_body_bytes = sv.max_body_bytes;
  l.max_header_bytes = sv.max_header_bytes;
  l.max_header_count = sv.max_header_count;
  l.max_line_bytes = sv.max_line_bytes;
  l.header_timeout_ms = sv.header_timeout_ms;
  l.body_timeout_ms = sv.body_timeout_ms;
  return l;
}

bool is_local_name(const std::string& h) {
  return h == "localhost" || h == "127.0.0.1" || h == "[::1]";
}

// DNS-rebinding protection: the Host must name this server.
bool host_allowed(const ServerConfig& cfg, const std::string& host) {
  if (host.empty()) return false;
  std::string h = host_part(host);
  if (is_local_name(h)) return true;
  std::string listen = cfg.listen_host.find(':') != std::string::npos ? "[" + cfg.listen_host + "]"
                                                                      : cfg.listen_host;
  if (h == listen && listen != "0.0.0.0" && listen != "[::]") return true;
  for (auto& g : cfg.allowed_hosts)
    if (glob_match(g, host) || glob_match(g, h)) return true;
  return false;
}

// Browsers send Origin; a page on another origin must not drive the gateway.
// Loopback origins are always accepted (they cannot be rebound); the config's
// allowed_origins adds to them.
bool origin_allowed(const ServerConfig& cfg, const std::string& origin) {
  if (origin.empty()) return true;  // not a browser
  for (const char* g : {"http://localhost", "http://localhost:*", "http://127.0.0.1",
                        "http://127.0.0.1:*", "http://[::1]", "http://[::1]:*", "https://localhost",
                        "https://localhost:*", "https://127.0.0.1:*"}) {
    if (glob_match(g, origin)) return true;
  }
  for (auto& g : cfg.allowed_origins)
    if (glob_match(g, origin)) return true;
  return false;
}

}  // namespace

HttpTransport::HttpTransport(Gateway& gateway, std::string host, uint16_t port)
    : gateway_(gateway),
      host_(std::move(host)),
      port_(port),
      http_(std::make_unique<BoundedServer>(http_limits(gateway.config()->server))),
      gauges_(std::make_shared<HttpGauges>()) {
  auto cfg = gateway_.config();
  size_t core = size_t(cfg->server.http_threads), max = size_t(cfg->server.http_max_threads);
  http_->new_task_queue = [core, max, g = gauges_] { return new ElasticPool(core, max, g); };
  http_->set_payload_max_length(cfg->server.max_body_bytes);
  http_->set_keep_alive_max_count(100000);
  // An idle connection holds a thread (elastic_pool.h); stop() does not wait
  // for it (bounded_server.cc checks every 100 ms).
  http_->set_keep_alive_timeout(5);
  http_->set_tcp_nodelay(true);
  http_->set_read_timeout(30, 0);
  install_routes();
}

HttpTransport::~HttpTransport() = default;

bool HttpTransport::bind() {
  if (port_ == 0) {
    int p = http_->bind_to_any_port(host_);
    if (p <= 0) {
      log::error("cannot listen", {{"host", host_}});
      return false;
    }
    port_ = uint16_t(p);
  } else if (!http_->bind_to_port(host_, port_)) {
    log::error("cannot listen (address in use, or not allowed)",
               {{"host", host_}, {"port", port_}});
    return false;
  }
  raise_open_files_limit();
  if (!http_->widen_backlog())
    log::warn("the listen backlog stays at cpp-httplib's 5", {{"port", port_}});
  return true;
}

int HttpTransport::run() {
  log::info(
      "listening",
      {{"url", "http://" + (host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_) +
                   ":" + std::to_string(port_) + "/mcp"}});
  return http_->listen_after_bind() ? 0 : 1;
}

void HttpTransport::stop() {
  gateway_.sessions().for_each([](Session& s) { s.close(); });
  gateway_.stateless().listeners().close_all();
  http_->stop();
}

// DNS-rebinding protection. Checked inside each /mcp handler rather than
// in a pre-routing hook: there the body has been read, so a rejected
// request doesn't leave its body on a keep-alive connection.
bool HttpTransport::rebinding_ok(const httplib::Request& req, httplib::Response& res) {
  auto cfg = gateway_.config();
  if (!host_allowed(cfg->server, req.get_header_value("Host"))) {
    send_rpc_error(res, 403, nullptr, rpc::kInvalidRequest, "Forbidden: Host header not allowed");
    return false;
  }
  if (!origin_allowed(cfg->server, req.get_header_value("Origin"))) {
    send_rpc_error(res, 403, nullptr, rpc::kInvalidRequest, "Forbidden: Origin not allowed");
    return false;
  }
  return true;
}

// Rebinding checks, then who is calling (401 without a valid key).
bool HttpTransport::guard(const httplib::Request& req, httplib::Response& res, Caller* who) {
  if (!rebinding_ok(req, res)) return false;
  auto c = authenticate(gateway_.config()->server, req.get_header_value("Authorization"));
  if (!c) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"toolgate\"");
    send_rpc_error(res, 401, nullptr, rpc::kInvalidRequest, c.error().message);
    return false;
  }
  *who = std::move(*c);
  return true;
}

// The session a request names; answers 400/403/404 itself.
std::shared_ptr<Session> HttpTransport::session_of(const httplib::Request& req,
                                                   httplib::Response& res, const json& id,
                                                   const Caller& who) {
  std::string sid = req.get_header_value(kSessionHeader);
  if (sid.empty()) {
    send_rpc_error(res, 400, id, rpc::kInvalidRequest,
                   "Bad Request: Mcp-Session-Id header is required");
    return nullptr;
  }
  auto s = gateway_.sessions().find(sid);
  if (!s) {
    send_rpc_error(res, 404, id, rpc::kInvalidRequest, "Session not found");
    return nullptr;
  }
  if (s->caller().id != who.id || s->caller().roles != who.roles) {
    send_rpc_error(res, 403, id, rpc::kInvalidRequest,
                   "Forbidden: this session belongs to another caller");
    return nullptr;
  }
  return s;
}

bool HttpTransport::version_ok(const httplib::Request& req, httplib::Response& res) {
  std::string v = req.get_header_value(kVersionHeader);
  if (v.empty() || supported_protocol_version(v)) return true;
  send_rpc_error(res, 400, nullptr, rpc::kInvalidRequest,
                 "Bad Request: unsupported MCP-Protocol-Version: " + v);
  return false;
}

// POST /mcp: one JSON-RPC message.
void HttpTransport::post_message(const httplib::Request& req, httplib::Response& res) {
  Caller who;
  if (!guard(req, res, &who)) return;
  auto cfg = gateway_.config();
  std::string ctype = req.get_header_value("Content-Type");
  if (ctype.find("application/json") == std::string::npos) {
    send_rpc_error(res, 415, nullptr, rpc::kInvalidRequest,
                   "Unsupported Media Type: Content-Type must be application/json");
    return;
  }
  bool json_ok = accepts(req, "application/json");
  bool sse_ok = accepts(req, "text/event-stream");
  if (!json_ok && !sse_ok) {
    send_rpc_error(res, 406, nullptr, rpc::kInvalidRequest,
                   "Not Acceptable: Accept must include application/json and text/event-stream");
    return;
  }
  auto doc = parse_bounded(req.body, cfg->server.max_json_depth);
  if (!doc) {
    send_rpc_error(res, 400, nullptr, rpc::kParseError, "Parse error: " + doc.error().message);
    return;
  }
  if (doc->is_array()) return post_batch(req, res, std::move(*doc), who);
  Message msg = read_message(std::move(*doc));
  if (msg.kind == MessageKind::invalid) {
    send_rpc_error(res, 400, msg.id, rpc::kInvalidRequest, msg.error);
    return;
  }
  if (StatelessFront::claims(msg) || is_modern_version(req.get_header_value(kVersionHeader)))
    return post_stateless(req, res, std::move(msg), who, sse_ok, json_ok);
  if (msg.opens_session()) return open_session(req, res, std::move(msg), who);
  if (!version_ok(req, res)) return;
  auto session = session_of(req, res, msg.id, who);
  if (!session) return;

  if (!msg.is_request()) {
    session->handle(std::move(msg), nullptr);
    res.status = 202;
    return;
  }
  // A 2025 client that lists SSE first gets it, as it has since 2025-03-26.
  std::string accept = req.get_header_value("Accept");
  bool prefers_sse = accept.find("text/event-stream") < accept.find("application/json");
  bool wants_stream = session->wants_stream(msg) || prefers_sse;
  answer(
      req, res, std::move(msg), wants_stream,
      [session](Message m, ClientStream* out) { return session->handle(std::move(m), out); },
      sse_ok, json_ok);
}

// A JSON-RPC batch: a 2025-03-26 session's, answered with one JSON array.
void HttpTransport::post_batch(const httplib::Request& req, httplib::Response& res, json batch,
                               const Caller& who) {
  if (!version_ok(req, res)) return;
  auto session = session_of(req, res, nullptr, who);
  if (!session) return;
  if (!accepts_batches(*session)) return send_json(res, 400, batch_refused(*session));
  auto replies = handle_batch(*session, std::move(batch), nullptr);
  if (!replies) {
    res.status = 202;
    return;
  }
  send_json(res, 200, *replies);
}

// initialize: a new session, whose id the answer's header carries.
void HttpTransport::open_session(const httplib::Request& req, httplib::Response& res, Message msg,
                                 const Caller& who) {
  auto cfg = gateway_.config();
  if (!req.get_header_value(kSessionHeader).empty()) {
    send_rpc_error(res, 400, msg.id, rpc::kInvalidRequest,
                   "Bad Request: initialize must not carry an Mcp-Session-Id");
    return;
  }
  SessionTable& sessions = gateway_.sessions();
  auto idle_limit = std::chrono::milliseconds(cfg->server.session_idle_timeout_ms);
  if (sessions.count() >= cfg->server.max_sessions) sessions.expire_idle(idle_limit);
  if (sessions.count() >= cfg->server.max_sessions) {
    send_rpc_error(res, 503, msg.id, rpc::kInternalError, "Too many sessions");
    return;
  }
  json id = msg.id;
  auto session = gateway_.open_session(who);
  auto reply = session->handle(std::move(msg), nullptr);
  if (!reply || reply->contains("error")) {
    sessions.end(session->id());
    send_json(res, 400, reply ? *reply : make_error(id, rpc::kInvalidRequest, "initialize failed"));
    return;
  }
  res.set_header(kSessionHeader, session->id());
  send_json(res, 200, *reply);
}

// A request's answer: one JSON body, or an SSE stream that carries the
// request's notifications and server-to-client requests first.
void HttpTransport::answer(const httplib::Request& req, httplib::Response& res, Message msg,
                           bool wants_stream, Handler handle, bool sse_ok, bool json_ok,
                           StatusOf status_of) {
  // Stream when the caller says the answer had better come as one (the
  // call will send progress, or may ask the client something on the way),
  // or when the client can only read streams; otherwise one plain JSON
  // answer is cheaper.
  if (!(sse_ok && (wants_stream || !json_ok))) {
    auto reply = handle(std::move(msg), nullptr);
    if (reply) {
      send_json(res, status_of ? status_of(*reply) : 200, *reply);
    } else {
      res.status = 204;  // cancelled: the client asked for no answer
    }
    return;
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      "text/event-stream",
      [handle = std::move(handle), msg = std::move(msg)](size_t, httplib::DataSink& sink) mutable {
        DirectStream chan([&sink](const std::string& ev) {
          return sink.is_writable() && sink.write(ev.data(), ev.size());
        });
        // Called once: the answer ends the stream (sink.done below).
        auto reply = handle(std::move(msg), &chan);
        if (reply) chan.send(*reply);
        sink.done();
        return true;
      });
}

// GET /mcp: the session's stream for messages outside any request.
void HttpTransport::open_stream(const httplib::Request& req, httplib::Response& res) {
  Caller who;
  if (!guard(req, res, &who)) return;
  if (refuse_stateless(req, res)) return;
  if (!accepts(req, "text/event-stream")) {
    send_rpc_error(res, 406, nullptr, rpc::kInvalidRequest,
                   "Not Acceptable: Accept must include text/event-stream");
    return;
  }
  if (!version_ok(req, res)) return;
  auto session = session_of(req, res, nullptr, who);
  if (!session) return;
  auto chan = std::make_shared<QueuedStream>();
  {
    std::lock_guard<std::mutex> lock(*stream_mu_);
    auto cur = std::dynamic_pointer_cast<QueuedStream>(session->default_stream());
    if (cur && !cur->closed()) {
      send_rpc_error(res, 409, nullptr, rpc::kInvalidRequest,
                     "Conflict: only one GET stream per session");
      return;
    }
    // Keep http_threads threads for POSTs, whatever the streams hold.
    auto& sv = gateway_.config()->server;
    int cap = std::max(1, sv.http_max_threads - sv.http_threads);
    if (gauges_->open_streams.load() >= cap) {
      res.set_header("Retry-After", "5");
      send_rpc_error(
          res, 503, nullptr, rpc::kInternalError,
          "Too many open GET streams (server.http_max_threads - http_threads); POST still works");
      return;
    }
    ++gauges_->open_streams;
    session->set_default_stream(chan);
  }
  res.set_header("Cache-Control", "no-cache");
  std::weak_ptr<Session> weak = session;
  res.set_chunked_content_provider(
      "text/event-stream",
      [weak, chan](size_t, httplib::DataSink& sink) {
        // An SSE comment first, so clients see the stream open at once.
        if (!sink.write(": stream open\n\n", 15)) return false;
        std::string ev;
        while (!chan->closed()) {
          auto s = weak.lock();
          if (!s) break;
          s->touch();  // an open stream keeps its session alive
          s.reset();
          if (chan->pop(&ev, kKeepaliveMs)) {
            if (!sink.write(ev.data(), ev.size())) break;
          } else if (!sink.is_writable() || !sink.write(": keepalive\n\n", 13)) {
            break;
          }
        }
        sink.done();
        return true;
      },
      [weak, chan, mu = stream_mu_, gauges = gauges_](bool) {
        chan->close();
        --gauges->open_streams;
        // Under the same lock as opening: a replacement stream opened
        // meanwhile must not be detached by this old one.
        std::lock_guard<std::mutex> lock(*mu);
        if (auto s = weak.lock()) {
          if (s->default_stream() == chan) s->set_default_stream(nullptr);
        }
      });
}

void HttpTransport::install_routes() {
  http_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, {{"status", "ok"}});
  });
  http_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    bool worker_ok = ::access(gateway_.pool().worker_path().c_str(), X_OK) == 0;
    send_json(res, worker_ok ? 200 : 503,
              {{"status", worker_ok ? "ready" : "worker binary missing"},
               {"tools", gateway_.generations().current().catalog->tools().size()}});
  });
  http_->Post("/mcp", [this](const httplib::Request& req, httplib::Response& res) {
    post_message(req, res);
  });
  http_->Get("/mcp", [this](const httplib::Request& req, httplib::Response& res) {
    open_stream(req, res);
  });
  http_->Delete("/mcp", [this](const httplib::Request& req, httplib::Response& res) {
    Caller who;
    if (!guard(req, res, &who)) return;
    if (refuse_stateless(req, res)) return;
    auto session = session_of(req, res, nullptr, who);
    if (!session) return;
    gateway_.sessions().end(session->id());
    res.status = 200;
  });

  auto guard = [this](const httplib::Request& req, httplib::Response& res, Caller* who) {
    return this->guard(req, res, who);
  };
  auto gauges = gauges_;
  install_admin_routes(*http_, gateway_, guard, [gauges] {
    return std::vector<Metrics::Sample>{
        {"toolgate_http_threads", "HTTP threads (each open connection holds one)", "gauge",
         double(gauges->threads.load())},
        {"toolgate_http_threads_busy", "HTTP threads serving a connection now", "gauge",
         double(gauges->busy.load())},
        {"toolgate_get_streams_open", "Open GET (SSE) streams", "gauge",
         double(gauges->open_streams.load())},
    };
  });

  auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Allow", "GET, POST, DELETE");
    send_rpc_error(res, 405, nullptr, rpc::kInvalidRequest, "Method Not Allowed");
  };
  http_->Put("/mcp", not_allowed);
  http_->Patch("/mcp", not_allowed);

  http_->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        }
        log::error("internal error in HTTP handler", {{"error", what}});
        send_rpc_error(res, 500, nullptr, rpc::kInternalError, "Internal error");
      });
}

}  // namespace toolgate
