#include "exec_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "cgroup.h"
#include "contain.h"
#include "process_tree.h"
#include "sandbox_fs.h"

namespace toolgate::worker {
namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  int r = -1, w = -1;
  bool open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    r = fds[0];
    w = fds[1];
    return true;
  }
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

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

WorkResult run_exec(const WorkOrder& order) {
  WorkResult res;
  const Limits& lim = order.limits;
  auto start = Clock::now();
  auto deadline = start + std::chrono::milliseconds(lim.timeout_ms);

  // Everything the child needs is prepared before fork: after fork only
  // async-signal-safe calls are made.
  std::vector<std::string> env_strings;
  for (auto& [k, v] : order.env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string exe = resolve(order.argv[0], env_strings);
  std::vector<std::string> argv_strings = order.argv;
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  Pipe in, out, err, go;
  if (!in.open() || !out.open() || !err.open() || !go.open()) {
    res.outcome = Outcome::spawn_failure;
    res.detail = "pipe failed";
    return res;
  }
  const SandboxSpec& sb = order.sandbox;
  if (sb.namespaces && ::mkdir(sandbox_staging_dir(), 0700) != 0 && errno != EEXIST) {
    res.outcome = Outcome::spawn_failure;
    res.detail = std::string("cannot create the sandbox staging directory: ") + strerror(errno);
    return res;
  }
  CallCgroup cgroup;
  if (sb.cgroups) {
    std::string err_text;
    std::string name =
        (sb.cgroup_name.empty() ? "toolgate" : sb.cgroup_name) + "-w" + std::to_string(::getpid());
    // The private /tmp is tmpfs, charged to the cgroup: room for both.
    uint64_t cap = (uint64_t(lim.memory_mb) + (sb.namespaces ? sb.tmp_mb : 0)) << 20;
    if (!cgroup.create(name, cap, lim.max_processes, &err_text)) {
      res.outcome = Outcome::spawn_failure;
      res.detail = "cgroup: " + err_text;
      return res;
    }
  }

  // clone() rather than fork(): the namespaces are created with the child.
  // The worker is single-threaded, so the child may use the heap freely.
  const uid_t outer_uid = ::getuid();
  const gid_t outer_gid = ::getgid();
  pid_t pid =
      pid_t(::syscall(SYS_clone, SIGCHLD | clone_flags(sb), nullptr, nullptr, nullptr, nullptr));
  if (pid < 0) {
    res.outcome = Outcome::spawn_failure;
    res.detail = std::string("clone failed: ") + strerror(errno);
    return res;
  }
  if (pid == 0) {
    const char* step = "";
    close_fd(go.w);
    ChildFds fds{in.r, out.w, err.w, go.r};
    int rc = contain_tool_process(order, fds, &step);
    if (rc == 0) {
      // A failure here is reported as exit 127 plus a marked stderr line,
      // which the parent turns into spawn_failure.
      ::execve(exe.c_str(), argv.data(), envp.data());
      rc = errno;
      step = "exec";
    }
    dprintf(2, "toolgate-worker: %s failed: %s\n", step, strerror(rc));
    ::_exit(127);
  }
  close_fd(in.r);
  close_fd(out.w);
  close_fd(err.w);
  close_fd(go.r);
  // Put the child in its cgroup and, without root, map its identity; then
  // let it go on. Until then it waits, so nothing runs uncapped.
  {
    std::string setup_error;
    if (sb.cgroups && !cgroup.add(pid, &setup_error)) setup_error = "cgroup: " + setup_error;
    if (setup_error.empty() && (clone_flags(sb) & CLONE_NEWUSER)) {
      std::string proc = "/proc/" + std::to_string(pid);
      auto put = [&](const std::string& file, const std::string& text) {
        int fd = ::open((proc + "/" + file).c_str(), O_WRONLY | O_CLOEXEC);
        bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == ssize_t(text.size());
        if (fd >= 0) ::close(fd);
        if (!ok && setup_error.empty()) setup_error = "user namespace: cannot write " + file;
      };
      put("setgroups", "deny");
      put("uid_map", std::to_string(sb.uid) + " " + std::to_string(outer_uid) + " 1");
      put("gid_map", std::to_string(sb.gid) + " " + std::to_string(outer_gid) + " 1");
    }
    if (!setup_error.empty()) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      res.outcome = Outcome::spawn_failure;
      res.detail = setup_error;
      return res;
    }
    char one = 1;
    ssize_t w = ::write(go.w, &one, 1);
    (void)w;
    close_fd(go.w);
  }
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));

  fcntl(in.w, F_SETFL, fcntl(in.w, F_GETFL) | O_NONBLOCK);
  size_t stdin_off = 0;
  if (order.stdin_data.empty()) close_fd(in.w);

  std::string stdout_buf, stderr_buf;
  uint64_t stderr_total = 0;
  bool exited = false, timed_out = false, over_output = false;
  int wstatus = 0;
  rusage ru{};
  char buf[65536];

  auto reap = [&](int flags) {
    pid_t r = ::wait4(pid, &wstatus, flags, &ru);
    if (r == pid) exited = true;
  };

  while (out.r >= 0 || err.r >= 0 || !exited) {
    auto now = Clock::now();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    int wait_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1);
    pollfd fds[4];
    int n = 0;
    int i_out = -1, i_err = -1, i_in = -1, i_pid = -1;
    if (out.r >= 0) fds[i_out = n++] = {out.r, POLLIN, 0};
    if (err.r >= 0) fds[i_err = n++] = {err.r, POLLIN, 0};
    if (in.w >= 0) fds[i_in = n++] = {in.w, POLLOUT, 0};
    if (!exited && pidfd >= 0) fds[i_pid = n++] = {pidfd, POLLIN, 0};
    if (!exited && pidfd < 0) wait_ms = std::min(wait_ms, 10);
    int rc = ::poll(fds, n, wait_ms);
    if (rc < 0 && errno != EINTR) break;
    if (rc <= 0) {
      if (!exited && pidfd < 0) reap(WNOHANG);
      continue;
    }
    if (i_out >= 0 && fds[i_out].revents) {
      ssize_t r = ::read(out.r, buf, sizeof buf);
      if (r > 0) {
        if (stdout_buf.size() + size_t(r) > lim.max_output_bytes) {
          over_output = true;
          break;
        }
        stdout_buf.append(buf, size_t(r));
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        close_fd(out.r);
      }
    }
    if (i_err >= 0 && fds[i_err].revents) {
      ssize_t r = ::read(err.r, buf, sizeof buf);
      if (r > 0) {
        stderr_total += uint64_t(r);
        stderr_buf.append(buf, size_t(r));
        if (stderr_buf.size() > kStderrTailBytes * 2) {
          stderr_buf.erase(0, stderr_buf.size() - kStderrTailBytes);
        }
        if (stderr_total > lim.max_output_bytes) {
          over_output = true;
          break;
        }
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        close_fd(err.r);
      }
    }
    if (i_in >= 0 && fds[i_in].revents) {
      if (fds[i_in].revents & (POLLERR | POLLHUP)) {
        close_fd(in.w);  // the tool closed stdin without reading it all
      } else {
        ssize_t w =
            ::write(in.w, order.stdin_data.data() + stdin_off, order.stdin_data.size() - stdin_off);
        if (w > 0) stdin_off += size_t(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || stdin_off >= order.stdin_data.size()) {
          close_fd(in.w);
        }
      }
    }
    if (i_pid >= 0 && fds[i_pid].revents) {
      reap(WNOHANG);
      if (exited) {
        // The tool is gone. Children it left behind may still hold the pipes
        // open; kill them so the pipes reach EOF, then drain what is left.
        kill_and_reap_all(500);
      }
    }
  }

  // Whatever ended the loop, nothing of the tool survives the call: the
  // tool is pid 1 of its pid namespace, so killing it kills the namespace;
  // the cgroup and the subreaper catch anything else.
  ::kill(pid, SIGKILL);
  ::kill(-pid, SIGKILL);
  cgroup.kill_all();
  kill_and_reap_all(1000);
  if (!exited) reap(0);
  // Drain anything already buffered in the pipes (writers are all dead now).
  for (int* fd : {&out.r, &err.r}) {
    while (*fd >= 0 && !over_output) {
      ssize_t r = ::read(*fd, buf, sizeof buf);
      if (r <= 0) break;
      if (fd == &out.r) {
        if (stdout_buf.size() + size_t(r) > lim.max_output_bytes) {
          over_output = true;
          break;
        }
        stdout_buf.append(buf, size_t(r));
      } else {
        stderr_buf.append(buf, size_t(r));
      }
    }
    close_fd(*fd);
  }
  close_fd(in.w);
  if (pidfd >= 0) ::close(pidfd);

  res.duration_ms =
      uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
  res.max_rss_kb = uint64_t(ru.ru_maxrss);
  if (stderr_buf.size() > kStderrTailBytes) {
    stderr_buf.erase(0, stderr_buf.size() - kStderrTailBytes);
  }
  res.stderr_tail = sanitize_utf8(stderr_buf);
  if (exited && WIFEXITED(wstatus)) res.exit_code = WEXITSTATUS(wstatus);
  if (exited && WIFSIGNALED(wstatus)) res.signal = WTERMSIG(wstatus);

  if (timed_out) {
    res.outcome = Outcome::timeout;
  } else if (over_output) {
    res.outcome = Outcome::over_output;
  } else if (res.signal == SIGXCPU) {
    res.outcome = Outcome::timeout;
    res.detail = "cpu time limit";
  } else if (res.signal == SIGXFSZ) {
    res.outcome = Outcome::over_output;
    res.detail = "file size limit";
  } else if (res.signal != 0) {
    res.outcome = Outcome::signaled;
  } else if (res.exit_code == 0) {
    res.outcome = Outcome::ok;
  } else {
    res.outcome = Outcome::tool_error;
  }
  if (res.exit_code == 127 && res.stderr_tail.find("toolgate-worker: ") != std::string::npos) {
    res.outcome = Outcome::spawn_failure;
  }
  if ((res.outcome == Outcome::tool_error || res.outcome == Outcome::signaled) && sb.cgroups &&
      cgroup.oom_happened()) {
    res.outcome = Outcome::over_memory;
  } else if ((res.outcome == Outcome::tool_error || res.outcome == Outcome::signaled) &&
             looks_like_oom(res, lim)) {
    res.outcome = Outcome::over_memory;
  }
  cgroup.destroy();

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

}  // namespace toolgate::worker
