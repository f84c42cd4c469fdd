// The soak's stdio client (bench/soak.cc): one gateway at a time over its
// stdin/stdout, several calls in flight (a writer, and a reader matching
// answers to ids). Every `restart_every` calls it closes the gateway's
// stdin, as a client that goes away does, with calls still in flight: the
// gateway must exit within seconds and leave no process or cgroup behind;
// then the next gateway is started.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "bench/bench_proc.h"
#include "bench/soak_stats.h"

namespace soak {

// Like bench::spawn with pipes, but the pipes are close-on-exec: there the
// child keeps the write end of its own stdin open (and later children
// inherit it), so closing stdin never reaches it as end of file.
inline std::unique_ptr<bench::Child> spawn_stdio(const std::vector<std::string>& argv,
                                                 const std::string& err_file) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return nullptr;
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]), ::close(in[1]);
    return nullptr;
  }
  auto c = std::make_unique<bench::Child>();
  c->err_file = err_file;
  c->pid = ::fork();
  if (c->pid == 0) {
    ::dup2(in[0], 0);  // dup2 clears close-on-exec on 0, 1 and 2
    ::dup2(out[1], 1);
    int e = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ::dup2(e, 2);
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    ::execv(a[0], a.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  c->in = in[1];
  c->out = out[0];
  return c;
}

struct StdioConfig {
  std::string bin, config, dir;  // toolgate, its config, where the logs go
  int inflight = 8;
  long restart_every = 100000;
  double warmup_s = 5, settle_s = 2;  // before the fd baseline, and the quiet before it
};

class StdioDriver {
 public:
  StdioDriver(StdioConfig c, std::atomic<long>* next_item) : c_(std::move(c)), next_(next_item) {}

  Tally tally;
  std::atomic<long> calls_sent{0}, done{0}, restarts{0}, abandoned_at_close{0};  // done: answers
  long baseline_fds = 0;  // of the current gateway, after its warm-up
  std::vector<std::string> cgroup_dirs;
  int max_exit_ms = 0, exits = 0;
  long leftovers = 0, cgroups_left = 0;  // what exited gateways left behind
  std::vector<std::string> problems;

  pid_t pid() const { return pid_.load(); }
  bool quiet() const { return quiet_.load(); }  // no killing while a baseline is taken

  // Sends `calls` calls over as many gateways as the restarts need; the
  // last one stays up for the caller's leak check, finish() ends it.
  void run(long calls) {
    for (long sent = 0; sent < calls;) {
      if (!start()) return problem("a stdio gateway did not start or initialize");
      long n = send_calls(std::min(c_.restart_every, calls - sent));
      sent += n;
      if (sent < calls) {
        disconnect();
        ++restarts;
      }
    }
  }
  void finish() {
    if (child_) disconnect();
  }

 private:
  void problem(const std::string& p) {
    std::lock_guard<std::mutex> lock(mu_);
    problems.push_back(p);
  }

  bool start() {
    child_ = spawn_stdio({c_.bin, "serve", "-c", c_.config, "--stdio"},
                         c_.dir + "/stdio-" + std::to_string(exits) + ".log");
    if (!child_) return false;
    cgroup_dirs = cgroup_parents(child_->pid);
    eof_ = false;
    have_init_ = false;
    reader_ = std::thread([this] { read_answers(); });
    write_line({{"jsonrpc", "2.0"},
                {"id", 0},
                {"method", "initialize"},
                {"params",
                 {{"protocolVersion", "2025-06-18"},
                  {"capabilities", json::object()},
                  {"clientInfo", {{"name", "bench_soak"}, {"version", "1"}}}}}});
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(15), [&] { return have_init_ || eof_; });
    if (!have_init_) return false;
    lock.unlock();
    // Only now may the chaos thread see it: killing the worker that probes
    // the sandbox at startup turns a step off for the gateway's lifetime
    // (bench/README.md), a different failure than the one soaked here.
    pid_ = child_->pid;
    return write_line({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  }

  bool write_line(const json& j) {
    std::string s = j.dump() + "\n";
    for (size_t off = 0; off < s.size();) {
      ssize_t n = ::write(child_->in, s.data() + off, s.size() - off);
      if (n <= 0) return false;
      off += size_t(n);
    }
    return true;
  }

  void read_answers() {
    std::string buf;
    char tmp[65536];
    for (;;) {
      ssize_t n = ::read(child_->out, tmp, sizeof tmp);
      if (n <= 0) break;
      buf.append(tmp, size_t(n));
      size_t start = 0;
      for (size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1)
        on_line(buf.substr(start, nl - start));
      buf.erase(0, start);
    }
    std::lock_guard<std::mutex> lock(mu_);
    eof_ = true;
    cv_.notify_all();
  }

  void on_line(const std::string& line) {
    json j = json::parse(line, nullptr, false);
    // Notifications (the gateway forwards its warnings) carry no id.
    if (!j.is_object() || !j.contains("id")) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (j["id"] == 0) {
      have_init_ = j.contains("result");
    } else if (auto it = j["id"].is_number_integer() ? pending_.find(j["id"].get<long>())
                                                     : pending_.end();
               it == pending_.end()) {
      tally.add(Kind::failed, "answer to an unknown request id", line);
    } else {
      tally.latency.add(seconds_since(it->second.second) * 1e6);
      auto [kind, reason] = classify(j, it->second.first);
      tally.add(kind, reason, line);
      pending_.erase(it);
      ++done;
    }
    cv_.notify_all();
  }

  // Sends up to `n` calls, `inflight` at a time; returns how many it sent.
  // Takes the fd baseline once the gateway is warm.
  long send_calls(long n) {
    auto born = Clock::now();
    bool baseline = false, gone = false;
    long sent = 0;
    for (; sent < n; ++sent) {
      if (!baseline && seconds_since(born) >= c_.warmup_s) baseline = take_baseline();
      std::unique_lock<std::mutex> lock(mu_);
      if (!wait_for_room(lock, c_.inflight)) {
        gone = true;
        break;
      }
      long id = rpc_id_++, item = (*next_)++;
      pending_[id] = {item, Clock::now()};
      ++calls_sent;
      lock.unlock();
      json req = {{"jsonrpc", "2.0"},
                  {"id", id},
                  {"method", "tools/call"},
                  {"params", {{"name", "items__getItem"}, {"arguments", {{"id", item}}}}}};
      if (!write_line(req)) {
        ++sent;  // it was sent as far as the client could tell
        gone = true;
        lock.lock();
        cv_.wait_for(lock, std::chrono::seconds(5), [&] { return eof_; });
        problems.push_back("the stdio gateway stopped reading its stdin");
        fail_pending("unanswered: the gateway exited");
        break;
      }
    }
    if (!baseline && !gone) take_baseline();
    return sent;
  }

  // Waits until fewer than `room` calls are in flight. False when the
  // gateway is gone or stopped answering; its calls count as unanswered.
  bool wait_for_room(std::unique_lock<std::mutex>& lock, size_t room) {
    for (;;) {
      long before = done;
      if (cv_.wait_for(lock, std::chrono::seconds(60),
                       [&] { return pending_.size() < room || eof_; }))
        break;
      if (done == before) {
        problems.push_back("the stdio gateway answered nothing for 60 s");
        fail_pending("unanswered: the gateway stopped answering");
        return false;
      }
    }
    if (!eof_) return true;
    problems.push_back("the stdio gateway closed its stdout while calls were in flight");
    fail_pending("unanswered: the gateway exited");
    return false;
  }
  void fail_pending(const std::string& why) {
    for (size_t i = 0; i < pending_.size(); ++i) tally.add(Kind::failed, why);
    pending_.clear();
  }

  // The open fds once the gateway is warm and idle: what the end of the
  // run is compared with. The chaos thread leaves this gateway alone
  // meanwhile, so the pool is whole.
  bool take_baseline() {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!wait_for_room(lock, 1)) return true;
    }
    quiet_ = true;
    ::usleep(useconds_t(c_.settle_s * 1e6));
    baseline_fds = fd_count(child_->pid);
    quiet_ = false;
    return true;
  }

  void disconnect();

  StdioConfig c_;
  std::atomic<long>* next_;
  std::unique_ptr<bench::Child> child_;
  std::atomic<pid_t> pid_{0};
  std::atomic<bool> quiet_{false};
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<long, std::pair<long, Clock::time_point>> pending_;  // id -> item, sent at
  bool eof_ = false, have_init_ = false;
  long rpc_id_ = 1;
};

// Closes the gateway's stdin with calls in flight. Answers still written
// are counted; calls without one were abandoned by the client. Then
// checks that nothing of the gateway survives it.
inline void StdioDriver::disconnect() {
  pid_t p = child_->pid;
  ExitCheck x = end_and_check(p, cgroup_dirs, c_.dir, [&] {
    ::close(child_->in);
    child_->in = -1;
  });
  child_->pid = -1;  // reaped: the Child must not signal a reused pid
  pid_ = 0;
  ++exits;
  reader_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    abandoned_at_close += long(pending_.size());
    for (size_t i = 0; i < pending_.size(); ++i) tally.add(Kind::abandoned);
    pending_.clear();
  }
  max_exit_ms = std::max(max_exit_ms, x.ms);
  leftovers += long(x.left.size());
  cgroups_left += long(x.cgroups.size());
  for (auto& pr : x.problems()) problem("stdio gateway " + std::to_string(p) + ": " + pr);
  child_.reset();
}

}  // namespace soak
