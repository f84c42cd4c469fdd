// The Tasks extension of MCP 2026-07-28 (io.modelcontextprotocol/tasks):
// agent calls often run for minutes, longer than a client wants to hold a
// request open. For a client that declares the extension, a tools/call that
// is still running after `server.tasks.after_ms` (at once for tools named in
// `long_running`) is answered with a task handle; the call runs on, on a
// thread of its own, under all its limits. tasks/get reports it (with the
// result inlined once done), tasks/cancel kills it and its worker's whole
// process tree. Results are kept for a TTL, bounded in count and bytes, and
// only the caller who started a task can see it. Each state change is in
// the audit log.
//
//   TaskStore tasks;
//   auto reply = tasks.run(rq, limits, [&](RequestContext& r) { return dispatcher.handle(r); });
//   json got = tasks.get(id, caller, params);     // tasks/get
//   tasks.shutdown();                             // cancels and joins every task
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "gateway/config/config.h"
#include "gateway/protocol/request_context.h"

namespace toolgate {

inline constexpr const char* kTasksExtension = "io.modelcontextprotocol/tasks";

class TaskStore {
 public:
  using Work = std::function<std::optional<json>(RequestContext&)>;

  ~TaskStore() { shutdown(); }

  // Whether the request's client declared the extension.
  static bool declared(const RequestContext& rq);

  // Runs the call: its reply when it finishes within the config's
  // after_ms, else a CreateTaskResult while it runs on. Without room for
  // another task, the call just runs.
  std::optional<json> run(RequestContext& rq, const TasksConfig& limits, Work work);

  // tasks/get, tasks/cancel, tasks/update: replies for `caller`.
  json get(const json& id, const Caller& caller, const json& params);
  json cancel(const json& id, const Caller& caller, const json& params);
  json update(const json& id, const Caller& caller, const json& params);

  // Cancels every task and waits for their threads (the gateway is stopping).
  void shutdown();

 private:
  struct Task;
  std::shared_ptr<Task> find_for(const Caller& caller, const json& params, json* error_reply,
                                 const json& id);
  void expire_locked();
  void finish(const std::shared_ptr<Task>& t, std::optional<json> reply);

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Task>> tasks_;
  std::map<std::string, std::thread> threads_;
  bool stopping_ = false;
};

}  // namespace toolgate
