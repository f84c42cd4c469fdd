// Test harness: runs the real toolgate binary as a child process and talks
// to it over its real stdio pipes or its real HTTP socket.
//
//   TempDir dir;
//   auto gw = Gateway::stdio(dir.file("c.yaml", config_text));
//   gw->initialize();
//   json r = gw->request(call("t__echo", {{"x", 1}}));
#pragma once

#include <httplib.h>
#include <sys/types.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <chrono>
#include <thread>
#include <vector>

#include "common/json_limits.h"

namespace th {

using toolgate::json;

struct TempDir {
  std::string path;
  TempDir();
  ~TempDir();
  // Writes `content` to path/name and returns the full path.
  std::string file(const std::string& name, const std::string& content) const;
};

// Processes whose command line contains `marker` (survivors of a tool).
int count_procs_with(const std::string& marker);
// Waits up to `ms` for count_procs_with(marker) to reach zero; returns the count.
int wait_no_procs_with(const std::string& marker, int ms);
// Children, grandchildren, ... of `pid`, except prepared workers waiting
// for a call (toolgate-worker processes that have not run a tool).
int count_descendants(pid_t pid);

// Waits up to `ms` for count_descendants(pid) to reach zero; returns the count.
int wait_no_descendants(pid_t pid, int ms);
// Worker processes that are direct children of `pid`.
std::vector<pid_t> worker_children(pid_t pid);

std::string testcase(const std::string& name);  // path of a tests/testcases program
// A whole file ("" when it cannot be read).
std::string read_file(const std::string& path);

struct Run {
  int status;       // exit status, -1 when killed by a signal
  std::string out;  // stdout and stderr together
};
// Runs the toolgate binary with `args` (shell words) and waits for it.
Run run(const std::string& args);

json call(const std::string& tool, json args = json::object(), json id = 7);

// Polls `f` every 20 ms until it is true or `ms` have passed; its last answer.
template <typename F>
bool eventually(F&& f, int ms = 10000) {
  for (int i = 0; i < ms / 20; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return f();
}
json request(const std::string& method, json params = nullptr, json id = 1);

class Gateway {
 public:
  static std::unique_ptr<Gateway> stdio(const std::string& config,
                                        const std::vector<std::string>& extra = {});
  static std::unique_ptr<Gateway> http(const std::string& config);
  ~Gateway();

  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }

  // stdio
  void send(const json& msg);
  void send_raw(const std::string& bytes);
  void close_stdin();
  // Next message from stdout; nullopt on timeout or EOF. Every stdout line
  // must be JSON: a non-JSON line fails the test.
  std::optional<json> recv(int timeout_ms = 10000);
  // Sends a request and returns the response with its id; notifications
  // seen meanwhile are appended to `notifications`.
  json roundtrip(const json& msg, int timeout_ms = 15000);
  json initialize(const std::string& version = "2025-11-25", json capabilities = json::object());
  std::vector<json> notifications;

  std::string stderr_text();
  // Waits for the process to exit; returns its exit status or -1 on timeout.
  int wait_exit(int timeout_ms);
  void signal(int sig);

 private:
  Gateway() = default;
  void start(const std::vector<std::string>& argv);
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  int in_ = -1, out_ = -1, err_ = -1;
  int exit_status_ = -2;
  std::thread out_thread_, err_thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> lines_;
  bool out_eof_ = false;
  std::string err_buf_;
};

// A minimal Streamable HTTP client over httplib.
struct HttpReply {
  int status = 0;
  httplib::Headers headers;
  std::string body;
  std::vector<json> events;  // parsed SSE data: lines (for text/event-stream)
  json body_json;            // parsed body (for application/json)
  std::string header(const std::string& k) const;
};

class McpHttp {
 public:
  explicit McpHttp(uint16_t port);
  HttpReply post(const json& msg, httplib::Headers extra = {}, bool with_session = true);
  HttpReply post_raw(const std::string& body, httplib::Headers headers);
  HttpReply get(const std::string& path, httplib::Headers extra = {});
  HttpReply del(httplib::Headers extra = {});
  json initialize(const std::string& version = "2025-11-25");
  std::string session;
  std::string bearer;  // sent as Authorization: Bearer on every request when set
  httplib::Client client;

 private:
  void add_auth(httplib::Headers& h) const;
};

std::vector<json> parse_sse(const std::string& body);

}  // namespace th
