#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>

#include "common/io.h"
#include "common/log.h"
#include "gateway/protocol/batch.h"
#include "gateway/protocol/jsonrpc.h"
#include "gateway/protocol/stateless.h"
#include "gateway/transport/elastic_pool.h"
#include "gateway/transport/transport.h"

namespace toolgate {
namespace {

class FdStream : public ClientStream {
 public:
  explicit FdStream(int fd) : fd_(fd) {}
  bool send(const json& msg) override {
    std::string line = dump_safe(msg);
    line += '\n';
    std::lock_guard<std::mutex> lock(mu_);  // one message per line, never interleaved
    return write_all(fd_, line);
  }

 private:
  int fd_;
  std::mutex mu_;
};

// Counts running calls so shutdown can wait for them.
class CallThreads {
 public:
  // False (and nothing counted) when `limit` calls are already running.
  bool try_start(int limit) {
    std::lock_guard<std::mutex> l(mu_);
    if (n_ >= limit) return false;
    ++n_;
    return true;
  }
  void finished() {
    std::lock_guard<std::mutex> l(mu_);
    if (--n_ == 0) cv_.notify_all();
  }
  // True once none is running.
  bool wait_all(int ms) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::milliseconds(ms), [&] { return n_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_ = 0;
};

// Splits a byte stream into lines of at most `max_line` bytes. The rest of
// a longer line is skipped, and said once, so a client cannot make the
// gateway buffer without bound.
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line) : max_line_(max_line) {}

  template <typename OnLine, typename OnTooLong>
  void feed(const char* data, size_t n, OnLine&& on_line, OnTooLong&& on_too_long) {
    size_t start = 0;
    for (size_t i = 0; i < n; ++i) {
      if (data[i] != '\n') continue;
      if (!discarding_) {
        line_.append(data + start, i - start);
        on_line(line_);
      }
      discarding_ = false;
      line_.clear();
      start = i + 1;
    }
    if (discarding_) return;
    line_.append(data + start, n - start);
    if (line_.size() > max_line_) {
      on_too_long();
      discarding_ = true;
      line_.clear();
      line_.shrink_to_fit();
    }
  }
  // The last line, when the input ends without a newline.
  template <typename OnLine>
  void finish(OnLine&& on_line) {
    if (!discarding_ && !line_.empty()) on_line(line_);
  }

 private:
  const size_t max_line_;
  std::string line_;
  bool discarding_ = false;  // skipping the rest of an oversized line
};

}  // namespace

StdioTransport::StdioTransport(Gateway& gateway, Caller caller, int in_fd, int out_fd)
    : gateway_(gateway), caller_(std::move(caller)), in_fd_(in_fd), out_fd_(out_fd) {
  if (::pipe2(wake_, O_CLOEXEC) != 0) wake_[0] = wake_[1] = -1;
}

StdioTransport::~StdioTransport() {
  for (int fd : wake_)
    if (fd >= 0) ::close(fd);
}

void StdioTransport::stop() {
  if (wake_[1] >= 0) {
    char c = 1;
    ssize_t w = ::write(wake_[1], &c, 1);
    (void)w;
  }
}

bool StdioTransport::read_input(const std::function<void(const char*, size_t)>& feed) {
  char chunk[65536];
  for (;;) {
    pollfd fds[2] = {{in_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    int rc = ::poll(fds, wake_[0] >= 0 ? 2 : 1, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0 || (wake_[0] >= 0 && fds[1].revents)) return true;
    ssize_t n = ::read(in_fd_, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return false;
    feed(chunk, size_t(n));
  }
}

int StdioTransport::run() {
  auto out = std::make_shared<FdStream>(out_fd_);
  auto session = gateway_.open_session(caller_);
  session->set_default_stream(out);
  auto calls = std::make_shared<CallThreads>();
  // Call threads are kept for the next call (starting one costs more than
  // a short call's whole gateway side); try_start bounds how many run.
  auto* threads = new ElasticPool(2, 1 << 16);
  const size_t max_line = gateway_.config()->server.max_body_bytes;
  // Both eras on one pipe, chosen per message: a 2026-07-28 request carries
  // its envelope and needs no session; everything else is the session's.
  StatelessFront& front = gateway_.stateless();
  auto handle = [session, out, &front, caller = caller_](Message m) -> std::optional<json> {
    if (StatelessFront::claims(m)) return front.handle(std::move(m), caller, out.get());
    return session->handle(std::move(m), nullptr);
  };

  // A batch (2025-03-26 only) runs on a call thread: it may hold calls.
  auto run_batch = [&](json batch) {
    if (!accepts_batches(*session)) return (void)out->send(batch_refused(*session));
    if (!calls->try_start(std::max(64, gateway_.config()->workers.max_concurrent * 4)))
      return (void)out->send(
          make_error(nullptr, rpc::kInternalError, "too many calls in flight; retry later"));
    threads->enqueue([session, out, calls, batch = std::move(batch)]() mutable {
      if (auto replies = handle_batch(*session, std::move(batch), nullptr)) out->send(*replies);
      calls->finished();
    });
  };

  auto process_line = [&](std::string& line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) return;
    auto doc = parse_bounded(line, gateway_.config()->server.max_json_depth);
    if (!doc) {
      out->send(make_error(nullptr, rpc::kParseError, "parse error: " + doc.error().message));
      return;
    }
    if (doc->is_array()) return run_batch(std::move(*doc));
    Message msg = read_message(std::move(*doc));
    // Calls can run for a long time and may need answers from the client
    // meanwhile, so they get a thread of their own; everything else is quick.
    if (!msg.is_request() ||
        !(Dispatcher::cancellable(msg.method) || StatelessFront::holds_open(msg))) {
      if (auto reply = handle(std::move(msg))) out->send(*reply);
      return;
    }
    // A client cannot make the gateway hold unbounded threads: past a few
    // times the worker limit, calls are refused at once.
    int limit = std::max(64, gateway_.config()->workers.max_concurrent * 4);
    if (!calls->try_start(limit)) {
      out->send(
          make_error(msg.id, rpc::kInternalError,
                     "too many calls in flight (" + std::to_string(limit) + "); retry later"));
      return;
    }
    threads->enqueue([handle, out, calls, msg = std::move(msg)]() mutable {
      if (auto reply = handle(std::move(msg))) out->send(*reply);
      calls->finished();
    });
  };

  LineSplitter lines(max_line);
  auto too_long = [&] {
    out->send(make_error(nullptr, rpc::kParseError,
                         "message larger than " + std::to_string(max_line) + " bytes"));
  };
  bool stopped =
      read_input([&](const char* data, size_t n) { lines.feed(data, n, process_line, too_long); });
  // On stop() (a signal), calls in flight are cancelled and their workers
  // killed. On end of input, a final unterminated line still counts, and
  // calls in flight may finish: `echo '{...}' | toolgate serve --stdio`
  // must get its answer.
  // Open subscriptions/listen requests end with the input: nothing more
  // will be asked, and their graceful-close results can still be written.
  front.listeners().close_all();
  bool all_done;
  if (stopped) {
    session->close();
    all_done = calls->wait_all(5000);
  } else {
    lines.finish(process_line);
    auto cfg = gateway_.config();
    calls->wait_all(int(cfg->workers.defaults.timeout_ms) + 5000);
    session->close();
    all_done = calls->wait_all(5000);
  }
  // Joins the idle threads. A call that would not end keeps its thread, and
  // so the pool, for the rest of the process (which is ending).
  if (all_done) delete threads;
  gateway_.sessions().end(session->id());
  return 0;
}

}  // namespace toolgate
