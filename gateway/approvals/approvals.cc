#include "gateway/approvals/approvals.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/io.h"
#include "common/log.h"
#include "gateway/catalog/naming.h"
#include "gateway/identity/random_id.h"

namespace toolgate {

struct ApprovalQueue::Entry {
  PendingApproval info;
  std::chrono::steady_clock::time_point deadline;
  std::mutex mu;
  std::condition_variable cv;
  bool resolved = false;
  bool closed = false;  // the waiting call has moved on (decided, timed out, cancelled)
  bool approved = false;
  bool parked = false;  // nothing waits on it: its client comes back (take)
  std::string by;
};

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::approved:
      return "approved";
    case Verdict::declined:
      return "declined";
    case Verdict::timeout:
      return "timeout";
    case Verdict::cancelled:
      return "cancelled";
  }
  return "declined";
}

json PendingApproval::to_json() const {
  return {{"id", id},
          {"call", call_id},
          {"session", session},
          {"caller", caller},
          {"tool", tool},
          {"args", args},
          {"args_digest", digest},
          {"rule", rule_id},
          {"message", message},
          {"created", created},
          {"expires_in_ms", expires_in_ms}};
}

void ApprovalQueue::drop_expired_parked() {
  auto now = std::chrono::steady_clock::now();
  for (auto it = pending_.begin(); it != pending_.end();) {
    bool expired = it->second->parked && it->second->deadline <= now;
    it = expired ? pending_.erase(it) : std::next(it);
  }
}

bool ApprovalQueue::park(PendingApproval& info) { return add_entry(info, true) != nullptr; }

std::shared_ptr<ApprovalQueue::Entry> ApprovalQueue::add(PendingApproval& info) {
  return add_entry(info, false);
}

std::optional<ApprovalQueue::Taken> ApprovalQueue::take(const std::string& id) {
  std::shared_ptr<Entry> e;
  {
    std::lock_guard<std::mutex> lock(mu_);
    drop_expired_parked();
    auto it = pending_.find(id);
    if (it == pending_.end() || !it->second->parked) return std::nullopt;
    e = it->second;
    pending_.erase(it);
  }
  std::lock_guard<std::mutex> lock(e->mu);
  e->closed = true;  // a human deciding from now on is told it is too late
  return Taken{e->resolved, e->approved, e->by};
}

std::shared_ptr<ApprovalQueue::Entry> ApprovalQueue::add_entry(PendingApproval& info, bool parked) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    drop_expired_parked();
    size_t mine = 0;
    for (auto& [id, p] : pending_) mine += p->info.caller == info.caller;
    if (mine >= kMaxPendingPerCaller) return nullptr;
  }
  auto e = std::make_shared<Entry>();
  info.id = random_hex_id(8);
  e->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(info.expires_in_ms);
  e->info = info;
  e->parked = parked;  // set before anyone else can see the entry
  std::lock_guard<std::mutex> lock(mu_);
  pending_[e->info.id] = e;
  return e;
}

Verdict ApprovalQueue::wait(const std::shared_ptr<Entry>& e,
                            std::chrono::steady_clock::time_point deadline,
                            const CancelToken* cancel, const std::function<void(uint64_t)>& tick,
                            std::string* by) {
  auto started = std::chrono::steady_clock::now();
  auto next_tick = started + std::chrono::seconds(1);
  Verdict v = Verdict::timeout;
  {
    std::unique_lock<std::mutex> lock(e->mu);
    for (;;) {
      if (e->resolved) {
        v = e->approved ? Verdict::approved : Verdict::declined;
        if (by) *by = e->by;
        break;
      }
      if (cancel && cancel->cancelled()) {
        v = Verdict::cancelled;
        break;
      }
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      if (tick && now >= next_tick) {
        lock.unlock();
        tick(
            uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(now - started).count()));
        lock.lock();
        next_tick += std::chrono::seconds(1);
        continue;
      }
      // Short slices, so a cancellation is noticed quickly.
      auto until = std::min({deadline, next_tick, now + std::chrono::milliseconds(100)});
      e->cv.wait_until(lock, until);
    }
    // Closed under the entry's lock: a human deciding just now is told it
    // is too late, never that the call was approved.
    e->closed = true;
  }
  std::lock_guard<std::mutex> lock(mu_);
  pending_.erase(e->info.id);
  return v;
}

bool ApprovalQueue::resolve(const std::string& id, bool approve, const std::string& by,
                            const std::string& approver_caller, std::string* error) {
  std::shared_ptr<Entry> e;
  {
    std::lock_guard<std::mutex> lock(mu_);
    drop_expired_parked();
    auto it = pending_.find(id);
    if (it == pending_.end()) {
      *error = "no pending approval with id " + id;
      return false;
    }
    e = it->second;
  }
  if (!approver_caller.empty() && approver_caller == e->info.caller) {
    *error = "a caller cannot approve its own call";
    return false;
  }
  std::lock_guard<std::mutex> lock(e->mu);
  if (e->resolved || e->closed) {
    *error = "approval " + id + " was already decided, or has timed out";
    return false;
  }
  e->resolved = true;
  e->approved = approve;
  e->by = by;
  e->cv.notify_all();
  return true;
}

std::vector<PendingApproval> ApprovalQueue::list() {
  std::vector<PendingApproval> out;
  std::lock_guard<std::mutex> lock(mu_);
  drop_expired_parked();
  auto now = std::chrono::steady_clock::now();
  for (auto& [id, e] : pending_) {
    PendingApproval p = e->info;
    p.expires_in_ms =
        e->deadline > now
            ? uint64_t(
                  std::chrono::duration_cast<std::chrono::milliseconds>(e->deadline - now).count())
            : 0;
    out.push_back(std::move(p));
  }
  return out;
}

// --- the admin socket -------------------------------------------------------

namespace {

// The directory must be ours and closed to everyone else, or another user
// could put their own socket (or a symlink) in its place.
std::string check_private_dir(const std::string& dir, bool create) {
  if (create) ::mkdir(dir.c_str(), 0700);
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) return dir + ": " + strerror(errno);
  if (!S_ISDIR(st.st_mode)) return dir + " is not a directory";
  if (st.st_uid != ::geteuid()) return dir + " belongs to another user";
  if (st.st_mode & 077) return dir + " is open to other users (mode must be 0700)";
  return "";
}

bool fill_addr(const std::string& path, sockaddr_un* addr) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (path.size() >= sizeof addr->sun_path) return false;
  memcpy(addr->sun_path, path.data(), path.size());
  return true;
}

// Is `pid` the gateway or one of its descendants (a worker, a tool)?
bool descends_from_us(pid_t pid) {
  pid_t self = ::getpid();
  for (int depth = 0; depth < 64 && pid > 1; ++depth) {
    if (pid == self) return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto close = content.rfind(')');  // the command name may contain spaces and parentheses
    if (close == std::string::npos) return false;
    std::istringstream rest(content.substr(close + 2));
    char state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    pid = ppid;
  }
  return false;
}

bool read_line(int fd, std::string* out, size_t cap, int timeout_ms) {
  char c;
  while (out->size() < cap) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    ssize_t n = ::read(fd, &c, 1);
    if (n <= 0) return false;
    if (c == '\n') return true;
    *out += c;
  }
  return false;
}

void send_line(int fd, const json& j) { (void)send_all(fd, dump_safe(j) + "\n"); }

}  // namespace

std::string default_approvals_socket(const std::string& config_path) {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  std::string dir =
      xdg && *xdg ? std::string(xdg) + "/toolgate" : "/tmp/toolgate-" + std::to_string(::geteuid());
  char real[PATH_MAX];
  std::string key = ::realpath(config_path.c_str(), real) ? real : config_path;
  return dir + "/approvals-" + short_hash(key, 12) + ".sock";
}

AdminSocket::~AdminSocket() {
  if (wake_[1] >= 0) {
    char c = 1;
    (void)!::write(wake_[1], &c, 1);
  }
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  for (int f : wake_)
    if (f >= 0) ::close(f);
}

std::string AdminSocket::start(const std::string& path) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  if (std::string err = check_private_dir(dir, true); !err.empty()) return err;
  sockaddr_un addr;
  if (!fill_addr(path, &addr)) return "socket path too long: " + path;
  // A socket left by a gateway that died is replaced; a live one is not.
  int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    ::close(probe);
    return path + " is in use by another gateway";
  }
  ::close(probe);
  ::unlink(path.c_str());
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  mode_t old = ::umask(077);
  int rc = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (rc != 0 || ::listen(fd_, 16) != 0) {
    std::string err = path + ": " + strerror(errno);
    ::close(fd_);
    fd_ = -1;
    return err;
  }
  path_ = path;
  if (::pipe2(wake_, O_CLOEXEC) != 0) return std::string("pipe: ") + strerror(errno);
  thread_ = std::thread([this] { serve(); });
  return "";
}

void AdminSocket::serve() {
  for (;;) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents) return;
    int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    ucred cred{};
    socklen_t len = sizeof cred;
    // Our own user (or root), and never a process the gateway started: a
    // tool must not approve its own call, even with the sandbox off.
    if (::getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
        (cred.uid != ::geteuid() && cred.uid != 0) || descends_from_us(cred.pid)) {
      send_line(c, {{"error", "permission denied"}});
      ::close(c);
      continue;
    }
    if (busy_.load() >= 8) {
      send_line(c, {{"error", "busy; try again"}});
      ::close(c);
      continue;
    }
    ++busy_;
    // Each connection on its own thread: a silent client stalls nobody.
    std::thread([this, c, cred] {
      handle(c, cred.uid);
      --busy_;
    }).detach();
  }
}

void AdminSocket::handle(int c, uid_t uid) {
  std::string line;
  json reply;
  if (!read_line(c, &line, 4096, 2000)) {
    reply = {{"error", "expected one JSON request line"}};
  } else {
    json req = json::parse(line, nullptr, false);
    std::string op = req.is_object() && req.contains("op") && req["op"].is_string()
                         ? req["op"].get<std::string>()
                         : "";
    if (op == "list") {
      reply = {{"pending", json::array()}};
      for (auto& a : queue_.list()) reply["pending"].push_back(a.to_json());
    } else if ((op == "approve" || op == "deny") && req.contains("id") && req["id"].is_string()) {
      std::string err;
      std::string by = "cli:uid=" + std::to_string(uid);
      if (queue_.resolve(req["id"], op == "approve", by, "", &err)) {
        reply = {{"ok", true}};
        log::info("approval decided",
                  {{"id", req["id"]}, {"approved", op == "approve"}, {"by", by}});
      } else {
        reply = {{"error", err}};
      }
    } else {
      reply = {{"error", "unknown request; expected op list, approve or deny"}};
    }
  }
  send_line(c, reply);
  ::close(c);
}

Result<json> admin_request(const std::string& socket_path, const json& request) {
  sockaddr_un addr;
  if (!fill_addr(socket_path, &addr))
    return Error{rpc::kInternalError, "socket path too long: " + socket_path};
  // Only talk to a gateway in a directory nobody else controls, running as
  // us or root: another user could otherwise stand in for it.
  auto slash = socket_path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : socket_path.substr(0, slash);
  if (std::string err = check_private_dir(dir, false); !err.empty()) {
    return Error{rpc::kInternalError, "refusing the approvals socket: " + err};
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::string err = "cannot reach the gateway at " + socket_path + ": " + strerror(errno) +
                      " (is `toolgate serve` running with this config?)";
    ::close(fd);
    return Error{rpc::kInternalError, err};
  }
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
      (cred.uid != ::geteuid() && cred.uid != 0)) {
    ::close(fd);
    return Error{rpc::kInternalError,
                 "the process at " + socket_path + " is not running as this user or root"};
  }
  send_line(fd, request);
  std::string line;
  bool ok = read_line(fd, &line, 16 << 20, 10000);
  ::close(fd);
  if (!ok) return Error{rpc::kInternalError, "no answer from the gateway at " + socket_path};
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded()) return Error{rpc::kInternalError, "malformed answer from the gateway"};
  return j;
}

}  // namespace toolgate
