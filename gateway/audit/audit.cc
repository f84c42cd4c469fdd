#include "gateway/audit/audit.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "common/io.h"
#include "common/log.h"
#include "common/text.h"

namespace toolgate {
namespace {

bool secret_key(const std::string& name) {
  std::string k = ascii_lower(name);
  static const char* kWords[] = {"password", "passwd",      "secret",     "token",
                                 "api_key",  "apikey",      "api-key",    "authorization",
                                 "cookie",   "private_key", "credential", "session_key"};
  for (const char* w : kWords)
    if (k.find(w) != std::string::npos) return true;
  return false;
}

std::string scrub(std::string s, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.size() < 4) continue;  // too short to tell apart from ordinary text
    for (size_t at = s.find(secret); at != std::string::npos; at = s.find(secret, at + 10)) {
      s.replace(at, secret.size(), "[REDACTED]");
    }
  }
  return s;
}

}  // namespace

std::string utc_timestamp_ms() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  time_t t = time_t(ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[40];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof buf - n, ".%03dZ", int(ms % 1000));
  return buf;
}

namespace {

json redact_impl(const json& value, const std::vector<std::string>& secrets, bool by_key) {
  if (value.is_object()) {
    json out = json::object();
    for (auto& [k, v] : value.items()) {
      out[scrub(k, secrets)] = by_key && secret_key(k) && !v.is_null()
                                   ? json("[REDACTED]")
                                   : redact_impl(v, secrets, by_key);
    }
    return out;
  }
  if (value.is_array()) {
    json out = json::array();
    for (auto& v : value) out.push_back(redact_impl(v, secrets, by_key));
    return out;
  }
  if (value.is_string()) return scrub(value.get<std::string>(), secrets);
  return value;
}

}  // namespace

json redact(const json& value, const std::vector<std::string>& secrets) {
  return redact_impl(value, secrets, true);
}

json redact_values(const json& value, const std::vector<std::string>& secrets) {
  return redact_impl(value, secrets, false);
}

std::string args_digest(const json& args) {
  std::string canon = dump_safe(args);  // object keys are sorted: canonical
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canon.data()), canon.size(), md);
  static const char* kHex = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned char b : md) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

Result<std::shared_ptr<AuditLog>> AuditLog::open(const AuditConfig& cfg) {
  std::shared_ptr<AuditLog> log(new AuditLog(cfg));
  log->fd_ = ::open(cfg.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (log->fd_ < 0) {
    return Error{rpc::kInternalError,
                 "cannot open the audit log " + cfg.path + ": " + strerror(errno)};
  }
  struct stat st;
  if (::fstat(log->fd_, &st) == 0) log->size_ = uint64_t(st.st_size);
  return log;
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

bool AuditLog::rotate_locked() {
  const std::string& p = cfg_.path;
  if (cfg_.keep == 0) {
    ::unlink(p.c_str());
  } else {
    for (int i = cfg_.keep - 1; i >= 1; --i) {
      std::string from = p + "." + std::to_string(i), to = p + "." + std::to_string(i + 1);
      ::rename(from.c_str(), to.c_str());
    }
    if (::rename(p.c_str(), (p + ".1").c_str()) != 0) return false;
  }
  int fd = ::open(p.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  ::close(fd_);
  fd_ = fd;
  size_ = 0;
  return true;
}

void AuditLog::reconfigure(const AuditConfig& cfg) {
  std::lock_guard<std::mutex> lock(mu_);
  if (cfg.path == cfg_.path) cfg_ = cfg;
}

bool AuditLog::write(json record) {
  json line = {{"ts", utc_timestamp_ms()}};
  line.update(record);
  std::string text = dump_safe(line) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  if (size_ > 0 && size_ + text.size() > cfg_.max_bytes && !rotate_locked()) {
    log::error("audit log rotation failed; still writing to the current file",
               {{"path", cfg_.path}, {"error", strerror(errno)}});
    size_ = 0;  // try again after another max_bytes, not on every record
  }
  if (!write_all(fd_, text)) {
    log::error("audit log write failed", {{"path", cfg_.path}, {"error", strerror(errno)}});
    return false;
  }
  size_ += text.size();
  if (cfg_.fsync && ::fdatasync(fd_) != 0) {
    log::error("audit log fdatasync failed", {{"path", cfg_.path}, {"error", strerror(errno)}});
    return false;
  }
  return true;
}

}  // namespace toolgate
