// Kernel-enforced egress: a script tool with an allow-list reaches an
// upstream on 127.0.0.1 only through the gateway's broker. Every target here
// is 127.0.0.1; denied targets are refused before any packet is sent.
#include <doctest/doctest.h>

#include <atomic>

#include "gateway/workers/sandbox_probe.h"
#include "gateway/workers/worker_pool.h"
#include "harness.h"

using namespace th;

namespace {

struct Upstream {
  httplib::Server svr;
  int port = 0;
  std::atomic<int> secret_hits{0};
  std::string redirect_to;
  std::thread t;
  Upstream() {
    svr.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("hello from upstream", "text/plain");
    });
    svr.Get("/secret", [this](const httplib::Request&, httplib::Response& res) {
      ++secret_hits;
      res.set_content("secret", "text/plain");
    });
    port = svr.bind_to_any_port("127.0.0.1");
    svr.Get("/redirect", [this](const httplib::Request&, httplib::Response& res) {
      res.set_redirect(redirect_to);
    });
    t = std::thread([this] { svr.listen_after_bind(); });
  }
  ~Upstream() {
    svr.stop();
    t.join();
  }
};

std::string config(const std::string& allow) {
  return "sources:\n  - name: web\n    type: script\n    egress: {allow: [" + allow +
         "]}\n    tools:\n      - name: fetch\n        command: [python3, " +
         std::string(SOURCE_DIR) +
         "/tests/testcases/fetch.py]\n        input_schema: {type: object}\n"
         "  - name: offline\n    type: script\n    tools:\n      - name: fetch\n        command: "
         "[python3, " +
         std::string(SOURCE_DIR) +
         "/tests/testcases/fetch.py]\n        input_schema: {type: object}\n";
}

json fetch(Gateway& gw, const std::string& tool, json args) {
  json r = gw.roundtrip(call(tool, args, 1));
  REQUIRE_MESSAGE(r.contains("result"), r.dump());
  return r["result"]["structuredContent"];
}

}  // namespace

TEST_CASE("egress: an allowed upstream is reached through the broker") {
  Upstream up;
  TempDir dir;
  auto gw =
      Gateway::stdio(dir.file("c.yaml", config("\"127.0.0.1:" + std::to_string(up.port) + "\"")));
  gw->initialize();
  json r =
      fetch(*gw, "web__fetch", {{"url", "http://127.0.0.1:" + std::to_string(up.port) + "/hello"}});
  CHECK(r["status"] == 200);
  CHECK(r["body"] == "hello from upstream");
}

TEST_CASE("egress: hosts and ports outside the allow-list are refused") {
  Upstream up;
  TempDir dir;
  auto gw =
      Gateway::stdio(dir.file("c.yaml", config("\"127.0.0.1:" + std::to_string(up.port) + "\"")));
  gw->initialize();
  json other_host = fetch(*gw, "web__fetch", {{"url", "http://not-allowed.invalid/"}});
  CHECK(other_host["status"] == 403);
  CHECK(other_host["body"].get<std::string>().find("not in the egress allow-list") !=
        std::string::npos);
  json other_port = fetch(*gw, "web__fetch", {{"url", "http://127.0.0.1:1/"}});
  CHECK(other_port["status"] == 403);
}

TEST_CASE("egress: a name that resolves to a denied address is refused") {
  Upstream up;
  TempDir dir;
  // The name is allowed, but it resolves to loopback, which only an explicit
  // IP or CIDR entry may allow.
  auto gw =
      Gateway::stdio(dir.file("c.yaml", config("\"localhost:" + std::to_string(up.port) + "\"")));
  gw->initialize();
  json r = fetch(*gw, "web__fetch",
                 {{"url", "http://localhost:" + std::to_string(up.port) + "/secret"}});
  CHECK(r["status"] == 403);
  CHECK(r["body"].get<std::string>().find("loopback") != std::string::npos);
  CHECK(up.secret_hits == 0);
}

TEST_CASE("egress: a redirect to a denied address is re-checked and refused") {
  Upstream up, secret;
  TempDir dir;
  std::string p = std::to_string(up.port), q = std::to_string(secret.port);
  // The first hop is allowed by IP. The redirect names another port whose
  // only rule is a host glob, and the name resolves to loopback.
  up.redirect_to = "http://localhost:" + q + "/secret";
  auto gw = Gateway::stdio(dir.file("c.yaml", config("\"127.0.0.1:" + p + "\", \"*:" + q + "\"")));
  gw->initialize();
  json r = fetch(*gw, "web__fetch", {{"url", "http://127.0.0.1:" + p + "/redirect"}});
  CHECK(r["status"] == 403);
  CHECK(r["body"].get<std::string>().find("loopback") != std::string::npos);
  CHECK(secret.secret_hits == 0);
}

TEST_CASE("egress: numeric host forms are judged as the address they encode") {
  Upstream up;
  TempDir dir;
  std::string p = std::to_string(up.port);
  // Everything is allowed by name, but nothing private: 2130706433 and
  // 0x7f.1 are 127.0.0.1 in disguise.
  auto gw = Gateway::stdio(dir.file("c.yaml", config("\"*:" + p + "\"")));
  gw->initialize();
  for (const char* host : {"2130706433", "0x7f.1", "0177.0.0.1", "127.1"}) {
    CAPTURE(host);
    json r =
        fetch(*gw, "web__fetch", {{"url", std::string("http://") + host + ":" + p + "/secret"}});
    CHECK(r["status"] == 403);
  }
  CHECK(up.secret_hits == 0);
}

TEST_CASE("egress: without egress a tool has no network, and with it no direct route") {
  Upstream up;
  TempDir dir;
  auto gw =
      Gateway::stdio(dir.file("c.yaml", config("\"127.0.0.1:" + std::to_string(up.port) + "\"")));
  gw->initialize();
  json offline = fetch(*gw, "offline__fetch",
                       {{"url", "http://127.0.0.1:" + std::to_string(up.port) + "/secret"}});
  CHECK(offline.contains("error"));
  // Granted egress still means "through the broker": a raw socket to the
  // upstream goes nowhere (the namespace's loopback is not the host's).
  json direct =
      fetch(*gw, "web__fetch", {{"direct", true}, {"host", "127.0.0.1"}, {"port", up.port}});
  CHECK(direct["direct"] == "failed");
  CHECK(up.secret_hits == 0);
}

TEST_CASE("egress: an HTTP request made inside the sandbox uses brokered sockets, hop by hop") {
  using namespace toolgate;
  Upstream up, secret;
  std::string p = std::to_string(up.port), q = std::to_string(secret.port);
  WorkerPool pool(TOOLGATE_WORKER_BIN, 2);
  SandboxConfig sc;
  SandboxSupport sup = probe_sandbox(pool, sc);
  REQUIRE(sup.namespaces);
  WorkOrder o;
  o.argv = {"-"};
  o.limits.timeout_ms = 10000;
  o.sandbox = base_sandbox(sup, sc);
  o.egress_allow = {"127.0.0.1:" + p, "*:" + q};
  o.http = {{"method", "GET"}, {"url", "http://127.0.0.1:" + p + "/hello"}};

  WorkResult ok = pool.run(o, nullptr);
  REQUIRE(ok.outcome == Outcome::ok);
  CHECK(ok.stdout_json["status"] == 200);
  CHECK(ok.stdout_json["body"] == "hello from upstream");
  CHECK(ok.stdout_json["headers"]["content-type"] == "text/plain");

  // The redirect's target is brokered again, and refused: the name resolves
  // to loopback and only a host glob covers that port.
  up.redirect_to = "http://localhost:" + q + "/secret";
  o.http["url"] = "http://127.0.0.1:" + p + "/redirect";
  WorkResult redirected = pool.run(o, nullptr);
  REQUIRE(redirected.outcome == Outcome::ok);
  CHECK(redirected.stdout_json["error"].get<std::string>().find("loopback") != std::string::npos);
  CHECK(redirected.stdout_json["redirects"] == 1);
  CHECK(secret.secret_hits == 0);

  o.http["url"] = "http://not-allowed.invalid/";
  WorkResult outside = pool.run(o, nullptr);
  CHECK(outside.stdout_json["error"].get<std::string>().find("not in the egress allow-list") !=
        std::string::npos);
}
