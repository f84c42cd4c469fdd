// OpenAPI sources end to end: the real gateway loads specs from
// tests/fixtures/openapi, and its workers call a cpp-httplib upstream on
// loopback through the egress broker. The upstream records what arrives, so
// request building is checked on the wire.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

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

struct Seen {
  std::string method, path, query, body, content_type, auth, request_id;
  int remote_port = 0;  // the same for requests on one kept-alive connection
};

struct PetUpstream {
  httplib::Server svr;
  int port = 0;
  std::mutex mu;
  std::vector<Seen> seen;
  std::thread t;
  PetUpstream() {
    auto record = [this](const httplib::Request& req) {
      std::lock_guard<std::mutex> lock(mu);
      std::string q;
      for (auto& [k, v] : req.params) q += (q.empty() ? "" : "&") + k + "=" + v;
      seen.push_back({req.method, req.path, q, req.body, req.get_header_value("Content-Type"),
                      req.get_header_value("Authorization"), req.get_header_value("X-Request-Id"),
                      req.remote_port});
    };
    svr.Get("/v1/pets", [record](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content(R"([{"id":1,"name":"Rex","tag":null},{"id":2,"name":"Tom"}])",
                      "application/json");
    });
    svr.Post("/v1/pets", [record](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.status = 201;
      json body = json::parse(req.body);
      body["id"] = 7;
      res.set_content(body.dump(), "application/json");
    });
    svr.Get(R"(/v1/pets/([^/]+))", [record](const httplib::Request& req, httplib::Response& res) {
      record(req);
      std::string id = req.matches[1];
      if (id == "404") {
        res.status = 404;
        res.set_content(R"({"message":"no such pet"})", "application/json");
      } else if (id == "busy") {
        res.status = 429;
        res.set_header("Retry-After", "30");
        res.set_content("slow down", "text/plain");
      } else if (id == "echo") {
        res.status = 400;
        res.set_content("bad request for key " + req.get_param_value("key"), "text/plain");
      } else if (id == "bin") {
        res.set_content(std::string("\x89PNG\x00\xff", 6), "application/octet-stream");
      } else if (id == "big") {
        res.set_content(R"({"id":5,"name":")" + std::string(8000, 'x') + R"("})",
                        "application/json");
      } else if (id == "liar") {
        res.set_content(R"({"name":"no id"})", "application/json");  // breaks the spec
      } else {
        res.set_content(R"({"id":5,"name":"pet )" + id + R"("})", "application/json");
      }
    });
    svr.Delete(R"(/v1/pets/([^/]+))",
               [record](const httplib::Request& req, httplib::Response& res) {
                 record(req);
                 if (req.matches[1] == "bin") {  // a binary answer
                   res.set_content(std::string("\x89PNG\x00\xff", 6), "application/octet-stream");
                   return;
                 }
                 res.status = 204;
               });
    svr.Put(R"(/v1/files/(.+))", [record](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content("stored " + std::to_string(req.body.size()) + " bytes", "text/plain");
    });
    svr.Get("/spec.yaml", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(read_file(fixture("petstore.yaml")), "application/yaml");
    });
    svr.Get("/spec.json", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(read_file(fixture("swagger2.json")), "application/json");
    });
    port = svr.bind_to_any_port("127.0.0.1");
    t = std::thread([this] { svr.listen_after_bind(); });
  }
  ~PetUpstream() {
    svr.stop();
    t.join();
  }
  Seen last() {
    std::lock_guard<std::mutex> lock(mu);
    REQUIRE_FALSE(seen.empty());
    return seen.back();
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu);
    return seen.size();
  }
};

struct OpenApiFixture {
  PetUpstream up;
  TempDir dir;
  std::string config;
  std::unique_ptr<Gateway> gw;
  explicit OpenApiFixture(const std::string& extra = "", const std::string& top = "") {
    config = dir.file("c.yaml", top +
                                    "audit: {path: audit.jsonl}\nsources:\n"
                                    "  - name: pets\n    type: openapi\n    spec: " +
                                    fixture("petstore.yaml") + "\n    base_url: http://127.0.0.1:" +
                                    std::to_string(up.port) + "/v1\n" +
                                    "    auth: {type: bearer, token: tok-s3cr3t-value}\n" + extra);
    gw = Gateway::stdio(config);
    gw->initialize();
  }
  json call_tool(const std::string& name, json args) {
    json r = gw->roundtrip(call(name, std::move(args)));
    REQUIRE_MESSAGE(r.contains("result"), r.dump());
    return r["result"];
  }
};

std::string text_of(const json& result) { return result["content"][0].value("text", ""); }

}  // namespace

TEST_CASE("openapi: every operation is a tool with its schemas, annotations and facts") {
  TempDir dir;
  std::string cfg = dir.file(
      "c.yaml", "sources:\n  - {name: pets, type: openapi, spec: " + fixture("petstore.yaml") +
                    ", base_url: \"http://127.0.0.1:9/v1\"}\n"
                    "  - {name: legacy, type: openapi, spec: " +
                    fixture("swagger2.json") + "}\n");
  auto r = run("tools -c " + cfg + " --json");
  REQUIRE(r.status == 0);
  // The bad operation is skipped with a warning naming the file and line.
  CHECK(r.out.find("petstore.yaml:95:11: unresolvable $ref #/components/parameters/DoesNotExist; "
                   "the operation is skipped") != std::string::npos);
  json tools = json::parse(r.out.substr(r.out.find("[\n")));
  std::map<std::string, json> by;
  for (auto& t : tools) by[t["name"]] = t;
  CHECK(by.size() == 8);
  REQUIRE(by.count("pets__showPetById"));
  REQUIRE(by.count("pets__put_files_path"));  // no operationId: method and path

  json show = by["pets__showPetById"];
  CHECK(show["annotations"]["readOnlyHint"] == true);
  CHECK(show["inputSchema"]["required"] == json::array({"petId"}));
  CHECK(show["outputSchema"]["$defs"]["Pet"]["properties"].contains("id"));
  CHECK_FALSE(show["outputSchema"]["$defs"]["Pet"]["properties"].contains("secret_note"));

  json create = by["pets__createPet"];
  json pet_in = create["inputSchema"]["$defs"]["Pet"];
  CHECK_FALSE(pet_in["properties"].contains("id"));  // readOnly: not an input
  CHECK(pet_in["required"] == json::array({"name"}));
  CHECK(pet_in["properties"]["parent"]["$ref"] == "#/$defs/Pet");  // the cycle, by reference
  CHECK(pet_in["properties"]["tag"]["type"] == json::array({"string", "null"}));
  CHECK(create["inputSchema"]["properties"]["body"]["$ref"] == "#/$defs/Pet");
  CHECK(by["pets__deletePet"]["annotations"]["destructiveHint"] == true);
  CHECK(by["pets__deletePet"]["annotations"]["idempotentHint"] == true);

  // Swagger 2.0 lands in the same model.
  CHECK(by["legacy__createUser"]["inputSchema"]["$defs"]["User"]["properties"]["friends"]["items"]
          ["$ref"] == "#/$defs/User");
  CHECK(by["legacy__login"]["inputSchema"]["properties"]["body"]["required"] ==
        json::array({"username", "password"}));

  // strict: the bad operation fails the load, with the same position.
  std::string strict =
      dir.file("s.yaml", "sources:\n  - {name: pets, type: openapi, strict: true, spec: " +
                             fixture("petstore.yaml") + ", base_url: \"http://127.0.0.1:9/v1\"}\n");
  auto s = run("validate -c " + strict);
  CHECK(s.status == 1);
  CHECK(s.out.find("petstore.yaml:95:11: unresolvable $ref") != std::string::npos);

  // Filters: tags, methods, operation globs.
  std::string filtered = dir.file(
      "f.yaml",
      "sources:\n  - name: pets\n    type: openapi\n    spec: " + fixture("petstore.yaml") +
          "\n    base_url: http://127.0.0.1:9/v1\n"
          "    include: {tags: [pets]}\n    exclude: {methods: [POST]}\n");
  auto f = run("tools -c " + filtered);
  CHECK(f.out.find("pets__listPets") != std::string::npos);
  CHECK(f.out.find("pets__showPetById") != std::string::npos);
  CHECK(f.out.find("pets__createPet") == std::string::npos);
  CHECK(f.out.find("pets__deletePet") == std::string::npos);
}

TEST_CASE("openapi: calls build the request the spec describes, with credentials") {
  OpenApiFixture f;
  json list = f.call_tool("pets__listPets", {{"limit", 2},
                                             {"tags", {"a b", "c&d"}},
                                             {"fields", {"id", "name"}},
                                             {"filter", {{"color", "red"}}}});
  CHECK_FALSE(list.value("isError", false));
  CHECK(list["structuredContent"]["result"][0]["name"] == "Rex");
  Seen s = f.up.last();
  CHECK(s.method == "GET");
  CHECK(s.path == "/v1/pets");
  CHECK(s.auth == "Bearer tok-s3cr3t-value");
  // httplib decodes the query: exploded tags repeat, fields are joined, deepObject nests.
  CHECK(s.query.find("tags=a b&tags=c&d") != std::string::npos);
  CHECK(s.query.find("fields=id,name") != std::string::npos);
  CHECK(s.query.find("filter[color]=red") != std::string::npos);
  CHECK(s.query.find("limit=2") != std::string::npos);

  json one = f.call_tool("pets__showPetById", {{"petId", "a b"}, {"X-Request-Id", "req-1"}});
  CHECK_FALSE(one.value("isError", false));
  CHECK(one["structuredContent"]["name"] == "pet a b");
  CHECK(f.up.last().path == "/v1/pets/a b");  // sent as a%20b, decoded by httplib
  CHECK(f.up.last().request_id == "req-1");

  json made = f.call_tool("pets__createPet", {{"body", {{"name", "Kit"}, {"tag", nullptr}}}});
  CHECK_FALSE(made.value("isError", false));
  CHECK(made["structuredContent"]["id"] == 7);
  CHECK(f.up.last().content_type == "application/json");
  CHECK(json::parse(f.up.last().body) == json{{"name", "Kit"}, {"tag", nullptr}});

  // A body that breaks the schema never leaves.
  size_t before = f.up.count();
  json bad = f.call_tool("pets__createPet", {{"body", {{"tag", "no name"}}}});
  CHECK(bad.value("isError", false));
  CHECK(text_of(bad).find("Invalid arguments") == 0);
  CHECK(f.up.count() == before);

  json upload = f.call_tool("pets__put_files_path", {{"path", "notes.txt"}, {"body", "aGVsbG8="}});
  CHECK(text_of(upload) == "stored 5 bytes");
  CHECK(f.up.last().body == "hello");
  CHECK(f.up.last().content_type == "application/octet-stream");
}

TEST_CASE("openapi: hostile path values are refused before anything is sent") {
  OpenApiFixture f;
  size_t before = f.up.count();
  for (std::string v : {"..", "../admin", "a/b", "%2e%2e", "a%2Fb", "."}) {
    CAPTURE(v);
    json r = f.call_tool("pets__showPetById", {{"petId", v}});
    CHECK(r.value("isError", false));
    CHECK(text_of(r).find("must not be empty or contain") != std::string::npos);
  }
  json crlf =
      f.call_tool("pets__showPetById", {{"petId", "1"}, {"X-Request-Id", "a\r\nHost: evil"}});
  CHECK(crlf.value("isError", false));
  CHECK(f.up.count() == before);
}

TEST_CASE("openapi: upstream errors, rate limits and spec violations are tool errors") {
  OpenApiFixture f;
  json nf = f.call_tool("pets__showPetById", {{"petId", "404"}});
  CHECK(nf.value("isError", false));
  CHECK(text_of(nf) == "HTTP 404 from GET /pets/{petId}: {\"message\":\"no such pet\"}");
  json busy = f.call_tool("pets__showPetById", {{"petId", "busy"}});
  CHECK(text_of(busy) == "HTTP 429 from GET /pets/{petId} (Retry-After: 30): slow down");
  json liar = f.call_tool("pets__showPetById", {{"petId", "liar"}});
  CHECK(liar.value("isError", false));
  CHECK(text_of(liar).find("does not match its outputSchema") != std::string::npos);
  json gone = f.call_tool("pets__deletePet", {{"petId", "9"}});
  CHECK_FALSE(gone.value("isError", false));
  CHECK(text_of(gone) == "HTTP 204 (no content)");

  // The audit log has the upstream status, and never the token.
  std::string audit = read_file(f.dir.path + "/audit.jsonl");
  CHECK(audit.find("\"upstream_status\":404") != std::string::npos);
  CHECK(audit.find("\"upstream_status\":204") != std::string::npos);
  CHECK(audit.find("tok-s3cr3t") == std::string::npos);
  CHECK(f.gw->stderr_text().find("tok-s3cr3t") == std::string::npos);
}

TEST_CASE("openapi: policies see the HTTP method and path") {
  TempDir pdir;
  std::string policy = pdir.file("p.yaml", R"(version: 1
default: deny
rules:
  - {id: read, sources: [pets], effect: allow, when: {http.method: [GET, HEAD]}}
  - {id: no-single-pet, tools: ["*"], effect: deny, when: {http.path: {prefix: "/pets/"}, args.petId: "13"}}
)");
  OpenApiFixture f("", "policies: [" + policy + "]\n");
  CHECK_FALSE(f.call_tool("pets__listPets", json::object()).value("isError", false));
  json denied = f.call_tool("pets__showPetById", {{"petId", "13"}});
  CHECK(text_of(denied) == "Denied by policy rule 'no-single-pet'");
  json post = f.call_tool("pets__createPet", {{"body", {{"name", "x"}}}});
  CHECK(text_of(post).find("the policy default") != std::string::npos);
  // Hidden: nothing allows POST or DELETE here.
  json list = f.gw->roundtrip(request("tools/list"));
  std::vector<std::string> names;
  for (auto& t : list["result"]["tools"]) names.push_back(t["name"]);
  CHECK(names == std::vector<std::string>{"pets__listPets", "pets__showPetById"});
}

TEST_CASE("openapi: expose discover gives three meta-tools, call_tool takes the full policy path") {
  TempDir pdir;
  std::string policy = pdir.file("p.yaml", R"(version: 1
default: allow
rules:
  - {id: no-deleting, tools: ["pets__deletePet"], effect: deny, message: Not through any door.}
)");
  OpenApiFixture f("    expose: discover\n", "policies: [" + policy + "]\n");
  json list = f.gw->roundtrip(request("tools/list"));
  std::vector<std::string> names;
  for (auto& t : list["result"]["tools"]) names.push_back(t["name"]);
  CHECK(names ==
        std::vector<std::string>{"pets__search_tools", "pets__describe_tool", "pets__call_tool"});

  json found = f.call_tool("pets__search_tools", {{"query", "pet info"}, {"limit", 3}});
  REQUIRE(found["structuredContent"]["tools"].size() >= 1);
  CHECK(found["structuredContent"]["tools"][0]["name"] == "pets__showPetById");
  std::string all = toolgate::dump_safe(f.call_tool("pets__search_tools", {{"query", "pets"}}));
  CHECK(all.find("pets__deletePet") == std::string::npos);  // denied whatever the arguments

  json described = f.call_tool("pets__describe_tool", {{"name", "pets__createPet"}});
  CHECK(described["structuredContent"]["inputSchema"]["properties"].contains("body"));

  size_t before = f.up.count();
  json r = f.call_tool("pets__call_tool",
                       {{"name", "pets__showPetById"}, {"arguments", {{"petId", "3"}}}});
  CHECK(r["structuredContent"]["name"] == "pet 3");
  CHECK(f.up.count() == before + 1);
  // The target's own schema, policy and audit apply.
  json invalid = f.call_tool("pets__call_tool",
                             {{"name", "pets__showPetById"}, {"arguments", {{"petId", 3}}}});
  CHECK(text_of(invalid).find("Invalid arguments for pets__showPetById") == 0);
  json denied = f.call_tool("pets__call_tool",
                            {{"name", "pets__deletePet"}, {"arguments", {{"petId", "3"}}}});
  CHECK(text_of(denied) == "Denied by policy rule 'no-deleting': Not through any door.");
  json nowhere = f.call_tool("pets__call_tool", {{"name", "pets__call_tool"}});
  CHECK(text_of(nowhere).find("No tool named") == 0);
  CHECK(f.up.count() == before + 1);

  std::string audit = read_file(f.dir.path + "/audit.jsonl");
  CHECK(audit.find("\"rule\":\"no-deleting\"") != std::string::npos);
  CHECK(audit.find("\"tool\":\"pets__showPetById\"") != std::string::npos);
}

TEST_CASE(
    "openapi: $refs to other files are bundled, cycles included, and stay in the spec's tree") {
  TempDir dir;
  std::string cfg =
      dir.file("c.yaml",
               "sources:\n  - {name: m, type: openapi, spec: " + fixture("multi/api.yaml") + "}\n");
  auto r = run("tools -c " + cfg + " --json");
  REQUIRE(r.status == 0);
  CHECK(r.out.find("$ref ../petstore.yaml#/components/schemas/Pet in " + fixture("multi/api.yaml") +
                   ": it leaves the spec's directory; the operation is skipped") !=
        std::string::npos);
  json tools = json::parse(r.out.substr(r.out.find("[\n")));
  REQUIRE(tools.size() == 2);
  json put = tools[1];
  CHECK(put["name"] == "m__putOrder");
  json defs = put["inputSchema"]["$defs"];
  CHECK(put["inputSchema"]["properties"]["id"]["pattern"] == "^[0-9]+$");  // from params.yaml
  CHECK(defs["common_models_yaml__Line"]["properties"]["parent"]["$ref"] ==
        "#/$defs/common_models_yaml__Order");
  CHECK(defs["common_models_yaml__Order"]["properties"]["local"]["$ref"] == "#/$defs/Local");
  CHECK_FALSE(defs["common_models_yaml__Order"]["properties"].contains("id"));  // readOnly
  CHECK(defs.contains("Local"));
}

TEST_CASE("openapi: a spec given as a URL is fetched by a worker, under the egress allow-list") {
  PetUpstream up;
  TempDir dir;
  std::string base = "http://127.0.0.1:" + std::to_string(up.port);
  std::string cfg = dir.file("c.yaml", "sources:\n  - {name: pets, type: openapi, spec: \"" + base +
                                           "/spec.yaml\", base_url: \"" + base +
                                           "/v1\"}\n"
                                           "  - {name: legacy, type: openapi, spec: \"" +
                                           base + "/spec.json\", base_url: \"" + base + "\"}\n");
  auto r = run("tools -c " + cfg);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("pets__showPetById") != std::string::npos);
  CHECK(r.out.find("legacy__createUser") != std::string::npos);
  auto gw = Gateway::stdio(cfg);
  gw->initialize();
  json one = gw->roundtrip(call("pets__showPetById", {{"petId", "8"}}));
  CHECK(one["result"]["structuredContent"]["name"] == "pet 8");

  // With an allow-list that leaves the spec's host out, the fetch is refused.
  std::string closed = dir.file("d.yaml", "sources:\n  - {name: pets, type: openapi, spec: \"" +
                                              base + "/spec.yaml\", base_url: \"" + base +
                                              "/v1\", egress: {allow: [\"127.0.0.1:1\"]}}\n");
  auto refused = run("validate -c " + closed);
  CHECK(refused.status == 1);
  CHECK(refused.out.find("fetching the spec failed") != std::string::npos);
  CHECK(refused.out.find("not in the egress allow-list") != std::string::npos);
}

TEST_CASE("openapi: a query API key reaches neither the model nor the audit log") {
  TempDir keydir;
  std::string keyfile = keydir.file("key.txt", "k-9f8e7d6c5b4a\n");
  OpenApiFixture f("", "");
  // A second gateway with the key in the query string, read from a file.
  std::string cfg =
      f.dir.file("q.yaml",
                 "audit: {path: audit-q.jsonl}\nsources:\n  - name: pets\n    type: openapi\n"
                 "    spec: " +
                     fixture("petstore.yaml") +
                     "\n    base_url: http://127.0.0.1:" + std::to_string(f.up.port) +
                     "/v1\n    auth: {type: api_key, in: query, name: key, "
                     "value: \"${file:" +
                     keyfile + "}\"}\n");
  auto gw = Gateway::stdio(cfg);
  gw->initialize();
  json echo = gw->roundtrip(call("pets__showPetById", {{"petId", "echo"}}));
  std::string text = echo["result"]["content"][0]["text"];
  CHECK(f.up.last().query == "key=k-9f8e7d6c5b4a");  // it was sent
  CHECK(text.find("k-9f8e7d6c5b4a") == std::string::npos);
  CHECK(text.find("[REDACTED]") != std::string::npos);
  json bin = gw->roundtrip(call("pets__deletePet", {{"petId", "bin"}}));
  std::string all = toolgate::dump_safe(bin);
  CHECK(all.find("k-9f8e7d6c5b4a") == std::string::npos);
  CHECK(bin["result"]["content"][0]["type"] == "resource");
  CHECK(bin["result"]["content"][0]["resource"]["blob"] == "iVBORwD/");
  CHECK(read_file(f.dir.path + "/audit-q.jsonl").find("k-9f8e7d6c5b4a") == std::string::npos);
}

TEST_CASE("openapi: pooled mode serves calls from one contained process over one connection") {
  OpenApiFixture f("", "workers: {mode: pooled, recycle_after: 5, prespawn: 0}\n");
  std::vector<int> ports;
  for (int i = 0; i < 4; ++i) {
    json r = f.call_tool("pets__listPets", json::object());
    CHECK_FALSE(r.value("isError", false));
    CHECK(r["structuredContent"]["result"][0]["name"] == "Rex");
    ports.push_back(f.up.last().remote_port);
    CHECK(f.up.last().auth == "Bearer tok-s3cr3t-value");
  }
  // Kept alive: the second to fourth requests came on the first one's connection.
  CHECK(ports[1] == ports[0]);
  CHECK(ports[3] == ports[0]);
  // An upstream error is an answer, not a failure: the process stays.
  json r = f.call_tool("pets__showPetById", {{"petId", "404"}});
  CHECK(r.value("isError", false));
  r = f.call_tool("pets__listPets", json::object());
  CHECK_FALSE(r.value("isError", false));
}

TEST_CASE("openapi: pooled mode replaces a contained process that died or answered too much") {
  OpenApiFixture f("",
                   "workers: {mode: pooled, recycle_after: 50, prespawn: 0, "
                   "max_output_bytes: 4096}\n");
  CHECK_FALSE(f.call_tool("pets__listPets", json::object()).value("isError", false));
  int first_port = f.up.last().remote_port;
  // The gateway talks to the contained process directly; kill that process
  // while it waits between calls.
  auto workers = worker_children(f.gw->pid());
  REQUIRE(workers.size() == 1);
  auto kids = worker_children(workers[0]);
  REQUIRE(kids.size() == 1);
  REQUIRE(::kill(kids[0], SIGKILL) == 0);
  for (int i = 0; i < 100 && ::kill(kids[0], 0) == 0; ++i) ::usleep(10000);
  // The next call notices before it sends anything and gets a fresh worker.
  json r = f.call_tool("pets__listPets", json::object());
  CHECK_FALSE(r.value("isError", false));
  CHECK(f.up.last().remote_port != first_port);
  // An answer over max_output_bytes ends that process too, cleanly.
  int before = f.up.last().remote_port;
  json big = f.call_tool("pets__showPetById", {{"petId", "big"}});
  CHECK(big.value("isError", false));
  CHECK(text_of(big).find("output") != std::string::npos);
  r = f.call_tool("pets__listPets", json::object());
  CHECK_FALSE(r.value("isError", false));
  CHECK(f.up.last().remote_port != before);
}

TEST_CASE("openapi: per_call mode gives every call a fresh contained process, prepared ahead") {
  OpenApiFixture f("", "workers: {mode: per_call, prespawn: 2}\n");
  std::set<int> ports;
  std::set<pid_t> served_by;
  for (int i = 0; i < 5; ++i) {
    // Between calls: the prepared workers are waiting, each with its
    // contained process already serving (nothing of a call runs in them).
    std::this_thread::sleep_for(std::chrono::milliseconds(i == 0 ? 0 : 300));
    json r = f.call_tool("pets__showPetById", {{"petId", std::to_string(i)}});
    CHECK_FALSE(r.value("isError", false));
    CHECK(r["structuredContent"]["name"] == "pet " + std::to_string(i));
    ports.insert(f.up.last().remote_port);
  }
  // Five calls, five processes: no connection (so no process) served two.
  CHECK(ports.size() == 5);
  // What is left are prepared workers only, each with one waiting child.
  for (pid_t w : worker_children(f.gw->pid())) CHECK(worker_children(w).size() <= 1);
  // (Killed workers are reaped off the call's path: wait for that.)
  CHECK(wait_no_descendants(f.gw->pid(), 5000) == 0);
}
