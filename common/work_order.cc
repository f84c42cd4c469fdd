#include "common/work_order.h"

namespace toolgate {
namespace {

template <typename T>
void read_uint(const json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it != j.end() && it->is_number_unsigned()) *out = it->template get<T>();
}

bool is_string_array(const json& j) {
  if (!j.is_array()) return false;
  for (auto& v : j)
    if (!v.is_string()) return false;
  return true;
}

}  // namespace

json Limits::to_json() const {
  return {{"timeout_ms", timeout_ms},
          {"memory_mb", memory_mb},
          {"address_space_mb", address_space_mb},
          {"cpu_seconds", cpu_seconds},
          {"max_output_bytes", max_output_bytes},
          {"max_open_files", max_open_files},
          {"max_processes", max_processes},
          {"max_file_mb", max_file_mb}};
}

Limits Limits::from_json(const json& j) {
  Limits l;
  if (!j.is_object()) return l;
  read_uint(j, "timeout_ms", &l.timeout_ms);
  read_uint(j, "memory_mb", &l.memory_mb);
  read_uint(j, "address_space_mb", &l.address_space_mb);
  read_uint(j, "cpu_seconds", &l.cpu_seconds);
  read_uint(j, "max_output_bytes", &l.max_output_bytes);
  read_uint(j, "max_open_files", &l.max_open_files);
  read_uint(j, "max_processes", &l.max_processes);
  read_uint(j, "max_file_mb", &l.max_file_mb);
  return l;
}

json SandboxSpec::to_json() const {
  json m = json::array();
  for (auto& x : mounts) m.push_back({{"path", x.path}, {"writable", x.writable}});
  return {{"namespaces", namespaces},
          {"drop_identity", drop_identity},
          {"user_namespace", user_namespace},
          {"seccomp", seccomp},
          {"seccomp_kill", seccomp_kill},
          {"cgroups", cgroups},
          {"egress", egress},
          {"uid", uid},
          {"gid", gid},
          {"tmp_mb", tmp_mb},
          {"mounts", m},
          {"cgroup_name", cgroup_name}};
}

SandboxSpec SandboxSpec::from_json(const json& j) {
  SandboxSpec s;
  if (!j.is_object()) return s;
  auto flag = [&](const char* k, bool* out) {
    auto it = j.find(k);
    if (it != j.end() && it->is_boolean()) *out = it->get<bool>();
  };
  flag("namespaces", &s.namespaces);
  flag("drop_identity", &s.drop_identity);
  flag("user_namespace", &s.user_namespace);
  flag("seccomp", &s.seccomp);
  flag("seccomp_kill", &s.seccomp_kill);
  flag("cgroups", &s.cgroups);
  flag("egress", &s.egress);
  read_uint(j, "uid", &s.uid);
  read_uint(j, "gid", &s.gid);
  read_uint(j, "tmp_mb", &s.tmp_mb);
  if (auto c = j.find("cgroup_name"); c != j.end() && c->is_string()) s.cgroup_name = *c;
  if (auto m = j.find("mounts"); m != j.end() && m->is_array()) {
    for (auto& x : *m) {
      if (!x.is_object() || !x.contains("path") || !x["path"].is_string()) continue;
      auto w = x.find("writable");
      s.mounts.push_back(
          {x["path"].get<std::string>(), w != x.end() && w->is_boolean() && w->get<bool>()});
    }
  }
  return s;
}

json WorkOrder::to_json() const {
  json e = json::array();
  for (auto& [k, v] : env) e.push_back(k + "=" + v);
  return {{"argv", argv},
          {"env", e},
          {"cwd", cwd},
          {"stdin", stdin_data},
          {"limits", limits.to_json()},
          {"sandbox", sandbox.to_json()},
          {"egress_allow", egress_allow},
          {"keep_worker", keep_worker},
          {"serve", serve},
          {"http", http}};
}

Result<WorkOrder> WorkOrder::from_json(const json& j) {
  WorkOrder o;
  if (!j.is_object()) return Error{rpc::kInvalidRequest, "order is not an object"};
  auto argv = j.find("argv");
  if (argv == j.end() || !is_string_array(*argv) || argv->empty()) {
    return Error{rpc::kInvalidRequest, "order.argv must be a non-empty string array"};
  }
  o.argv = argv->get<std::vector<std::string>>();
  if (auto env = j.find("env"); env != j.end()) {
    if (!is_string_array(*env)) return Error{rpc::kInvalidRequest, "order.env must be strings"};
    for (auto& kv : *env) {
      auto s = kv.get<std::string>();
      auto eq = s.find('=');
      if (eq == std::string::npos || eq == 0) {
        return Error{rpc::kInvalidRequest, "order.env entries are NAME=value"};
      }
      o.env.emplace_back(s.substr(0, eq), s.substr(eq + 1));
    }
  }
  if (auto c = j.find("cwd"); c != j.end() && c->is_string()) o.cwd = *c;
  if (auto s = j.find("stdin"); s != j.end() && s->is_string()) o.stdin_data = *s;
  if (auto l = j.find("limits"); l != j.end()) o.limits = Limits::from_json(*l);
  if (auto sb = j.find("sandbox"); sb != j.end()) o.sandbox = SandboxSpec::from_json(*sb);
  if (auto h = j.find("http"); h != j.end() && h->is_object()) o.http = *h;
  if (auto k = j.find("keep_worker"); k != j.end() && k->is_boolean()) o.keep_worker = *k;
  if (auto k = j.find("serve"); k != j.end() && k->is_boolean()) o.serve = *k;
  if (auto e = j.find("egress_allow"); e != j.end() && is_string_array(*e)) {
    o.egress_allow = e->get<std::vector<std::string>>();
  }
  return o;
}

json WorkResult::to_json() const {
  json j = {{"outcome", std::string(to_string(outcome))},
            {"reason", std::string(to_string(reason))},
            {"exit_code", exit_code},
            {"signal", signal},
            {"stdout_text", stdout_text},
            {"stdout_is_json", stdout_is_json},
            {"stderr_tail", stderr_tail},
            {"detail", detail},
            {"duration_ms", duration_ms},
            {"max_rss_kb", max_rss_kb}};
  if (stdout_is_json) j["stdout_json"] = stdout_json;
  return j;
}

Result<WorkResult> WorkResult::from_json(const json& j, uint64_t max_output_bytes) {
  auto bad = [](const char* what) {
    return Error{rpc::kInternalError, std::string("malformed worker frame: ") + what};
  };
  if (!j.is_object()) return bad("not an object");
  WorkResult r;
  auto o = j.find("outcome");
  if (o == j.end() || !o->is_string()) return bad("no outcome");
  auto oc = outcome_from_string(o->get<std::string>());
  if (!oc) return bad("unknown outcome");
  r.outcome = *oc;
  // As strict as the outcome: a reason this gateway does not know means the
  // worker is not the one it was built with, or not a worker at all.
  auto rs = j.find("reason");
  if (rs == j.end() || !rs->is_string()) return bad("no reason");
  auto reason = end_reason_from_string(rs->get<std::string>());
  if (!reason) return bad("unknown reason");
  r.reason = *reason;
  auto get_int = [&](const char* k, int* out) {
    auto it = j.find(k);
    if (it != j.end() && it->is_number_integer()) *out = it->get<int>();
  };
  get_int("exit_code", &r.exit_code);
  get_int("signal", &r.signal);
  auto get_str = [&](const char* k, std::string* out, size_t cap) -> bool {
    auto it = j.find(k);
    if (it == j.end()) return true;
    if (!it->is_string()) return false;
    if (it->get_ref<const std::string&>().size() > cap) return false;
    *out = sanitize_utf8(it->get_ref<const std::string&>());
    return true;
  };
  // Invalid UTF-8 becomes U+FFFD (3 bytes) in the worker, so text may be
  // up to three times the raw cap.
  if (!get_str("stdout_text", &r.stdout_text, max_output_bytes * 3 + 16)) return bad("stdout_text");
  if (!get_str("stderr_tail", &r.stderr_tail, kStderrTailBytes * 3 + 16)) return bad("stderr_tail");
  if (!get_str("detail", &r.detail, 512)) return bad("detail");
  if (auto it = j.find("stdout_is_json"); it != j.end() && it->is_boolean()) {
    r.stdout_is_json = it->get<bool>();
  }
  if (r.stdout_is_json) {
    auto it = j.find("stdout_json");
    if (it == j.end()) return bad("stdout_json missing");
    r.stdout_json = *it;
  }
  if (auto it = j.find("duration_ms"); it != j.end() && it->is_number_unsigned()) {
    r.duration_ms = it->get<uint64_t>();
  }
  if (auto it = j.find("max_rss_kb"); it != j.end() && it->is_number_unsigned()) {
    r.max_rss_kb = it->get<uint64_t>();
  }
  return r;
}

}  // namespace toolgate
