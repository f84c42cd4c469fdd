#include "adapters/mcp/link.h"

#include <sys/socket.h>
#include <unistd.h>

#include "toolgate/frame.h"
#include "toolgate/log.h"
#include "toolgate/worker_pool.h"

namespace toolgate::mcp {
namespace {

// A relayed message is at most the server's max_output_bytes, re-encoded.
constexpr uint32_t kMaxFrameBytes = 128u << 20;

}  // namespace

Result<std::unique_ptr<StdioLink>> StdioLink::start(const Launcher& launcher, WorkOrder order,
                                                    const std::string& source,
                                                    LinkHandlers handlers) {
  auto egress = EgressPolicy::parse(order.egress_allow);
  if (!egress) return egress.error();
  auto w = launcher.spawn();
  if (!w) return w.error();
  std::unique_ptr<StdioLink> link(new StdioLink());
  link->launcher_ = &launcher;
  link->source_ = source;
  link->handlers_ = std::move(handlers);
  link->worker_ = *w;
  link->egress_ = std::move(*egress);
  order.serve = true;
  order.sandbox = launcher.sandbox_for(order.sandbox);
  if (!write_frame(w->fd, dump_safe(order.to_json()))) {
    link->close();
    return Error{rpc::kInternalError, "the worker for '" + source + "' went away at once"};
  }
  link->reader_ = std::thread([l = link.get()] { l->read_loop(); });
  link->broker_ = std::thread([l = link.get()] { l->broker_loop(); });
  return link;
}

StdioLink::~StdioLink() { close(); }

bool StdioLink::send(const json& msg) {
  if (closed_) return false;
  std::lock_guard<std::mutex> lock(write_mu_);
  return write_frame(worker_.fd, dump_safe({{"send", msg}}));
}

void StdioLink::close() {
  std::lock_guard<std::mutex> lock(close_mu_);
  bool was_closed = closed_.exchange(true);
  if (!was_closed && worker_.pid > 0) {
    // The worker kills the server when its socket closes; retire() makes
    // sure of it and reaps the worker.
    ::shutdown(worker_.fd, SHUT_RDWR);
    if (worker_.broker_fd >= 0) ::shutdown(worker_.broker_fd, SHUT_RDWR);
    launcher_->retire(worker_.pid);
  }
  // The reader may be the caller (a callback that closes the link).
  for (std::thread* t : {&reader_, &broker_}) {
    if (!t->joinable()) continue;
    if (t->get_id() == std::this_thread::get_id())
      t->detach();
    else
      t->join();
  }
  if (worker_.fd >= 0) ::close(worker_.fd);
  if (worker_.broker_fd >= 0) ::close(worker_.broker_fd);
  worker_.fd = worker_.broker_fd = -1;
}

void StdioLink::read_loop() {
  std::string why = "the server's worker went away";
  for (;;) {
    FrameRead in = read_frame(worker_.fd, kMaxFrameBytes, -1);
    if (in.status != FrameStatus::ok) break;
    auto doc = parse_bounded(in.payload, 128);
    if (!doc || !doc->is_object()) continue;
    if (auto m = doc->find("msg"); m != doc->end()) {
      if (!closed_ && handlers_.on_message) handlers_.on_message(std::move(*m));
    } else if (auto e = doc->find("stderr"); e != doc->end() && e->is_string()) {
      log::info("upstream stderr", {{"source", source_}, {"line", *e}});
    } else if (auto n = doc->find("noise"); n != doc->end() && n->is_string()) {
      log::warn("upstream wrote a line that is not JSON-RPC", {{"source", source_}, {"line", *n}});
    } else if (auto x = doc->find("exit"); x != doc->end() && x->is_object()) {
      why = "the server exited";
      if (x->contains("exit_code")) why += " with code " + dump_safe((*x)["exit_code"]);
      if (x->contains("signal")) why += " on signal " + dump_safe((*x)["signal"]);
      if (x->value("oom", false)) why += " (out of memory)";
      if (x->contains("reason") && (*x)["reason"].is_string())
        why += ": " + (*x)["reason"].get<std::string>();
      std::string tail = x->value("stderr_tail", "");
      log::warn("upstream server ended", {{"source", source_}, {"why", why}, {"stderr", tail}});
      break;
    }
  }
  if (!closed_ && handlers_.on_closed) handlers_.on_closed(why);
}

void StdioLink::broker_loop() {
  // The server's outbound connections, decided by this source's allow-list.
  for (;;) {
    FrameRead in = read_frame(worker_.broker_fd, 65536, -1);
    if (in.status != FrameStatus::ok) return;
    auto doc = parse_bounded(in.payload, 16);
    if (!doc || !doc->is_object() || !doc->contains("connect")) return;
    broker_connect(*egress_, (*doc)["connect"], worker_.broker_fd, 10000);
  }
}

}  // namespace toolgate::mcp
