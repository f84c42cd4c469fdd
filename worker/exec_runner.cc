#include "worker/exec_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "common/frame.h"
#include "common/json_limits.h"
#include "worker/net/egress_proxy.h"
#include "worker/net/http_fetch.h"
#include "worker/net/mcp_http_bridge.h"
#include "worker/sandbox/cgroup.h"
#include "worker/sandbox/contain.h"
#include "worker/sandbox/process_tree.h"
#include "worker/sandbox/sandbox_fs.h"

namespace toolgate::worker {
namespace {

using Clock = std::chrono::steady_clock;

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

int g_broker_fd = 3;

// In the contained child, the pipe carrying the exec request (see contain.cc).
constexpr int kExecRequestFd = 3;

// Resolves argv[0] against PATH from the tool's own environment, so a tool's
// PATH (not the worker's) decides which binary runs.
std::string resolve(const std::string& cmd, const std::vector<std::string>& envp) {
  if (cmd.find('/') != std::string::npos) return cmd;
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (auto& e : envp)
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string cand = dir + "/" + cmd;
    if (::access(cand.c_str(), X_OK) == 0) return cand;
    start = end + 1;
  }
  return cmd;
}

// Milliseconds left until `t`, at least 1 (a budget, never "no wait").
int ms_until(Clock::time_point t) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now()).count();
  return int(std::max<int64_t>(left, 1));
}

bool looks_like_oom(const WorkResult& r, const Limits& l) {
  if (r.outcome == Outcome::ok) return false;
  // The tool failed; did it die near its memory cap, or say it ran out?
  if (r.max_rss_kb * 2 >= uint64_t(l.memory_mb) * 1024) return true;
  static const char* kMarkers[] = {"MemoryError", "bad_alloc", "Cannot allocate memory",
                                   "out of memory", "Out of memory"};
  for (const char* m : kMarkers)
    if (r.stderr_tail.find(m) != std::string::npos) return true;
  return false;
}

}  // namespace

void set_broker_fd(int fd) { g_broker_fd = fd; }
int broker_fd() { return g_broker_fd; }

namespace {
// A connect request from the contained child (an HTTP request in the
// sandbox): pass it to the gateway's broker and the socket back.
void relay_connect_request(PreparedChild& pc, Clock::time_point deadline) {
  FrameRead r = read_frame(pc.broker_parent, 65536, 1000);
  if (r.status != FrameStatus::ok) {
    close_fd(pc.broker_parent);
    return;
  }
  json req = json::parse(r.payload, nullptr, false);
  const json c = req.is_object() ? req.value("connect", json()) : json();
  std::string host = c.is_object() ? c.value("host", "") : "";
  int port = c.is_object() ? c.value("port", 0) : 0;
  std::string why;
  int fd = request_connection(g_broker_fd, host, port, std::max(ms_until(deadline), 1), &why);
  if (fd >= 0) {
    write_frame_with_fd(pc.broker_parent, dump_safe({{"connected", true}}), fd);
    ::close(fd);
  } else {
    write_frame_with_fd(pc.broker_parent, dump_safe({{"connected", false}, {"reason", why}}), -1);
  }
}

// What the contained child does once contained: wait for the call, then
// become the tool (execve) or run our own HTTP code in its place. A failed
// step or exec is reported on the exec-status pipe (contain.h), never on
// stderr, which the tool owns.
[[noreturn]] void contained_child(const WorkOrder& profile, PreparedChild& pc) {
  close_fd(pc.go.w);
  close_fd(pc.in.w);
  close_fd(pc.out.r);
  close_fd(pc.err.r);
  close_fd(pc.status.r);
  ChildFds fds{pc.in.r, pc.out.w, pc.err.w, pc.go.r, pc.broker_child, pc.status.w};
  const char* step = "";
  if (int rc = contain_tool_process(profile, &fds, &step))
    report_step_failure(fds.status, StepFailure::setup, step, rc);
  // A profile with egress may get an HTTP order: load libcurl while
  // waiting, not on the call's path. (An exec replaces it all anyway.)
  if (profile.sandbox.egress) preload_http();
  // Contained; now wait for the call: what to exec arrives on fd 3.
  FrameRead req = read_frame(kExecRequestFd, 1 << 24, -1);
  json r = req.status == FrameStatus::ok ? json::parse(req.payload, nullptr, false) : json();
  if (!r.is_object()) ::_exit(0);  // the worker went away: nothing to run
  ::close(kExecRequestFd);
  // HTTP: requests come, and answers go, on the broker socket, whose
  // other end the worker hands to the gateway (hand_over_http).
  if (r.value("http_direct", false)) ::_exit(run_http_loop(4));
  if (r.contains("http") && r["http"].value("mcp_bridge", false)) run_mcp_http_bridge(r["http"], 4);
  if (r.contains("http")) ::_exit(run_http_request(r["http"], 4, r.value("timeout_ms", 30000)));
  std::string exe = r.value("exe", "");
  std::vector<std::string> args = r.value("argv", std::vector<std::string>{});
  std::vector<std::string> envs = r.value("env", std::vector<std::string>{});
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  ::execve(exe.c_str(), argv.data(), envp.data());
  report_step_failure(kExecStatusFd, StepFailure::exec, "exec", errno);
}

// The pipes and sockets between the worker and its contained child.
const char* open_channels(PreparedChild& pc) {
  if (!pc.in.open() || !pc.out.open() || !pc.err.open() || !pc.go.open()) return "pipe failed";
  // Non-blocking: it is read once the child is gone, and must not wait.
  if (!pc.status.open(O_NONBLOCK)) return "pipe failed";
  int bp[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, bp) != 0) return "socketpair failed";
  pc.broker_parent = bp[0];
  pc.broker_child = bp[1];
  return nullptr;
}

// The call cgroup, made before the child exists so it never runs uncapped.
std::string create_cgroup(const WorkOrder& profile, PreparedChild& pc) {
  const SandboxSpec& sb = profile.sandbox;
  std::string err_text;
  std::string name =
      (sb.cgroup_name.empty() ? "toolgate" : sb.cgroup_name) + "-w" + std::to_string(::getpid());
  // The private /tmp is tmpfs, charged to the cgroup: room for both.
  uint64_t cap = (uint64_t(profile.limits.memory_mb) + (sb.namespaces ? sb.tmp_mb : 0)) << 20;
  if (!pc.cgroup.create(name, cap, profile.limits.max_processes, &err_text))
    return "cgroup: " + err_text;
  return "";
}

// After clone, in the worker: the egress proxy in the child's network
// namespace, and references to its namespaces. "" or what failed.
std::string attach_namespaces(const SandboxSpec& sb, PreparedChild& pc) {
  const pid_t pid = pc.pid;
  if (sb.egress) {
    if (!sb.namespaces) return "egress needs the network namespace, which is unavailable";
    int fd = EgressProxy::listen_in_netns(pid, &pc.proxy_port);
    if (fd < 0) return std::string("egress proxy: ") + strerror(-fd);
    pc.proxy_fd = fd;
  }
  if (sb.namespaces) {
    for (const char* ns : {"mnt", "net", "ipc", "uts", "pid"}) {
      int fd = ::open(("/proc/" + std::to_string(pid) + "/ns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) pc.ns_fds.push_back(fd);
    }
  }
  return "";
}

// Puts the child in its cgroup and, without root, maps its identity.
// "" or what failed.
std::string place_child(const SandboxSpec& sb, PreparedChild& pc, uid_t outer_uid,
                        gid_t outer_gid) {
  std::string setup_error;
  if (sb.cgroups && !pc.cgroup.add(pc.pid, &setup_error)) return "cgroup: " + setup_error;
  if (!(clone_flags(sb) & CLONE_NEWUSER)) return "";
  std::string proc = "/proc/" + std::to_string(pc.pid);
  auto put = [&](const std::string& file, const std::string& text) {
    // One write(2): the kernel takes a uid map in a single write only.
    int fd = ::open((proc + "/" + file).c_str(), O_WRONLY | O_CLOEXEC);
    bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == ssize_t(text.size());
    if (fd >= 0) ::close(fd);
    if (!ok && setup_error.empty()) setup_error = "user namespace: cannot write " + file;
  };
  put("setgroups", "deny");
  put("uid_map", std::to_string(sb.uid) + " " + std::to_string(outer_uid) + " 1");
  put("gid_map", std::to_string(sb.gid) + " " + std::to_string(outer_gid) + " 1");
  return setup_error;
}

void kill_child(PreparedChild& pc) {
  ::kill(pc.pid, SIGKILL);
  ::waitpid(pc.pid, nullptr, 0);
  pc.pid = -1;
}

}  // namespace

std::unique_ptr<PreparedChild> prepare_child(const WorkOrder& profile) {
  auto pc = std::make_unique<PreparedChild>();
  auto fail = [&](std::string detail) {
    pc->failure.outcome = Outcome::spawn_failure;
    pc->failure.reason = EndReason::setup_failed;
    pc->failure.detail = std::move(detail);
    return std::move(pc);
  };
  const SandboxSpec& sb = profile.sandbox;
  if (const char* err = open_channels(*pc)) return fail(err);
  if (sb.namespaces && ::mkdir(sandbox_staging_dir(), 0700) != 0 && errno != EEXIST) {
    return fail(std::string("cannot create the sandbox staging directory: ") + strerror(errno));
  }
  if (sb.cgroups) {
    if (std::string err = create_cgroup(profile, *pc); !err.empty()) return fail(err);
  }
  // clone() rather than fork(): the namespaces are created with the child.
  // The worker is single-threaded, so the child may use the heap freely.
  const uid_t outer_uid = ::getuid();
  const gid_t outer_gid = ::getgid();
  pid_t pid =
      pid_t(::syscall(SYS_clone, SIGCHLD | clone_flags(sb), nullptr, nullptr, nullptr, nullptr));
  if (pid < 0) return fail(std::string("clone failed: ") + strerror(errno));
  if (pid == 0) contained_child(profile, *pc);
  pc->pid = pid;
  if (std::string err = attach_namespaces(sb, *pc); !err.empty()) {
    kill_child(*pc);
    return fail(err);
  }
  close_fd(pc->in.r);
  close_fd(pc->out.w);
  close_fd(pc->err.w);
  close_fd(pc->go.r);
  close_fd(pc->status.w);
  close_fd(pc->broker_child);
  // Until the go byte it waits, so nothing runs uncapped.
  if (std::string err = place_child(sb, *pc, outer_uid, outer_gid); !err.empty()) {
    kill_child(*pc);
    return fail(err);
  }
  char one = 1;
  ssize_t w = ::write(pc->go.w, &one, 1);
  (void)w;
  return pc;
}

void send_exec_request(const WorkOrder& order, PreparedChild& pc, bool with_proxy) {
  // What to run: the tool's PATH (not the worker's) resolves argv[0].
  std::vector<std::string> env_strings;
  for (auto& [k, v] : order.env) env_strings.push_back(k + "=" + v);
  if (with_proxy) {
    std::string url = "http://127.0.0.1:" + std::to_string(pc.proxy_port);
    for (const char* k : {"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"}) {
      env_strings.push_back(std::string(k) + "=" + url);
    }
  }
  json req;
  if (order.http.is_object()) {
    req = {{"http", order.http}, {"timeout_ms", order.limits.timeout_ms}};
  } else {
    pc.exe = resolve(order.argv[0], env_strings);
    req = {{"exe", pc.exe}, {"argv", order.argv}, {"env", env_strings}};
  }
  write_frame(pc.go.w, dump_safe(req));
  close_fd(pc.go.w);
}

bool take_start_failure(PreparedChild& pc, WorkResult* res) {
  auto f = read_step_failure(pc.status.r);
  close_fd(pc.status.r);
  if (!f) return false;
  res->outcome = Outcome::spawn_failure;
  res->reason = f->kind == StepFailure::exec ? EndReason::exec_failed : EndReason::setup_failed;
  std::string what = f->kind == StepFailure::exec ? "exec " + pc.exe : std::string(f->step);
  res->detail = truncate_utf8(sanitize_utf8(what), 400) + ": " + strerror(f->err);
  return true;
}

void relay_broker_request(PreparedChild& pc, int timeout_ms) {
  relay_connect_request(pc, Clock::now() + std::chrono::milliseconds(timeout_ms));
}

int hand_over_http(PreparedChild& pc, int gateway_fd) {
  if (!write_frame(pc.go.w, dump_safe({{"http_direct", true}}))) return 5;
  close_fd(pc.go.w);
  if (!write_frame_with_fd(gateway_fd, dump_safe({{"direct", true}}), pc.broker_parent)) return 4;
  close_fd(pc.broker_parent);
  for (int fd : {pc.out.r, pc.err.r}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  char buf[65536];
  for (;;) {
    // The child writes nothing here on purpose; whatever it writes is
    // drained so that it never blocks on a full pipe.
    pollfd fds[3] = {
        {pc.out.r, POLLIN, 0}, {pc.err.r, POLLIN, 0}, {gateway_fd, POLLIN | POLLRDHUP, 0}};
    int rc = ::poll(fds, 3, -1);
    if (rc < 0 && errno != EINTR) return 3;
    if (rc <= 0) continue;
    if (fds[2].revents) return 0;  // the gateway is done with this worker
    for (int i = 0; i < 2; ++i) {
      if (!fds[i].revents) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n == 0) return 0;  // the child is gone; the gateway sees its socket close
    }
  }
}

namespace {

// One call under supervision: what the poll loop keeps between rounds, and
// its steps, in the order run_exec takes them.
struct Supervisor {
  Supervisor(const WorkOrder& o, PreparedChild& p) : order(o), pc(p) {}
  const WorkOrder& order;
  PreparedChild& pc;
  const Limits& lim = order.limits;
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + std::chrono::milliseconds(lim.timeout_ms);
  std::unique_ptr<EgressProxy> proxy;
  int pidfd = -1;
  size_t stdin_off = 0;
  std::string stdout_buf, stderr_buf;
  uint64_t stderr_total = 0;
  bool exited = false, timed_out = false, over_output = false, gateway_gone = false;
  int wstatus = 0;
  rusage ru{};
  char buf[65536];

  // Egress: the tool reaches the world only through the proxy, which asks
  // the gateway's broker for every connection. Then the exec request goes
  // out, and the tool's stdin is fed as it reads.
  void begin() {
    if (pc.proxy_fd >= 0) {
      proxy = std::make_unique<EgressProxy>(pc.proxy_fd, g_broker_fd);
      pc.proxy_fd = -1;
    }
    send_exec_request(order, pc, proxy != nullptr);
    pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pc.pid, 0));
    fcntl(pc.in.w, F_SETFL, fcntl(pc.in.w, F_GETFL) | O_NONBLOCK);
    if (order.stdin_data.empty()) close_fd(pc.in.w);
  }

  bool running() const { return pc.out.r >= 0 || pc.err.r >= 0 || !exited; }

  void reap(int flags) {
    pid_t r = ::wait4(pc.pid, &wstatus, flags, &ru);
    if (r == pc.pid) exited = true;
  }

  // Appends to stdout; false once over the cap.
  bool take_stdout(size_t n) {
    if (stdout_buf.size() + n > lim.max_output_bytes) return false;
    stdout_buf.append(buf, n);
    return true;
  }

  // False when the call must end now (stdout over its cap).
  bool read_stdout() {
    ssize_t r = ::read(pc.out.r, buf, sizeof buf);
    if (r > 0) return take_stdout(size_t(r));
    if (r == 0 || (errno != EINTR && errno != EAGAIN)) close_fd(pc.out.r);
    return true;
  }

  // Keeps the tail only; false once the total is over the cap.
  bool read_stderr() {
    ssize_t r = ::read(pc.err.r, buf, sizeof buf);
    if (r > 0) {
      stderr_total += uint64_t(r);
      stderr_buf.append(buf, size_t(r));
      if (stderr_buf.size() > kStderrTailBytes * 2) {
        stderr_buf.erase(0, stderr_buf.size() - kStderrTailBytes);
      }
      return stderr_total <= lim.max_output_bytes;
    }
    if (r == 0 || (errno != EINTR && errno != EAGAIN)) close_fd(pc.err.r);
    return true;
  }

  void feed_stdin(short revents) {
    if (revents & (POLLERR | POLLHUP)) {
      close_fd(pc.in.w);  // the tool closed stdin without reading it all
      return;
    }
    const std::string& in = order.stdin_data;
    ssize_t w = ::write(pc.in.w, in.data() + stdin_off, in.size() - stdin_off);
    if (w > 0) stdin_off += size_t(w);
    if ((w < 0 && errno != EAGAIN && errno != EINTR) || stdin_off >= in.size()) close_fd(pc.in.w);
  }

  // One round of the loop. False when the call is over before the tool
  // and its pipes are done (deadline, output cap, gateway gone, poll error).
  bool step() {
    if (Clock::now() >= deadline) {
      timed_out = true;
      return false;
    }
    int wait_ms = ms_until(deadline) + 1;
    std::vector<pollfd> fds;
    auto add = [&](int fd, short ev) {
      fds.push_back({fd, ev, 0});
      return int(fds.size() - 1);
    };
    int i_out = pc.out.r >= 0 ? add(pc.out.r, POLLIN) : -1;
    int i_err = pc.err.r >= 0 ? add(pc.err.r, POLLIN) : -1;
    int i_in = pc.in.w >= 0 ? add(pc.in.w, POLLOUT) : -1;
    int i_pid = !exited && pidfd >= 0 ? add(pidfd, POLLIN) : -1;
    if (!exited && pidfd < 0) wait_ms = std::min(wait_ms, 10);
    // The gateway sends nothing during a call (broker answers are read
    // inline), so activity on the frame socket means it went away.
    int i_gw = add(g_broker_fd, POLLIN | POLLRDHUP);
    int i_broker = pc.broker_parent >= 0 ? add(pc.broker_parent, POLLIN) : -1;
    size_t proxy_first = fds.size();
    if (proxy) proxy->add_pollfds(&fds);
    int rc = ::poll(fds.data(), nfds_t(fds.size()), wait_ms);
    if (rc < 0 && errno != EINTR) return false;
    if (rc <= 0) {
      if (!exited && pidfd < 0) reap(WNOHANG);
      return true;
    }
    auto ready = [&](int i) { return i >= 0 && fds[size_t(i)].revents != 0; };
    if (ready(i_gw)) {
      gateway_gone = true;
      return false;
    }
    if (ready(i_broker)) relay_connect_request(pc, deadline);
    if (proxy)
      proxy->handle(fds.data() + proxy_first, fds.size() - proxy_first, ms_until(deadline));
    if ((ready(i_out) && !read_stdout()) || (ready(i_err) && !read_stderr())) {
      over_output = true;
      return false;
    }
    if (ready(i_in)) feed_stdin(fds[size_t(i_in)].revents);
    if (ready(i_pid)) {
      reap(WNOHANG);
      // The tool is gone. Children it left behind may still hold the pipes
      // open; kill them so the pipes reach EOF, then drain what is left.
      if (exited) kill_and_reap_all(500);
    }
    return true;
  }

  // Whatever ended the loop, nothing of the tool survives the call: the
  // tool is pid 1 of its pid namespace, so killing it kills the namespace;
  // the cgroup and the subreaper catch anything else. Returns whether the
  // cgroup saw an OOM kill.
  bool end_tool() {
    ::kill(pc.pid, SIGKILL);
    ::kill(-pc.pid, SIGKILL);
    pc.cgroup.kill_all();
    kill_and_reap_all(1000);
    if (!exited) reap(0);
    // The cgroup is empty now: read its OOM record and remove it before
    // answering (after the answer, a per_call worker is killed at once).
    pc.pid = -1;  // reaped: never signal this pid again
    const bool oom = order.sandbox.cgroups && pc.cgroup.oom_happened();
    pc.cgroup.destroy();
    // Drain anything already buffered in the pipes (writers are all dead now).
    for (int* fd : {&pc.out.r, &pc.err.r}) {
      while (*fd >= 0 && !over_output) {
        ssize_t r = ::read(*fd, buf, sizeof buf);
        if (r <= 0) break;
        if (fd == &pc.err.r) {
          stderr_buf.append(buf, size_t(r));
        } else if (!take_stdout(size_t(r))) {
          over_output = true;
        }
      }
      close_fd(*fd);
    }
    close_fd(pc.in.w);
    if (pidfd >= 0) ::close(pidfd);
    pidfd = -1;
    return oom;
  }

  // Outcome and reason, from what the loop saw, the exit status and the
  // exec-status pipe (read now that every writer of it is dead).
  void classify(WorkResult& res, bool oom) {
    if (gateway_gone) {
      res.outcome = Outcome::cancelled;
      res.reason = EndReason::gateway_gone;
      res.detail = "gateway gone";
      return;
    }
    if (take_start_failure(pc, &res)) return;
    auto set = [&](Outcome o, EndReason r, const char* detail = "") {
      res.outcome = o;
      res.reason = r;
      res.detail = detail;
    };
    if (timed_out) {
      set(Outcome::timeout, EndReason::wall_clock_limit);
    } else if (over_output) {
      set(Outcome::over_output, EndReason::output_limit);
    } else if (res.signal == SIGXCPU) {
      set(Outcome::timeout, EndReason::cpu_limit, "cpu time limit");
    } else if (res.signal == SIGXFSZ) {
      set(Outcome::over_output, EndReason::file_size_limit, "file size limit");
    } else if (res.signal != 0) {
      set(Outcome::signaled, EndReason::none);
    } else {
      set(res.exit_code == 0 ? Outcome::ok : Outcome::tool_error, EndReason::none);
    }
    if (res.outcome != Outcome::tool_error && res.outcome != Outcome::signaled) return;
    if (oom) {
      set(Outcome::over_memory, EndReason::memory_limit);
    } else if (looks_like_oom(res, lim)) {
      set(Outcome::over_memory, EndReason::memory_suspected);
    }
  }

  WorkResult result(bool oom) {
    WorkResult res;
    res.duration_ms = uint64_t(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
    res.max_rss_kb = uint64_t(ru.ru_maxrss);
    if (stderr_buf.size() > kStderrTailBytes) {
      stderr_buf.erase(0, stderr_buf.size() - kStderrTailBytes);
    }
    res.stderr_tail = sanitize_utf8(stderr_buf);
    if (exited && WIFEXITED(wstatus)) res.exit_code = WEXITSTATUS(wstatus);
    if (exited && WIFSIGNALED(wstatus)) res.signal = WTERMSIG(wstatus);
    classify(res, oom);
    if (res.outcome != Outcome::over_output) {
      // Parse in the worker: untrusted bytes never reach the gateway's parser
      // except inside this one bounded frame.
      auto parsed = parse_bounded(stdout_buf, 64);
      if (parsed && !stdout_buf.empty()) {
        res.stdout_json = std::move(*parsed);
        res.stdout_is_json = true;
      } else {
        res.stdout_text = sanitize_utf8(stdout_buf);
      }
    }
    return res;
  }
};

}  // namespace

WorkResult run_exec(const WorkOrder& order, PreparedChild& pc) {
  if (pc.pid < 0) return pc.failure;
  Supervisor s(order, pc);
  s.begin();
  while (s.running() && s.step()) {
  }
  const bool oom = s.end_tool();
  return s.result(oom);
}

}  // namespace toolgate::worker
