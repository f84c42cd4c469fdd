#include "worker/stdio_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/frame.h"
#include "worker/net/egress_proxy.h"
#include "worker/sandbox/process_tree.h"

namespace toolgate::worker {
namespace {

using Clock = std::chrono::steady_clock;

// Messages from the gateway are JSON-RPC messages, bounded like any order.
constexpr uint32_t kMaxFrameBytes = 64u << 20;
// Lines written to stdin but not yet read by the server: past this, it is
// not reading, and it is stopped rather than letting memory grow.
constexpr size_t kMaxPendingStdin = 64u << 20;
// stderr lines passed on for the gateway's log, per second at most.
constexpr int kStderrLinesPerSecond = 20;
constexpr size_t kStderrLineBytes = 500;

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

struct Relay {
  Relay(const WorkOrder& o, PreparedChild& p, int fd) : order(o), pc(p), frame_fd(fd) {}
  const WorkOrder& order;
  PreparedChild& pc;
  int frame_fd;
  const size_t max_line = order.limits.max_output_bytes;
  std::string to_child, from_child, err_line, err_tail;
  std::string exit_reason;
  int stderr_budget = kStderrLinesPerSecond;
  Clock::time_point budget_at = Clock::now();
  std::unique_ptr<EgressProxy> proxy;
  int pidfd = -1;
  bool gateway_gone = false, exited = false;
  int wstatus = 0;
  char buf[65536];

  bool send(const json& frame) { return write_frame(frame_fd, dump_safe(frame)); }

  // Lines for the gateway's log (stderr, and stdout that is not JSON), per
  // second at most: a server cannot flood the log.
  bool take_budget() {
    auto now = Clock::now();
    if (now - budget_at >= std::chrono::seconds(1)) {
      budget_at = now;
      stderr_budget = kStderrLinesPerSecond;
    }
    if (stderr_budget <= 0) return false;
    --stderr_budget;
    return true;
  }

  // Complete lines of the server's stdout: each must be one JSON value.
  // They are parsed here, so the gateway only ever sees bounded JSON.
  void lines_out() {
    size_t start = 0;
    for (size_t nl; (nl = from_child.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(from_child.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      auto msg = parse_bounded(line, 64);
      if (msg) {
        send({{"msg", std::move(*msg)}});
      } else if (take_budget()) {
        send({{"noise", sanitize_utf8(truncate_utf8(line, kStderrLineBytes))}});
      }
    }
    from_child.erase(0, start);
  }

  void lines_err(bool flush) {
    size_t start = 0;
    for (size_t nl; (nl = err_line.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = err_line.substr(start, nl - start);
      if (!line.empty() && take_budget())
        send({{"stderr", sanitize_utf8(truncate_utf8(line, kStderrLineBytes))}});
    }
    err_line.erase(0, start);
    if (flush || err_line.size() > 65536) err_line.clear();
  }

  // Egress through the proxy, the exec request, and non-blocking pipes.
  void begin() {
    if (pc.proxy_fd >= 0) {
      proxy = std::make_unique<EgressProxy>(pc.proxy_fd, broker_fd());
      pc.proxy_fd = -1;
    }
    send_exec_request(order, pc, proxy != nullptr);
    pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pc.pid, 0));
    for (int fd : {pc.in.w, pc.out.r, pc.err.r})
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  }

  // Every frame already waiting, not just one: the gateway must never
  // find this side slower to read than the server is to write.
  void take_frames() {
    for (bool more = true; more;) {
      FrameRead in = read_frame(frame_fd, kMaxFrameBytes, 5000);
      if (in.status != FrameStatus::ok) {
        gateway_gone = true;
        return;
      }
      auto doc = parse_bounded(in.payload, 128);
      if (doc && doc->is_object() && doc->contains("send"))
        to_child += dump_safe((*doc)["send"]) + "\n";
      pollfd again{frame_fd, POLLIN, 0};
      more = ::poll(&again, 1, 0) > 0 && to_child.size() <= kMaxPendingStdin;
    }
  }

  void write_stdin() {
    ssize_t w = ::write(pc.in.w, to_child.data(), to_child.size());
    if (w > 0) to_child.erase(0, size_t(w));
    if (w < 0 && errno != EAGAIN && errno != EINTR) close_fd(pc.in.w);
  }

  // False when a line outgrew the message limit.
  bool read_stdout() {
    ssize_t n = ::read(pc.out.r, buf, sizeof buf);
    if (n > 0) {
      from_child.append(buf, size_t(n));
      lines_out();
      if (from_child.size() > max_line) {
        exit_reason = "a message larger than " + std::to_string(max_line) + " bytes";
        return false;
      }
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      close_fd(pc.out.r);
    }
    return true;
  }

  void read_stderr() {
    ssize_t n = ::read(pc.err.r, buf, sizeof buf);
    if (n > 0) {
      err_line.append(buf, size_t(n));
      err_tail.append(buf, size_t(n));
      if (err_tail.size() > 8192) err_tail.erase(0, err_tail.size() - 4096);
      lines_err(false);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      close_fd(pc.err.r);
    }
  }

  // One round of relaying. False when the relay is over.
  bool step() {
    std::vector<pollfd> fds;
    auto add = [&](int fd, short ev) {
      fds.push_back({fd, ev, 0});
      return int(fds.size() - 1);
    };
    int i_gw = add(frame_fd, POLLIN);
    int i_out = pc.out.r >= 0 ? add(pc.out.r, POLLIN) : -1;
    int i_err = pc.err.r >= 0 ? add(pc.err.r, POLLIN) : -1;
    int i_in = pc.in.w >= 0 && !to_child.empty() ? add(pc.in.w, POLLOUT) : -1;
    int i_pid = pidfd >= 0 ? add(pidfd, POLLIN) : -1;
    int i_broker = pc.broker_parent >= 0 ? add(pc.broker_parent, POLLIN) : -1;
    size_t proxy_first = fds.size();
    if (proxy) proxy->add_pollfds(&fds);
    int rc = ::poll(fds.data(), nfds_t(fds.size()), pidfd >= 0 ? -1 : 100);
    if (rc < 0 && errno != EINTR) return false;
    if (pidfd < 0 && ::waitpid(pc.pid, &wstatus, WNOHANG) == pc.pid) exited = true;
    if (rc <= 0) return true;
    auto ready = [&](int i) { return i >= 0 && fds[size_t(i)].revents != 0; };
    if (ready(i_gw)) take_frames();
    if (gateway_gone) return false;
    if (to_child.size() > kMaxPendingStdin) {
      exit_reason = "the server stopped reading its input";
      return false;
    }
    if (ready(i_broker)) relay_broker_request(pc, 10000);
    if (proxy) proxy->handle(fds.data() + proxy_first, fds.size() - proxy_first, 10000);
    if (ready(i_in)) write_stdin();
    if (ready(i_out) && !read_stdout()) return false;
    if (ready(i_err)) read_stderr();
    if (ready(i_pid) && ::waitpid(pc.pid, &wstatus, WNOHANG) == pc.pid) exited = true;
    return true;
  }

  // The server is pid 1 of its namespace: killing it ends every process it
  // started; the cgroup and the subreaper catch the rest. Returns whether
  // the cgroup saw an OOM kill.
  bool end() {
    ::kill(pc.pid, SIGKILL);
    ::kill(-pc.pid, SIGKILL);
    pc.cgroup.kill_all();
    kill_and_reap_all(1000);
    if (!exited) ::waitpid(pc.pid, &wstatus, 0);
    pc.pid = -1;
    bool oom = order.sandbox.cgroups && pc.cgroup.oom_happened();
    pc.cgroup.destroy();
    if (pidfd >= 0) ::close(pidfd);
    pidfd = -1;
    return oom;
  }

  // How the server ended, for the gateway, with what it printed before.
  json exit_info(bool oom) {
    for (ssize_t n; pc.out.r >= 0 && (n = ::read(pc.out.r, buf, sizeof buf)) > 0;) {
      from_child.append(buf, size_t(n));
      if (from_child.size() > max_line) break;
      lines_out();
    }
    lines_err(true);
    json info = {{"stderr_tail",
                  sanitize_utf8(err_tail.size() > 2048 ? err_tail.substr(err_tail.size() - 2048)
                                                       : err_tail)}};
    // A server that never started says so on its exec-status pipe, not by
    // its exit code or stderr (which a server could fake).
    WorkResult start;
    if (take_start_failure(pc, &start)) {
      info["reason"] = start.detail;
      info["end_reason"] = std::string(to_string(start.reason));
    } else if (!exit_reason.empty()) {
      info["reason"] = exit_reason;
    }
    if (WIFEXITED(wstatus)) info["exit_code"] = WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus)) info["signal"] = WTERMSIG(wstatus);
    if (oom) info["oom"] = true;
    return info;
  }
};

}  // namespace

int serve_stdio(const WorkOrder& order, PreparedChild& pc, int frame_fd) {
  if (pc.pid < 0) {
    write_frame(frame_fd,
                dump_safe({{"exit",
                            {{"reason", pc.failure.detail},
                             {"end_reason", std::string(to_string(pc.failure.reason))}}}}));
    return 0;
  }
  Relay r(order, pc, frame_fd);
  r.begin();
  while (!r.exited && !r.gateway_gone && r.step()) {
  }
  const bool oom = r.end();
  if (r.gateway_gone) return 0;
  r.send({{"exit", r.exit_info(oom)}});
  return 0;
}

}  // namespace toolgate::worker
