#include "harness.h"

#include <dirent.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/io.h"
#include "common/proc.h"

namespace th {

std::string read_file(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

namespace {

using Clock = std::chrono::steady_clock;

bool is_worker(pid_t p) {
  return read_file("/proc/" + std::to_string(p) + "/cmdline").rfind("toolgate-worker", 0) == 0;
}

}  // namespace

TempDir::TempDir() {
  char tmpl[] = "/tmp/toolgate-test-XXXXXX";
  path = mkdtemp(tmpl);
}

TempDir::~TempDir() { std::filesystem::remove_all(path); }

std::string TempDir::file(const std::string& name, const std::string& content) const {
  std::string p = path + "/" + name;
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

int count_procs_with(const std::string& marker) {
  int n = 0;
  DIR* d = opendir("/proc");
  while (dirent* e = readdir(d)) {
    pid_t p = atoi(e->d_name);
    if (p <= 0 || p == getpid()) continue;
    std::string cmd = read_file("/proc/" + std::to_string(p) + "/cmdline");
    for (auto& c : cmd)
      if (c == '\0') c = ' ';
    if (cmd.find(marker) != std::string::npos) ++n;
  }
  closedir(d);
  return n;
}

int wait_no_procs_with(const std::string& marker, int ms) {
  auto end = Clock::now() + std::chrono::milliseconds(ms);
  int n;
  while ((n = count_procs_with(marker)) > 0 && Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return n;
}

int count_descendants(pid_t pid) {
  int n = 0;
  // Prepared workers (and their contained, not yet exec'd children) wait
  // for the next call: they are the pool, not leftovers of a call.
  for (pid_t p : toolgate::descendant_pids(pid))
    if (!is_worker(p)) ++n;
  return n;
}

int wait_no_descendants(pid_t pid, int ms) {
  auto end = Clock::now() + std::chrono::milliseconds(ms);
  int n;
  while ((n = count_descendants(pid)) > 0 && Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return n;
}

std::vector<pid_t> worker_children(pid_t pid) {
  std::vector<pid_t> out;
  for (pid_t p : toolgate::child_pids(pid))
    if (is_worker(p)) out.push_back(p);
  return out;
}

std::string testcase(const std::string& name) { return std::string(TESTCASES_DIR) + "/tc_" + name; }

Run run(const std::string& args) {
  std::string cmd = std::string(TOOLGATE_BIN) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

json call(const std::string& tool, json args, json id) {
  return {{"jsonrpc", "2.0"},
          {"id", id},
          {"method", "tools/call"},
          {"params", {{"name", tool}, {"arguments", args}}}};
}

json request(const std::string& method, json params, json id) {
  json r = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) r["params"] = params;
  return r;
}

void Gateway::start(const std::vector<std::string>& argv) {
  int in[2], out[2], err[2];
  REQUIRE(pipe2(in, O_CLOEXEC) == 0);
  REQUIRE(pipe2(out, O_CLOEXEC) == 0);
  REQUIRE(pipe2(err, O_CLOEXEC) == 0);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_ = fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  in_ = in[1];
  out_ = out[0];
  err_ = err[0];
  out_thread_ = std::thread([this] {
    std::string buf;
    char chunk[65536];
    for (;;) {
      ssize_t n = read(out_, chunk, sizeof chunk);
      if (n <= 0) break;
      buf.append(chunk, size_t(n));
      size_t nl;
      while ((nl = buf.find('\n')) != std::string::npos) {
        std::lock_guard<std::mutex> l(mu_);
        lines_.push_back(buf.substr(0, nl));
        buf.erase(0, nl + 1);
        cv_.notify_all();
      }
    }
    std::lock_guard<std::mutex> l(mu_);
    out_eof_ = true;
    cv_.notify_all();
  });
  err_thread_ = std::thread([this] {
    char chunk[4096];
    for (;;) {
      ssize_t n = read(err_, chunk, sizeof chunk);
      if (n <= 0) break;
      std::lock_guard<std::mutex> l(mu_);
      err_buf_.append(chunk, size_t(n));
      cv_.notify_all();
    }
  });
}

std::unique_ptr<Gateway> Gateway::stdio(const std::string& config,
                                        const std::vector<std::string>& extra) {
  std::unique_ptr<Gateway> g(new Gateway());
  std::vector<std::string> argv = {TOOLGATE_BIN, "serve", "-c", config, "--stdio"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  g->start(argv);
  return g;
}

std::unique_ptr<Gateway> Gateway::http(const std::string& config) {
  std::unique_ptr<Gateway> g(new Gateway());
  g->start({TOOLGATE_BIN, "serve", "-c", config, "--listen", "127.0.0.1:0"});
  // The gateway logs {"msg":"listening","url":"http://127.0.0.1:PORT/mcp"}.
  std::unique_lock<std::mutex> l(g->mu_);
  bool ok = g->cv_.wait_for(l, std::chrono::seconds(10),
                            [&] { return g->err_buf_.find("\"listening\"") != std::string::npos; });
  REQUIRE_MESSAGE(ok, "gateway did not start: " << g->err_buf_);
  auto pos = g->err_buf_.find("http://127.0.0.1:");
  REQUIRE(pos != std::string::npos);
  g->port_ = uint16_t(atoi(g->err_buf_.c_str() + pos + 17));
  REQUIRE(g->port_ > 0);
  return g;
}

Gateway::~Gateway() {
  if (in_ >= 0) close(in_);
  if (exit_status_ == -2 && pid_ > 0) {
    kill(pid_, SIGTERM);
    if (wait_exit(5000) == -1) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  if (out_thread_.joinable()) out_thread_.join();
  if (err_thread_.joinable()) err_thread_.join();
  if (out_ >= 0) close(out_);
  if (err_ >= 0) close(err_);
}

void Gateway::send(const json& msg) { send_raw(msg.dump() + "\n"); }

void Gateway::send_raw(const std::string& bytes) { REQUIRE(toolgate::write_all(in_, bytes)); }

void Gateway::close_stdin() {
  if (in_ >= 0) close(in_);
  in_ = -1;
}

std::optional<json> Gateway::recv(int timeout_ms) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait_for(l, std::chrono::milliseconds(timeout_ms),
               [&] { return !lines_.empty() || out_eof_; });
  if (lines_.empty()) return std::nullopt;
  std::string line = std::move(lines_.front());
  lines_.pop_front();
  l.unlock();
  json j = json::parse(line, nullptr, false);
  INFO("stdout line: " << line);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

json Gateway::roundtrip(const json& msg, int timeout_ms) {
  send(msg);
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < deadline) {
    int left =
        int(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    auto m = recv(std::max(left, 1));
    if (!m) break;
    if (m->contains("id") && (*m)["id"] == msg["id"] && !m->contains("method")) return *m;
    notifications.push_back(*m);
  }
  FAIL("no response to " << msg.dump() << "; stderr: " << stderr_text());
  return nullptr;
}

json Gateway::initialize(const std::string& version, json capabilities) {
  json r = roundtrip({{"jsonrpc", "2.0"},
                      {"id", "init"},
                      {"method", "initialize"},
                      {"params",
                       {{"protocolVersion", version},
                        {"capabilities", capabilities},
                        {"clientInfo", {{"name", "test"}, {"version", "1"}}}}}});
  send({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  return r;
}

std::string Gateway::stderr_text() {
  std::lock_guard<std::mutex> l(mu_);
  return err_buf_;
}

int Gateway::wait_exit(int timeout_ms) {
  if (exit_status_ != -2) return exit_status_;
  auto end = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < end) {
    int st;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      exit_status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      return exit_status_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

void Gateway::signal(int sig) { kill(pid_, sig); }

std::string HttpReply::header(const std::string& k) const {
  for (auto& [hk, hv] : headers) {
    if (strcasecmp(hk.c_str(), k.c_str()) == 0) return hv;
  }
  return "";
}

std::vector<json> parse_sse(const std::string& body) {
  std::vector<json> out;
  std::istringstream is(body);
  std::string line;
  while (std::getline(is, line)) {
    if (line.rfind("data: ", 0) == 0) {
      json j = json::parse(line.substr(6), nullptr, false);
      if (!j.is_discarded()) out.push_back(j);
    }
  }
  return out;
}

McpHttp::McpHttp(uint16_t port) : client("127.0.0.1", port) {
  client.set_read_timeout(30, 0);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
}

static HttpReply to_reply(const httplib::Result& r) {
  HttpReply out;
  REQUIRE_MESSAGE(r, "HTTP request failed: " << httplib::to_string(r.error()));
  out.status = r->status;
  out.headers = r->headers;
  out.body = r->body;
  std::string ct = r->get_header_value("Content-Type");
  if (ct.find("text/event-stream") != std::string::npos) out.events = parse_sse(r->body);
  if (ct.find("application/json") != std::string::npos) {
    out.body_json = json::parse(r->body, nullptr, false);
  }
  return out;
}

void McpHttp::add_auth(httplib::Headers& h) const {
  if (!bearer.empty() && !h.count("Authorization")) h.emplace("Authorization", "Bearer " + bearer);
}

HttpReply McpHttp::post_raw(const std::string& body, httplib::Headers headers) {
  add_auth(headers);
  return to_reply(client.Post("/mcp", headers, body, "application/json"));
}

HttpReply McpHttp::post(const json& msg, httplib::Headers extra, bool with_session) {
  httplib::Headers h = {{"Accept", "application/json, text/event-stream"}};
  if (with_session && !session.empty()) h.emplace("Mcp-Session-Id", session);
  for (auto& kv : extra) h.insert(kv);
  return post_raw(msg.dump(), h);
}

HttpReply McpHttp::get(const std::string& path, httplib::Headers extra) {
  add_auth(extra);
  return to_reply(client.Get(path.c_str(), extra));
}

HttpReply McpHttp::del(httplib::Headers extra) {
  if (!session.empty()) extra.emplace("Mcp-Session-Id", session);
  add_auth(extra);
  return to_reply(client.Delete("/mcp", extra));
}

json McpHttp::initialize(const std::string& version) {
  auto r = post({{"jsonrpc", "2.0"},
                 {"id", 1},
                 {"method", "initialize"},
                 {"params",
                  {{"protocolVersion", version},
                   {"capabilities", json::object()},
                   {"clientInfo", {{"name", "test"}, {"version", "1"}}}}}},
                {}, false);
  REQUIRE(r.status == 200);
  session = r.header("Mcp-Session-Id");
  REQUIRE_FALSE(session.empty());
  auto n = post({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  REQUIRE(n.status == 202);
  return r.body_json;
}

}  // namespace th
