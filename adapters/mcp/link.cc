#include "adapters/mcp/link.h"

#include <sys/socket.h>
#include <unistd.h>

#include "common/frame.h"
#include "common/log.h"
#include "gateway/workers/worker_pool.h"

namespace toolgate::mcp {
namespace {

// A relayed message is at most the server's max_output_bytes, re-encoded.
constexpr uint32_t kMaxFrameBytes = 128u << 20;
// Non-JSON stdout lines logged per second at most (the worker rate-limits
// too; this keeps the log readable whatever the worker does).
constexpr int kNoisePerSecond = 20;

}  // namespace

Result<std::shared_ptr<StdioLink>> StdioLink::start(const Launcher& launcher, WorkOrder order,
                                                    const std::string& source,
                                                    LinkHandlers handlers) {
  auto egress = EgressPolicy::parse(order.egress_allow);
  if (!egress) return egress.error();
  auto w = launcher.spawn();
  if (!w) return w.error();
  std::shared_ptr<StdioLink> link(new StdioLink());
  link->launcher_ = &launcher;
  link->source_ = source;
  link->handlers_ = std::move(handlers);
  link->worker_ = *w;
  link->egress_ = std::move(*egress);
  order.serve = true;  // its sandbox was fixed at load (McpAdapter::load)
  if (!write_frame(w->fd, dump_safe(order.to_json()))) {
    link->close();
    return Error{rpc::kInternalError, "the worker for '" + source + "' went away at once"};
  }
  link->reader_ = std::thread([l = link] { l->read_loop(); });
  link->broker_ = std::thread([l = link] { l->broker_loop(); });
  link->writer_ = std::thread([l = link] { l->write_loop(); });
  return link;
}

StdioLink::~StdioLink() { close(); }

bool StdioLink::send(const json& msg) {
  std::string frame = dump_safe({{"send", msg}});
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return false;
    if (out_bytes_ + frame.size() <= kMaxQueuedBytes) {
      out_bytes_ += frame.size();
      out_.push_back(std::move(frame));
      out_cv_.notify_one();
      return true;
    }
  }
  log::warn("upstream server does not read its input; it is stopped", {{"source", source_}});
  close();
  return false;
}

void StdioLink::write_loop() {
  for (;;) {
    std::string frame;
    {
      std::unique_lock<std::mutex> lock(mu_);
      out_cv_.wait(lock, [&] { return closed_ || !out_.empty(); });
      if (closed_) return;
      frame = std::move(out_.front());
      out_.pop_front();
      out_bytes_ -= frame.size();
    }
    if (!write_frame(worker_.fd, frame)) return;
  }
}

void StdioLink::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_.exchange(true)) return;
    out_.clear();
    out_bytes_ = 0;
  }
  out_cv_.notify_all();
  if (worker_.pid > 0) {
    // The worker kills the server (its pid namespace and cgroup) when its
    // socket closes; retire() gives it a moment to, then makes sure.
    ::shutdown(worker_.fd, SHUT_RDWR);
    if (worker_.broker_fd >= 0) ::shutdown(worker_.broker_fd, SHUT_RDWR);
    launcher_->retire(worker_.pid);
  }
  // The caller may be one of the threads (a callback that closes the link):
  // that one is left to finish; it holds the link until it does.
  for (std::thread* t : {&reader_, &broker_, &writer_}) {
    if (!t->joinable()) continue;
    if (t->get_id() == std::this_thread::get_id())
      t->detach();
    else
      t->join();
  }
  // No thread uses the fds any more (a detached one only returns).
  if (worker_.fd >= 0) ::close(worker_.fd);
  if (worker_.broker_fd >= 0) ::close(worker_.broker_fd);
  worker_.fd = worker_.broker_fd = -1;
}

void StdioLink::read_loop() {
  std::string why = "the server's worker went away";
  int noise_budget = kNoisePerSecond;
  auto budget_at = std::chrono::steady_clock::now();
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
      auto now = std::chrono::steady_clock::now();
      if (now - budget_at >= std::chrono::seconds(1)) {
        budget_at = now;
        noise_budget = kNoisePerSecond;
      }
      if (noise_budget-- > 0)
        log::warn("upstream wrote a line that is not JSON-RPC",
                  {{"source", source_}, {"line", *n}});
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
