// The OpenAPI adapter's pure parts: schema conversion and request building
// (adapters/openapi/schema_convert.cc, request_builder.cc).
#include <doctest/doctest.h>

#include "adapters/openapi/request_builder.h"
#include "adapters/openapi/spec_model.h"

using namespace toolgate;
using namespace toolgate::openapi;

namespace {

json route(json params, std::string media = "", json auth = json::object()) {
  return {{"method", "GET"},
          {"path", "/items/{id}"},
          {"params", params},
          {"body_media", media},
          {"base_url", "http://api.test/v1/"},
          {"auth", auth},
          {"headers", {{"X-Static", "s"}}}};
}

json param(const char* name, const char* in, const char* style = "form", bool explode = true,
           bool reserved = false) {
  return {{"name", name},   {"in", in},           {"arg", name},
          {"style", style}, {"explode", explode}, {"allow_reserved", reserved}};
}

bool has_header(const HttpRequest& r, const std::string& h) {
  for (auto& x : r.headers)
    if (x == h) return true;
  return false;
}

}  // namespace

TEST_CASE("convert_schema: refs, nullable, readOnly/writeOnly, draft-4 bounds, examples") {
  json s = json::parse(R"({
    "type": "object", "required": ["id", "name", "pw"],
    "properties": {
      "id": {"type": "integer", "readOnly": true},
      "pw": {"type": "string", "writeOnly": true},
      "name": {"type": "string", "nullable": true, "example": "Rex", "x-internal": 1},
      "kind": {"type": "string", "enum": ["a", "b"], "nullable": true},
      "age": {"type": "integer", "minimum": 0, "maximum": 30, "exclusiveMaximum": true},
      "owner": {"$ref": "#/components/schemas/Owner"},
      "legacy": {"$ref": "#/definitions/Owner/properties/name"},
      "elsewhere": {"$ref": "other.yaml#/X"}
    },
    "discriminator": {"propertyName": "kind"}
  })");
  json req = convert_schema(s, true, 3);
  CHECK_FALSE(req["properties"].contains("id"));
  CHECK(req["properties"].contains("pw"));
  CHECK(req["required"] == json::array({"name", "pw"}));
  CHECK(req["properties"]["name"]["type"] == json::array({"string", "null"}));
  CHECK(req["properties"]["name"]["examples"] == json::array({"Rex"}));
  CHECK_FALSE(req["properties"]["name"].contains("x-internal"));
  CHECK(req["properties"]["kind"]["enum"] == json::array({"a", "b", nullptr}));
  CHECK(req["properties"]["age"]["exclusiveMaximum"] == 30);
  CHECK_FALSE(req["properties"]["age"].contains("maximum"));
  CHECK(req["properties"]["owner"] == json{{"$ref", "#/$defs/Owner"}});
  CHECK(req["properties"]["legacy"] == json{{"$ref", "#/$defs/Owner/properties/name"}});
  CHECK(req["properties"]["elsewhere"] == json::object());  // unfollowable: accepts anything
  CHECK_FALSE(req.contains("discriminator"));

  json resp = convert_schema(s, false, 3);
  CHECK(resp["properties"].contains("id"));
  CHECK_FALSE(resp["properties"].contains("pw"));
  CHECK(resp["required"] == json::array({"id", "name"}));
  CHECK(convert_schema(json::parse(R"({"type":"file"})"), true, 2)["contentEncoding"] == "base64");
}

TEST_CASE("build_request: path, query styles, headers, cookies, auth and the URL") {
  json r =
      route({param("id", "path", "simple", false), param("q", "query"),
             param("ids", "query", "form", false), param("tags", "query", "pipeDelimited", false),
             param("sp", "query", "spaceDelimited", false), param("f", "query", "deepObject"),
             param("X-Trace", "header", "simple", false), param("sess", "cookie")},
            "", {{"type", "api_key"}, {"in", "query"}, {"name", "key"}, {"value", "k&1"}});
  auto req = build_request(r, {{"id", "a b"},
                               {"q", {"x", "y z"}},
                               {"ids", {1, 2}},
                               {"tags", {"a", "b"}},
                               {"sp", {"c", "d"}},
                               {"f", {{"color", "red"}}},
                               {"X-Trace", "t-1"},
                               {"sess", "s;1"}});
  REQUIRE(req);
  CHECK(req->url ==
        "http://api.test/v1/items/"
        "a%20b?q=x&q=y%20z&ids=1,2&tags=a|b&sp=c%20d&f%5Bcolor%5D=red&key=k%261");
  CHECK(has_header(*req, "X-Trace: t-1"));
  CHECK(has_header(*req, "Cookie: sess=s%3B1"));
  CHECK(has_header(*req, "X-Static: s"));

  auto basic = build_request(route(json::array({param("id", "path", "simple")}), "",
                                   {{"type", "basic"}, {"username", "u"}, {"password", "p:w"}}),
                             {{"id", 1}});
  REQUIRE(basic);
  CHECK(has_header(*basic, "Authorization: Basic dTpwOnc="));
  CHECK(basic->url == "http://api.test/v1/items/1");
}

TEST_CASE("build_request refuses path escapes, header injection and routing headers") {
  json r = route({param("id", "path", "simple", false), param("X-Trace", "header", "simple"),
                  param("Host", "header", "simple")});
  for (std::string v : {"..", ".", "", "a/b", "a\\b", "%2e%2E", "x%2Fy", "x%5cy", "a%00"}) {
    CAPTURE(v);
    CHECK_FALSE(build_request(r, {{"id", v}}));
  }
  CHECK_FALSE(build_request(r, {{"id", "1"}, {"X-Trace", "a\r\nEvil: 1"}}));
  CHECK_FALSE(build_request(r, {{"id", "1"}, {"Host", "evil.test"}}));
  CHECK_FALSE(build_request(r, json::object()));  // the path parameter is missing
  // allowReserved is for query values only: a path value stays one segment.
  json reserved =
      route({param("id", "path", "simple", false, true), param("q", "query", "form", true, true)});
  CHECK_FALSE(build_request(reserved, {{"id", "a/b"}}));
  auto ok = build_request(reserved, {{"id", "x"}, {"q", "a/b?c"}});
  REQUIRE(ok);
  CHECK(ok->url == "http://api.test/v1/items/x?q=a/b?c");
}

TEST_CASE("build_request bodies: JSON, form, multipart with a random boundary, text, bytes") {
  json p = json::array({param("id", "path", "simple")});
  auto j = build_request(route(p, "application/vnd.api+json"), {{"id", 1}, {"body", {{"a", 1}}}});
  REQUIRE(j);
  CHECK(j->body == R"({"a":1})");
  CHECK(has_header(*j, "Content-Type: application/vnd.api+json"));

  auto f = build_request(route(p, "application/x-www-form-urlencoded"),
                         {{"id", 1}, {"body", {{"text", "a&b=c"}, {"n", 2}}}});
  REQUIRE(f);
  CHECK(f->body == "n=2&text=a%26b%3Dc");

  json m = {{"id", 1}, {"body", {{"text", "--toolgate-boundary--"}}}};
  auto m1 = build_request(route(p, "multipart/form-data"), m);
  auto m2 = build_request(route(p, "multipart/form-data"), m);
  REQUIRE(m1);
  REQUIRE(m2);
  CHECK(m1->body != m2->body);  // a fresh boundary each time
  CHECK(m1->body.find("Content-Disposition: form-data; name=\"text\"") != std::string::npos);
  CHECK_FALSE(build_request(route(p, "multipart/form-data"),
                            {{"id", 1}, {"body", {{"a\"\r\nX: y", "v"}}}}));

  auto b = build_request(route(p, "application/octet-stream"), {{"id", 1}, {"body", "aGk="}});
  REQUIRE(b);
  CHECK(b->body_base64 == "aGk=");
  CHECK(b->body.empty());
  auto t = build_request(route(p, "text/plain"), {{"id", 1}, {"body", "plain words"}});
  REQUIRE(t);
  CHECK(t->body == "plain words");
}
