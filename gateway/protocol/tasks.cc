#include "gateway/protocol/tasks.h"

#include <chrono>

#include "common/log.h"
#include "gateway/audit/audit.h"
#include "gateway/catalog/naming.h"
#include "gateway/identity/random_id.h"
#include "gateway/protocol/jsonrpc.h"

namespace toolgate {
namespace {

using Clock = std::chrono::steady_clock;

bool matches_any(const std::vector<std::string>& globs, const std::string& name) {
  for (auto& g : globs)
    if (glob_match(g, name)) return true;
  return false;
}

}  // namespace

struct TaskStore::Task {
  std::string id, owner, tool;
  std::string status = "working";  // working | completed | failed | cancelled
  std::string created, updated;    // UTC timestamps
  std::shared_ptr<CancelToken> cancel;
  std::shared_ptr<AuditLog> audit;
  json result, error;
  std::optional<json> reply;  // as the call answered, for a call that never became a task
  bool exposed = false;       // its handle was given out
  bool done = false;
  uint64_t ttl_ms = 0, poll_ms = 0;
  size_t max_bytes = 0;
  Clock::time_point expires = Clock::time_point::max();

  json detail() const {
    json d = {{"taskId", id},         {"status", status},
              {"createdAt", created}, {"lastUpdatedAt", updated},
              {"ttlMs", ttl_ms},      {"pollIntervalMs", poll_ms}};
    if (status == "completed") d["result"] = result;
    if (status == "failed") d["error"] = error;
    return d;
  }
  void record(const char* what) const {
    if (audit)
      audit->write({{"event", "task"},
                    {"task", id},
                    {"caller", owner},
                    {"tool", tool},
                    {"status", status},
                    {"change", what}});
  }
};

bool TaskStore::declared(const RequestContext& rq) {
  auto ext = rq.client_capabilities.find("extensions");
  return ext != rq.client_capabilities.end() && ext->is_object() && ext->contains(kTasksExtension);
}

std::optional<json> TaskStore::run(RequestContext& rq, const TasksConfig& limits, Work work) {
  if (rq.method != "tools/call" || !declared(rq)) return work(rq);
  auto t = std::make_shared<Task>();
  t->id = random_hex_id(16);
  t->owner = rq.caller.id;
  t->tool = rq.params.value("name", json("")).is_string() ? rq.params["name"] : "";
  t->created = t->updated = utc_timestamp_ms();
  t->cancel = rq.cancel ? rq.cancel : std::make_shared<CancelToken>();
  t->audit = rq.snapshot.audit;
  t->ttl_ms = limits.ttl_ms;
  t->poll_ms = limits.poll_ms;
  t->max_bytes = limits.max_result_bytes;
  // The call runs on with its own copy of the request: the client's request,
  // and its stream, may end long before it does. Nothing can be asked of the
  // client meanwhile, so an approval waits in the queue for an operator.
  RequestContext inner = rq;
  inner.cancel = t->cancel;
  inner.stream = nullptr;
  inner.peer = nullptr;
  inner.client_capabilities.erase("elicitation");
  {
    std::lock_guard<std::mutex> lock(mu_);
    expire_locked();
    if (stopping_ || tasks_.size() >= limits.max_tasks) return work(rq);
    tasks_[t->id] = t;
    threads_[t->id] = std::thread(
        [this, t, inner = std::move(inner), work]() mutable { finish(t, work(inner)); });
  }
  uint64_t wait_ms = matches_any(limits.long_running, t->tool) ? 0 : limits.after_ms;
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [&] { return t->done; });
  if (t->done) {  // in time: an ordinary answer, and no task to keep
    tasks_.erase(t->id);
    return std::move(t->reply);
  }
  t->exposed = true;
  lock.unlock();
  t->record("created");
  log::info("call continues as a task", {{"task", t->id}, {"tool", t->tool}, {"caller", t->owner}});
  json handle = t->detail();
  handle["resultType"] = "task";
  return make_result(rq.id, std::move(handle));
}

void TaskStore::finish(const std::shared_ptr<Task>& t, std::optional<json> reply) {
  std::lock_guard<std::mutex> lock(mu_);
  t->done = true;
  t->updated = utc_timestamp_ms();
  t->expires = Clock::now() + std::chrono::milliseconds(t->ttl_ms);
  if (!t->exposed) t->reply = reply;
  if (t->status == "cancelled") {
    // cancelled by tasks/cancel: it stays so, whatever the call answered
  } else if (!reply) {
    t->status = "cancelled";
  } else if (auto e = reply->find("error"); e != reply->end()) {
    t->status = "failed";
    t->error = *e;
  } else {
    json r = reply->value("result", json::object());
    if (r.value("resultType", "") == "input_required") {
      t->status = "failed";
      t->error = {{"code", rpc::kInternalError},
                  {"message", "the call asked the client for input, which a task cannot carry"}};
    } else if (dump_safe(r).size() > t->max_bytes) {
      t->status = "failed";
      t->error = {{"code", rpc::kInternalError},
                  {"message", "the result is larger than " + std::to_string(t->max_bytes) +
                                  " bytes (server.tasks.max_result_bytes), so it was not kept"}};
    } else {
      t->status = "completed";
      t->result = std::move(r);
    }
  }
  if (t->exposed) t->record("finished");
  cv_.notify_all();
}

void TaskStore::expire_locked() {
  auto now = Clock::now();
  for (auto it = tasks_.begin(); it != tasks_.end();) {
    bool gone = it->second->done && it->second->expires <= now;
    if (gone) it->second->record("expired");
    it = gone ? tasks_.erase(it) : std::next(it);
  }
  // The threads of finished calls have nothing left to do but return.
  for (auto it = threads_.begin(); it != threads_.end();) {
    auto t = tasks_.find(it->first);
    if (t != tasks_.end() && !t->second->done) {
      ++it;
      continue;
    }
    it->second.join();
    it = threads_.erase(it);
  }
}

std::shared_ptr<TaskStore::Task> TaskStore::find_for(const Caller& caller, const json& params,
                                                     json* error_reply, const json& id) {
  auto tid = params.find("taskId");
  std::lock_guard<std::mutex> lock(mu_);
  expire_locked();
  if (tid != params.end() && tid->is_string()) {
    auto it = tasks_.find(*tid);
    // Another caller's task is as unknown as one that never was.
    if (it != tasks_.end() && it->second->exposed && it->second->owner == caller.id)
      return it->second;
  }
  *error_reply = make_error(id, rpc::kInvalidParams, "unknown task");
  return nullptr;
}

json TaskStore::get(const json& id, const Caller& caller, const json& params) {
  json error;
  auto t = find_for(caller, params, &error, id);
  if (!t) return error;
  std::lock_guard<std::mutex> lock(mu_);
  return make_result(id, t->detail());
}

json TaskStore::cancel(const json& id, const Caller& caller, const json& params) {
  json error;
  auto t = find_for(caller, params, &error, id);
  if (!t) return error;
  bool changed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!t->done && t->status == "working") {
      t->status = "cancelled";
      t->updated = utc_timestamp_ms();
      changed = true;
    }
  }
  // The pipeline sees the token: the worker and its process tree are killed.
  if (changed) {
    t->cancel->cancel();
    t->record("cancelled");
  }
  return make_result(id, json::object());
}

json TaskStore::update(const json& id, const Caller& caller, const json& params) {
  json error;
  auto t = find_for(caller, params, &error, id);
  if (!t) return error;
  return make_error(id, rpc::kInvalidParams, "the task is not waiting for input");
}

void TaskStore::shutdown() {
  std::map<std::string, std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& [id, t] : tasks_) t->cancel->cancel();
    threads.swap(threads_);
  }
  for (auto& [id, th] : threads) th.join();
}

}  // namespace toolgate
