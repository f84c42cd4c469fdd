#include "common/proc.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <charconv>

namespace toolgate {
namespace {

bool parse_int(std::string_view s, int* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Whitespace-separated decimal pids, as in a `children` file.
void append_pids(std::string_view text, std::vector<pid_t>* out) {
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\n') ++i;
    int pid;
    if (i > start && parse_int(text.substr(start, i - start), &pid) && pid > 0) out->push_back(pid);
  }
}

void descend(pid_t pid, int depth, int max_depth, std::vector<pid_t>* out) {
  if (depth > max_depth) return;
  for (pid_t c : child_pids(pid)) {
    out->push_back(c);
    descend(c, depth + 1, max_depth, out);
  }
}

}  // namespace

std::vector<CgroupLine> parse_proc_cgroup(std::string_view text) {
  std::vector<CgroupLine> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    // The path is everything after the second colon: it may hold colons.
    size_t a = line.find(':');
    size_t b = a == std::string_view::npos ? a : line.find(':', a + 1);
    if (b == std::string_view::npos) continue;
    CgroupLine l;
    if (!parse_int(line.substr(0, a), &l.hierarchy) || l.hierarchy < 0) continue;
    l.path = std::string(line.substr(b + 1));
    if (l.path.empty() || l.path[0] != '/') continue;
    std::string_view ctrls = line.substr(a + 1, b - a - 1);
    while (!ctrls.empty()) {
      size_t comma = ctrls.find(',');
      if (comma != 0) l.controllers.emplace_back(ctrls.substr(0, comma));
      ctrls.remove_prefix(comma == std::string_view::npos ? ctrls.size() : comma + 1);
    }
    out.push_back(std::move(l));
  }
  return out;
}

std::optional<std::string> cgroup_path(const std::vector<CgroupLine>& lines,
                                       std::string_view controller) {
  for (const auto& l : lines) {
    bool match = controller.empty() ? l.controllers.empty() : false;
    for (const auto& c : l.controllers) match |= c == controller;
    if (match) return l.path == "/" ? std::string() : l.path;
  }
  return std::nullopt;
}

std::vector<std::string> call_cgroup_parents(const std::vector<CgroupLine>& lines,
                                             const std::string& mount) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    std::string path = l.path == "/" ? "" : l.path;
    if (l.controllers.empty()) out.push_back(mount + path);
    for (const auto& c : l.controllers)
      if (c == "memory" || c == "pids") out.push_back(mount + "/" + c + path);
  }
  return out;
}

std::string read_proc_text(const std::string& path) {
  // Read to EOF: /proc files report a size of 0.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, size_t(n));
  ::close(fd);
  return out;
}

std::vector<pid_t> child_pids(pid_t pid) {
  std::vector<pid_t> out;
  std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(task_dir.c_str());
  if (!d) return out;
  // Each thread lists the children it forked; the process's are the union.
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    append_pids(read_proc_text(task_dir + "/" + e->d_name + "/children"), &out);
  }
  ::closedir(d);
  return out;
}

std::vector<pid_t> descendant_pids(pid_t pid, int max_depth) {
  std::vector<pid_t> out;
  descend(pid, 0, max_depth, &out);
  return out;
}

}  // namespace toolgate
