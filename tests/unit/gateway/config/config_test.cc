// Config loading: YAML positions, schema validation, ${...} expansion
// (gateway/config/config.cc, expand.cc, yaml_json.cc).
#include <doctest/doctest.h>

#include "config_error.h"
#include "temp_dir.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gateway/config/config.h"

using namespace toolgate;
namespace fs = std::filesystem;

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// A unique environment variable name per call, so tests never collide.
std::string unique_env_name(const char* stem) {
  static int n = 0;
  return std::string("TOOLGATE_UNIT_") + stem + "_" + std::to_string(::getpid()) + "_" +
         std::to_string(++n);
}

// One script source with one tool whose command is /bin/true plus `arg`.
std::string config_with_arg(const std::string& arg) {
  return "sources:\n  - name: s\n    type: script\n    tools:\n      - name: t\n"
         "        command: [/bin/true, \"" +
         arg + "\"]\n";
}

std::string first_arg(const Config& cfg) {
  return cfg.sources.at(0).raw["tools"][0]["command"][1].get<std::string>();
}

}  // namespace

TEST_CASE("parse_config accepts a minimal config and applies defaults") {
  auto cfg = parse_config(R"(sources:
  - name: notes
    type: script
    tools:
      - name: add
        command: [/bin/true]
)",
                          "test.yaml");
  CHECK(cfg->path == "test.yaml");
  REQUIRE(cfg->sources.size() == 1);
  const SourceConfig& src = cfg->sources[0];
  CHECK((src.name == "notes" && src.type == "script" && src.pointer == "/sources/0"));
  CHECK(src.prefix == PrefixMode::always);
  CHECK(src.raw["tools"][0]["name"] == "add");
  CHECK((cfg->server.listen_host == "127.0.0.1" && cfg->server.listen_port == 8765));
  CHECK(cfg->server.page_size == 100);
  CHECK(cfg->secrets.empty());
  CHECK(cfg->where("/sources/0/tools/0/command") == "test.yaml:6:18");
}

TEST_CASE("parse_config reads server and workers settings") {
  auto cfg = parse_config(R"(server: {transport: stdio, page_size: 7, max_json_depth: 32,
         session_idle_timeout_ms: 1500}
workers: {max_concurrent: 3, timeout_ms: 1234}
sources: []
)",
                          "test.yaml");
  CHECK(cfg->server.transport == "stdio");
  CHECK(cfg->server.page_size == 7);
  CHECK(cfg->server.max_json_depth == 32);
  CHECK(cfg->server.session_idle_timeout_ms == 1500);
  CHECK(cfg->workers.max_concurrent == 3);
  CHECK(cfg->workers.defaults.timeout_ms == 1234);
  CHECK(cfg->sources.empty());
}

TEST_CASE("HTTP threads: defaults, and a maximum below the ready count is refused at its line") {
  auto cfg = parse_config("sources: []\n", "test.yaml");
  CHECK(cfg->server.http_threads == 16);
  CHECK(cfg->server.http_max_threads == 4096);
  std::string err = config_error([] {
    parse_config("server:\n  http_threads: 32\n  http_max_threads: 8\nsources: []\n", "test.yaml");
  });
  CHECK(err == "test.yaml:3:21: http_max_threads (8) must be at least http_threads (32)");
}

TEST_CASE("an unknown top-level key is reported with file:line:col") {
  std::string err = config_error([] { parse_config("bogus: 1\nsources: []\n", "test.yaml"); });
  CHECK(starts_with(err, "test.yaml:1:1: "));
  CHECK(err.find("bogus") != std::string::npos);
}

TEST_CASE("a config that is not UTF-8 is refused at its first bad byte") {
  // Found by the config fuzz target: valijson's maxLength reads past a
  // table on such strings. A YAML file must be Unicode anyway.
  std::string err = config_error(
      [] { parse_config("sources:\n  - name: s\xff\n    type: script\n", "test.yaml"); });
  CHECK(starts_with(err, "test.yaml:2:12: the file is not valid UTF-8"));
  YamlDoc spec = parse_yaml("title: caf\xe9\n", "api.yaml", 1000, BadUtf8::replace);
  CHECK(spec.value["title"] == "caf\xef\xbf\xbd");
}

TEST_CASE("an unknown key inside a mapping is reported at the key itself") {
  std::string first = config_error(
      [] { parse_config("server:\n  listn: 127.0.0.1:80\nsources: []\n", "test.yaml"); });
  CHECK(starts_with(first, "test.yaml:2:3: "));
  CHECK(first.find("listn") != std::string::npos);

  std::string later = config_error([] {
    parse_config("server:\n  transport: http\n  page_size: 5\n  lissten: x:1\nsources: []\n",
                 "test.yaml");
  });
  CHECK(starts_with(later, "test.yaml:4:3: "));
  CHECK(later.find("lissten") != std::string::npos);
}

TEST_CASE("a value of the wrong type is reported at its line") {
  std::string err = config_error([] {
    parse_config(R"(sources:
  - name: s
    type: script
    tools:
      - name: t
        command: [/bin/true]
        timeout_ms: "abc"
)",
                 "test.yaml");
  });
  CHECK(starts_with(err, "test.yaml:7:21: "));
  CHECK(err.find("timeout_ms") != std::string::npos);
}

TEST_CASE("a tool without command is rejected, naming the missing key") {
  std::string err = config_error([] {
    parse_config(R"(sources:
  - name: s
    type: script
    tools:
      - name: t
        description: no command here
)",
                 "test.yaml");
  });
  CHECK(starts_with(err, "test.yaml:5:"));
  CHECK(err.find("command") != std::string::npos);
}

TEST_CASE("duplicate source names are rejected with both locations") {
  std::string err = config_error([] {
    parse_config(R"(sources:
  - name: dup
    type: script
    tools: []
  - name: dup
    type: script
    tools: []
)",
                 "test.yaml");
  });
  CHECK(starts_with(err, "test.yaml:5:11: "));
  CHECK(err.find("test.yaml:2:11") != std::string::npos);
  CHECK(err.find("'dup'") != std::string::npos);
}

TEST_CASE("environment references are expanded and recorded as secrets") {
  std::string name = unique_env_name("TOKEN");
  REQUIRE(::setenv(name.c_str(), "s3cr3t-env-value", 1) == 0);
  auto cfg = parse_config(config_with_arg("Bearer ${" + name + "}"), "test.yaml");
  CHECK(first_arg(*cfg) == "Bearer s3cr3t-env-value");
  REQUIRE(cfg->secrets.size() == 1);
  CHECK(cfg->secrets[0] == "s3cr3t-env-value");
  ::unsetenv(name.c_str());
}

TEST_CASE("a missing environment variable is named in the error without leaking other secrets") {
  std::string set = unique_env_name("SET"), unset = unique_env_name("UNSET");
  REQUIRE(::setenv(set.c_str(), "visible-only-in-memory-42", 1) == 0);
  ::unsetenv(unset.c_str());
  std::string text = config_with_arg("${" + set + "}\", \"${" + unset + "}");
  std::string err = config_error([&] { parse_config(text, "test.yaml"); });
  CHECK(starts_with(err, "test.yaml:6:"));
  CHECK(err.find(unset) != std::string::npos);
  CHECK(err.find("visible-only-in-memory-42") == std::string::npos);
  ::unsetenv(set.c_str());
}

TEST_CASE("file references read the file and strip one trailing newline") {
  TempDir dir;
  SUBCASE("single trailing newline removed") {
    std::string p = dir.write("token", "file-secret\n");
    auto cfg = parse_config(config_with_arg("${file:" + p + "}"), "test.yaml");
    CHECK(first_arg(*cfg) == "file-secret");
    REQUIRE(cfg->secrets.size() == 1);
    CHECK(cfg->secrets[0] == "file-secret");
  }
  SUBCASE("only one of two newlines removed") {
    std::string p = dir.write("token2", "two\n\n");
    auto cfg = parse_config(config_with_arg("${file:" + p + "}"), "test.yaml");
    CHECK(first_arg(*cfg) == "two\n");
  }
  SUBCASE("missing file names the reference") {
    std::string p = (dir.path / "absent").string();
    std::string err =
        config_error([&] { parse_config(config_with_arg("${file:" + p + "}"), "test.yaml"); });
    CHECK(starts_with(err, "test.yaml:6:"));
    CHECK(err.find(p) != std::string::npos);
  }
}

TEST_CASE("malformed references are rejected and named") {
  std::string bad =
      config_error([] { parse_config(config_with_arg("${not valid}"), "test.yaml"); });
  CHECK(starts_with(bad, "test.yaml:6:"));
  CHECK(bad.find("${not valid}") != std::string::npos);
  std::string unclosed =
      config_error([] { parse_config(config_with_arg("${UNCLOSED"), "test.yaml"); });
  CHECK(unclosed.find("unterminated") != std::string::npos);
}

TEST_CASE("a doubled dollar keeps a reference literal") {
  auto cfg = parse_config(config_with_arg("$${HOME} and $${file:/etc/passwd}"), "test.yaml");
  CHECK(first_arg(*cfg) == "${HOME} and ${file:/etc/passwd}");
  CHECK(cfg->secrets.empty());
}

TEST_CASE("load_config reads a file and reports errors with its path") {
  TempDir dir;
  std::string ok = dir.write("ok.yaml", config_with_arg("x"));
  auto cfg = load_config(ok);
  CHECK(cfg->path == ok);
  CHECK(first_arg(*cfg) == "x");

  std::string bad = dir.write("bad.yaml", "sources: []\nextra: true\n");
  std::string err = config_error([&] { load_config(bad); });
  CHECK(starts_with(err, bad + ":"));

  std::string missing = (dir.path / "nope.yaml").string();
  CHECK(starts_with(config_error([&] { load_config(missing); }), missing + ":1:1: "));
}

TEST_CASE("parse_listen accepts host:port and bracketed IPv6") {
  std::string host;
  uint16_t port = 1;
  CHECK(parse_listen("[::1]:8080", &host, &port));
  CHECK((host == "::1" && port == 8080));
  CHECK(parse_listen("0.0.0.0:0", &host, &port));
  CHECK((host == "0.0.0.0" && port == 0));
  CHECK(parse_listen("localhost:65535", &host, &port));
  CHECK((host == "localhost" && port == 65535));
  for (const char* bad : {"localhost", ":80", "host:", "host:65536", "host:8x", "[::1:80",
                          "host:123456", "host:-1"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_listen(bad, &host, &port));
  }
}

TEST_CASE("server.listen in a config sets host and port") {
  auto v6 = parse_config("server:\n  listen: \"[::1]:8080\"\nsources: []\n", "test.yaml");
  CHECK(v6->server.listen_host == "::1");
  CHECK(v6->server.listen_port == 8080);
  auto any = parse_config("server:\n  listen: 127.0.0.1:0\nsources: []\n", "test.yaml");
  CHECK(any->server.listen_port == 0);
  std::string err = config_error(
      [] { parse_config("server:\n  listen: 127.0.0.1:99999\nsources: []\n", "test.yaml"); });
  CHECK(starts_with(err, "test.yaml:2:11: "));
}

TEST_CASE("limits too large for their 32-bit fields are rejected, not truncated") {
  // 2^32 + 1 would silently become 1 MB if cast to uint32_t.
  std::string err = config_error(
      [] { parse_config("workers:\n  address_space_mb: 4294967297\nsources: []\n", "test.yaml"); });
  CHECK(starts_with(err, "test.yaml:2:"));
  CHECK(starts_with(config_error([] {
                      parse_config("workers:\n  cpu_seconds: 4294967296\nsources: []\n",
                                   "test.yaml");
                    }),
                    "test.yaml:2:"));
}

TEST_CASE("YAML syntax errors carry line and column") {
  std::string err = config_error([] {
    parse_config("sources:\n  - name: s\n    type: script\n    tools: [a, b\n", "test.yaml");
  });
  int line = 0, col = 0;
  CHECK(std::sscanf(err.c_str(), "test.yaml:%d:%d:", &line, &col) == 2);
  CHECK(line >= 4);
  CHECK(col >= 1);
}

TEST_CASE("a duplicate YAML key is rejected at the second occurrence") {
  std::string err = config_error([] { parse_config("sources: []\nsources: []\n", "test.yaml"); });
  CHECK(starts_with(err, "test.yaml:2:1: "));
  CHECK(err.find("duplicate key 'sources'") != std::string::npos);
}

TEST_CASE("an empty config file is rejected") {
  std::string err = config_error([] { parse_config("", "test.yaml"); });
  CHECK(starts_with(err, "test.yaml:"));
  CHECK(err.find("empty") != std::string::npos);
}

TEST_CASE("an empty config file is reported at line 1 column 1") {
  CHECK(starts_with(config_error([] { parse_config("", "test.yaml"); }), "test.yaml:1:1: "));
  CHECK(starts_with(config_error([] { parse_config("# only a comment\n", "test.yaml"); }),
                    "test.yaml:1:1: "));
}

TEST_CASE("exponential alias expansion fails with a ConfigError instead of exhausting memory") {
  // Nine levels of nine aliases each: 9^9 (about 387 million) nodes if expanded.
  std::string text, prev;
  for (int level = 0; level < 9; ++level) {
    std::string name(1, char('a' + level));
    text += name + ": &" + name + " [";
    for (int i = 0; i < 9; ++i)
      text += (i ? ", " : "") + (prev.empty() ? std::string("x") : "*" + prev);
    text += "]\n";
    prev = name;
  }
  text += "sources: []\n";
  auto start = std::chrono::steady_clock::now();
  std::string err = config_error([&] { parse_config(text, "test.yaml"); });
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(starts_with(err, "test.yaml:"));
  CHECK(err.find("too many nodes") != std::string::npos);
  CHECK(secs < 60.0);
}
