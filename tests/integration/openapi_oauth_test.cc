// OAuth2 credentials of OpenAPI sources end to end: a real token endpoint
// and resource on loopback, the real gateway and its workers
// (adapters/openapi/oauth_tokens.cc, worker/net/http_fetch.cc).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "harness.h"

using namespace th;

namespace {

std::string fixture(const std::string& name) {
  return std::string(SOURCE_DIR) + "/tests/fixtures/openapi/" + name;
}

}  // namespace

namespace {

// An API behind OAuth2: a token endpoint that issues (and, for the
// refresh_token grant, rotates) tokens, and a resource that wants a live one.
struct OAuthUpstream {
  httplib::Server svr;
  int port = 0;
  std::mutex mu;
  int token_requests = 0, issued = 0;
  std::set<std::string> live;  // access tokens the resource accepts
  std::string refresh = "rt-0";
  std::vector<std::string> grants;
  std::thread t;
  OAuthUpstream() {
    svr.Post("/oauth/token", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu);
      ++token_requests;
      std::string grant = req.get_param_value("grant_type");
      grants.push_back(grant);
      bool ok = req.get_param_value("client_id") == "cid" &&
                (grant == "client_credentials"
                     ? req.get_param_value("client_secret") == "csecret-123456"
                     : grant == "refresh_token" && req.get_param_value("refresh_token") == refresh);
      if (!ok) {
        res.status = 400;
        res.set_content(R"({"error":"invalid_grant"})", "application/json");
        return;
      }
      std::string at = "at-" + std::to_string(++issued);
      live.insert(at);
      json body = {{"access_token", at}, {"token_type", "bearer"}, {"expires_in", 3600}};
      if (grant == "refresh_token") {
        refresh = "rt-" + std::to_string(issued);  // rotated on every use
        body["refresh_token"] = refresh;
      }
      res.set_content(body.dump(), "application/json");
    });
    svr.Get(R"(/v1/pets/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu);
      if (req.matches[1] == "slow") {
        std::this_thread::sleep_for(std::chrono::seconds(3));  // beyond the call's timeout
        return;
      }
      std::string auth = req.get_header_value("Authorization");
      if (auth.rfind("Bearer ", 0) != 0 || !live.count(auth.substr(7))) {
        res.status = 401;
        res.set_content(R"({"message":"bad token"})", "application/json");
        return;
      }
      res.set_content(R"({"id":1,"name":")" + auth.substr(7) + R"("})", "application/json");
    });
    port = svr.bind_to_any_port("127.0.0.1");
    t = std::thread([this] { svr.listen_after_bind(); });
  }
  ~OAuthUpstream() {
    svr.stop();
    t.join();
  }
  void revoke_all() {
    std::lock_guard<std::mutex> lock(mu);
    live.clear();
  }
};

std::string oauth_config(const OAuthUpstream& up, const std::string& auth,
                         const std::string& extra = "") {
  std::string base = "http://127.0.0.1:" + std::to_string(up.port);
  return "audit: {path: audit.jsonl}\nsources:\n  - name: pets\n    type: openapi\n    spec: " +
         fixture("petstore.yaml") + "\n    base_url: " + base + "/v1\n    auth: {" + auth +
         ", token_url: \"" + base + "/oauth/token\", client_id: cid}\n" + extra;
}

}  // namespace

TEST_CASE("openapi: OAuth2 client credentials are fetched once, cached, and renewed on a 401") {
  OAuthUpstream up;
  TempDir dir;
  auto gw = Gateway::stdio(
      dir.file("c.yaml",
               oauth_config(up, "type: oauth2_client_credentials, client_secret: csecret-123456")));
  gw->initialize();
  auto pet = [&](const char* id) {
    json r = gw->roundtrip(call("pets__showPetById", {{"petId", id}}));
    REQUIRE(r.contains("result"));
    return r["result"];
  };
  CHECK(pet("1")["structuredContent"]["name"] == "at-1");
  CHECK(pet("2")["structuredContent"]["name"] == "at-1");  // the cached token
  CHECK(up.token_requests == 1);
  up.revoke_all();
  CHECK(pet("3")["structuredContent"]["name"] == "at-2");  // 401, one refresh, one retry
  CHECK(up.token_requests == 2);
  up.revoke_all();
  {
    std::lock_guard<std::mutex> lock(up.mu);
    up.issued = 100;
  }
  CHECK(pet("4")["structuredContent"]["name"] == "at-101");
  std::string audit = read_file(dir.path + "/audit.jsonl");
  CHECK(audit.find("csecret") == std::string::npos);
  CHECK(audit.find("at-1") == std::string::npos);
  CHECK(gw->stderr_text().find("csecret") == std::string::npos);
}

TEST_CASE("openapi: a rotated OAuth2 refresh token is saved to token_file and used next time") {
  OAuthUpstream up;
  TempDir dir;
  std::string token_file = dir.path + "/refresh.token";
  std::string cfg = dir.file(
      "c.yaml", oauth_config(up, "type: oauth2_refresh_token, refresh_token: rt-0, token_file: " +
                                     token_file));
  {
    auto gw = Gateway::stdio(cfg);
    gw->initialize();
    json r = gw->roundtrip(call("pets__showPetById", {{"petId", "1"}}));
    CHECK(r["result"]["structuredContent"]["name"] == "at-1");
  }
  // The server rotated rt-0 to rt-1; the file has it, mode 0600.
  std::ifstream in(token_file);
  std::string saved;
  std::getline(in, saved);
  CHECK(saved == "rt-1");
  struct stat st;
  REQUIRE(::stat(token_file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // A new gateway starts from the file, not from the config's old token
  // (which the server no longer accepts).
  auto gw = Gateway::stdio(cfg);
  gw->initialize();
  json r = gw->roundtrip(call("pets__showPetById", {{"petId", "2"}}));
  CHECK(r["result"]["structuredContent"]["name"] == "at-2");
  CHECK(up.grants == std::vector<std::string>{"refresh_token", "refresh_token"});
  std::ifstream again(token_file);
  std::getline(again, saved);
  CHECK(saved == "rt-2");

  // A token endpoint that refuses is a clean tool error without the secret.
  {
    std::lock_guard<std::mutex> lock(up.mu);
    up.refresh = "rt-unknown";
    up.live.clear();
  }
  json refused = gw->roundtrip(call("pets__showPetById", {{"petId", "3"}}));
  CHECK(refused["result"].value("isError", false));
  std::string text = refused["result"]["content"][0]["text"];
  CAPTURE(text);
  CHECK(text.find("token endpoint answered HTTP 400 (invalid_grant)") != std::string::npos);
  CHECK(text.find("rt-2") == std::string::npos);
}

TEST_CASE("openapi: a rotated refresh token is saved even when the API call then times out") {
  OAuthUpstream up;
  TempDir dir;
  std::string token_file = dir.path + "/refresh.token";
  std::string cfg = dir.file(
      "c.yaml",
      oauth_config(up, "type: oauth2_refresh_token, refresh_token: rt-0, token_file: " + token_file,
                   "    timeout_ms: 1500\n"));
  {
    auto gw = Gateway::stdio(cfg);
    gw->initialize();
    json r = gw->roundtrip(call("pets__showPetById", {{"petId", "slow"}}));
    CHECK(r["result"].value("isError", false));
    CHECK(r["result"]["content"][0]["text"].get<std::string>().find("timed out") !=
          std::string::npos);
  }
  std::ifstream in(token_file);
  std::string saved;
  std::getline(in, saved);
  CHECK(saved == "rt-1");  // fetched and saved before the API call began
  auto gw = Gateway::stdio(cfg);
  gw->initialize();
  json r = gw->roundtrip(call("pets__showPetById", {{"petId", "1"}}));
  CHECK(r["result"]["structuredContent"]["name"] == "at-2");
}
