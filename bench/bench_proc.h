// Child processes for bench_mcp: spawning servers, finding their ports, and
// reading their (and their descendants') memory from /proc.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/proc.h"

namespace bench {

struct Child {
  pid_t pid = -1;
  int in = -1, out = -1;
  std::string err_file;
  ~Child() { stop(); }
  void stop() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      for (int i = 0; i < 100 && ::waitpid(pid, nullptr, WNOHANG) == 0; ++i) ::usleep(20000);
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      pid = -1;
    }
    if (in >= 0) ::close(in), in = -1;
    if (out >= 0) ::close(out), out = -1;
  }
};

inline std::unique_ptr<Child> spawn(const std::vector<std::string>& argv, bool pipes,
                                    const std::string& err_file) {
  auto c = std::make_unique<Child>();
  int in[2], out[2];
  if (pipes && (::pipe(in) != 0 || ::pipe(out) != 0)) return nullptr;
  c->err_file = err_file;
  c->pid = ::fork();
  if (c->pid == 0) {
    if (pipes) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
    } else {
      int devnull = ::open("/dev/null", O_RDWR);
      ::dup2(devnull, 0);
      ::dup2(devnull, 1);
    }
    int e = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(e, 2);
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    ::execv(a[0], a.data());
    ::_exit(127);
  }
  if (pipes) {
    ::close(in[0]);
    ::close(out[1]);
    c->in = in[1];
    c->out = out[0];
  }
  return c;
}

inline std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The port a `toolgate serve --listen 127.0.0.1:0` logged.
inline int wait_toolgate_port(const Child& c) {
  for (int i = 0; i < 500; ++i) {
    std::string log = slurp(c.err_file);
    auto at = log.find("http://127.0.0.1:");
    if (at != std::string::npos) return std::atoi(log.c_str() + at + 17);
    ::usleep(20000);
  }
  return 0;
}

inline bool wait_port_open(int port) {
  for (int i = 0; i < 600; ++i) {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(0, 100000);
    if (auto r = c.Get("/")) return true;
    ::usleep(50000);
  }
  return false;
}

inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Resident memory (kB) of `pid`, and of all its descendants, from /proc.
inline long status_kb(pid_t pid, const char* field) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + strlen(field));
  return 0;
}

// Proportional set size (kB): resident pages, with each page shared by N
// processes counted 1/N. Workers share libcurl, OpenSSL and libc pages, so
// RSS counts those once per process and PSS once in all.
inline long pss_kb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/smaps_rollup");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("Pss:", 0) == 0) return std::atol(line.c_str() + 4);
  return 0;
}

// The parent of `pid` (0 when it is gone), from /proc/PID/stat.
inline pid_t parent_of(pid_t pid) {
  std::string s = slurp("/proc/" + std::to_string(pid) + "/stat");
  auto close = s.rfind(')');
  if (close == std::string::npos) return 0;
  pid_t ppid = 0;
  char st;
  std::istringstream(s.substr(close + 2)) >> st >> ppid;
  return ppid;
}

inline void descendants(pid_t root, std::vector<pid_t>* out) {
  for (pid_t p : toolgate::descendant_pids(root)) out->push_back(p);
}

// Samples the workers' memory while a measurement runs.
struct MemSampler {
  pid_t root;
  std::atomic<bool> stop{false};
  long workers_sum_kb = 0, worker_max_kb = 0;
  long workers_pss_sum_kb = 0, worker_max_pss_kb = 0;
  std::thread t;
  explicit MemSampler(pid_t r) : root(r) {
    t = std::thread([this] {
      while (!stop) {
        std::vector<pid_t> ds;
        descendants(root, &ds);
        long sum = 0, pss_sum = 0;
        for (pid_t p : ds) {
          long kb = status_kb(p, "VmRSS:"), pss = pss_kb(p);
          sum += kb;
          pss_sum += pss;
          worker_max_kb = std::max(worker_max_kb, kb);
          worker_max_pss_kb = std::max(worker_max_pss_kb, pss);
        }
        workers_sum_kb = std::max(workers_sum_kb, sum);
        workers_pss_sum_kb = std::max(workers_pss_sum_kb, pss_sum);
        ::usleep(20000);
      }
    });
  }
  ~MemSampler() {
    stop = true;
    t.join();
  }
};

}  // namespace bench
