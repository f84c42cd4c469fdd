// Building the HTTP request of one call from its validated arguments.
#include "adapters/openapi/request_builder.h"

#include <openssl/rand.h>

#include <optional>
#include <set>

#include "common/base64.h"
#include "common/text.h"

namespace toolgate::openapi {
namespace {

bool unreserved(unsigned char c) {
  return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

std::string encode(const std::string& s, bool allow_reserved) {
  static const std::string kReserved = ":/?#[]@!$&'()*+,;=";
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    if (unreserved(c) || (allow_reserved && kReserved.find(char(c)) != std::string::npos)) {
      out += char(c);
    } else {
      snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string scalar_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return dump_safe(v);
}

// A path value must stay one segment: no separators, no dot segments, and
// no encoded forms of them (upstreams and proxies may decode twice).
bool path_safe(const std::string& v) {
  if (v.empty() || v == "." || v == "..") return false;
  if (v.find('/') != std::string::npos || v.find('\\') != std::string::npos) return false;
  std::string l = ascii_lower(v);
  for (const char* bad : {"%2f", "%5c", "%2e", "%00"})
    if (l.find(bad) != std::string::npos) return false;
  return true;
}

bool header_safe(const std::string& v) {
  return v.find('\r') == std::string::npos && v.find('\n') == std::string::npos &&
         v.find('\0') == std::string::npos;
}

// Query pairs of one parameter, by style and explode.
void add_query(const Param& p, const json& v, std::vector<std::string>* out) {
  std::string key = encode(p.name, false);
  auto val = [&](const json& x) { return encode(scalar_text(x), p.allow_reserved); };
  if (v.is_array()) {
    if (p.explode && p.style != "deepObject") {
      for (auto& x : v) out->push_back(key + "=" + val(x));
      return;
    }
    std::string sep = p.style == "spaceDelimited" ? "%20" : p.style == "pipeDelimited" ? "|" : ",";
    std::string joined;
    for (size_t i = 0; i < v.size(); ++i) joined += (i ? sep : "") + val(v[i]);
    out->push_back(key + "=" + joined);
  } else if (v.is_object()) {
    if (p.style == "deepObject") {
      for (auto& [k, x] : v.items())
        out->push_back(key + "%5B" + encode(k, false) + "%5D=" + val(x));
    } else if (p.explode) {
      for (auto& [k, x] : v.items()) out->push_back(encode(k, false) + "=" + val(x));
    } else {
      std::string joined;
      for (auto& [k, x] : v.items())
        joined += (joined.empty() ? "" : ",") + encode(k, false) + "," + val(x);
      out->push_back(key + "=" + joined);
    }
  } else {
    out->push_back(key + "=" + val(v));
  }
}

std::string simple_text(const json& v) {
  if (v.is_array()) {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + scalar_text(v[i]);
    return s;
  }
  if (v.is_object()) {
    std::string s;
    for (auto& [k, x] : v.items()) s += (s.empty() ? "" : ",") + k + "," + scalar_text(x);
    return s;
  }
  return scalar_text(v);
}

const std::set<std::string>& refused_headers() {
  // Hop-by-hop headers, and those that decide where or how the request
  // goes: the gateway sets them, arguments never do.
  static const std::set<std::string> h = {"host",
                                          "connection",
                                          "keep-alive",
                                          "proxy-authorization",
                                          "proxy-authenticate",
                                          "proxy-connection",
                                          "te",
                                          "trailer",
                                          "transfer-encoding",
                                          "upgrade",
                                          "content-length",
                                          "expect",
                                          "forwarded",
                                          "x-forwarded-for",
                                          "x-forwarded-host",
                                          "x-forwarded-proto"};
  return h;
}

// What a request's URL is made of while its parameters are applied.
struct UrlParts {
  std::string path;  // the route's path, its {parameters} filled in
  std::vector<std::string> query, cookies;
};

// The operation's path, query, header and cookie parameters from `args`.
std::optional<Error> apply_params(const json& route, const json& args, UrlParts* u,
                                  HttpRequest* r) {
  for (auto& p : route.at("params")) {
    Param prm;
    prm.name = p.at("name");
    prm.in = p.at("in");
    prm.style = p.at("style");
    prm.explode = p.at("explode");
    prm.allow_reserved = p.at("allow_reserved");
    auto it = args.find(p.at("arg").get<std::string>());
    if (it == args.end() || it->is_null()) {
      if (prm.in == "path") return Error{rpc::kInvalidParams, "missing path parameter " + prm.name};
      continue;
    }
    const json& v = *it;
    if (prm.in == "path") {
      std::string text = simple_text(v);
      // allowReserved applies to query parameters only (OpenAPI 3): a path
      // value always stays one segment.
      if (!path_safe(text)) {
        return Error{rpc::kInvalidParams,
                     "path parameter " + prm.name +
                         " must not be empty or contain '/', '\\\\', dot segments or their "
                         "encoded forms"};
      }
      std::string key = "{" + prm.name + "}";
      std::string enc = encode(text, false);
      for (size_t at = u->path.find(key); at != std::string::npos;
           at = u->path.find(key, at + enc.size()))
        u->path.replace(at, key.size(), enc);
    } else if (prm.in == "query") {
      add_query(prm, v, &u->query);
    } else if (prm.in == "header") {
      if (refused_headers().count(ascii_lower(prm.name)))
        return Error{rpc::kInvalidParams, "header " + prm.name + " cannot be set from arguments"};
      std::string text = simple_text(v);
      if (!header_safe(text))
        return Error{rpc::kInvalidParams, "header " + prm.name + " contains a line break"};
      r->headers.push_back(prm.name + ": " + text);
    } else if (prm.in == "cookie") {
      u->cookies.push_back(encode(prm.name, false) + "=" + encode(simple_text(v), false));
    }
  }

  return std::nullopt;
}

// Credentials and static headers from the source's config.
std::optional<Error> apply_credentials(const json& route, UrlParts* u, HttpRequest* r) {
  const json& auth = route.value("auth", json::object());
  std::string type = auth.value("type", "");
  if (!header_safe(auth.value("token", "")) || !header_safe(auth.value("value", "")) ||
      !header_safe(auth.value("name", "")))
    return Error{rpc::kInvalidParams, "the configured credential contains a line break"};
  if (type == "bearer") {
    r->headers.push_back("Authorization: Bearer " + auth.value("token", ""));
  } else if (type == "basic") {
    r->headers.push_back("Authorization: Basic " + base64_encode(auth.value("username", "") + ":" +
                                                                 auth.value("password", "")));
  } else if (type == "api_key") {
    std::string in = auth.value("in", "header"), name = auth.value("name", ""),
                value = auth.value("value", "");
    if (in == "query")
      u->query.push_back(encode(name, false) + "=" + encode(value, false));
    else if (in == "cookie")
      u->cookies.push_back(encode(name, false) + "=" + encode(value, false));
    else
      r->headers.push_back(name + ": " + value);
  }
  const json headers = route.value("headers", json::object());  // kept alive for items()
  for (auto& [k, v] : headers.items()) {
    if (!header_safe(k) || !header_safe(v.get<std::string>()))
      return Error{rpc::kInvalidParams, "a configured header contains a line break"};
    r->headers.push_back(k + ": " + v.get<std::string>());
  }
  return std::nullopt;
}

void add_cookie_header(const UrlParts& u, HttpRequest* r) {
  if (!u.cookies.empty()) {
    std::string c;
    for (auto& x : u.cookies) c += (c.empty() ? "" : "; ") + x;
    r->headers.push_back("Cookie: " + c);
  }
}

// The body, encoded for the operation's media type.
std::optional<Error> encode_body(const json& route, const json& args, HttpRequest* r) {
  std::string media = route.value("body_media", "");
  auto body = args.find("body");
  if (!media.empty() && body != args.end() && !body->is_null()) {
    if (is_json_like(media)) {
      r->body = dump_safe(*body);
      r->headers.push_back("Content-Type: " + media);
    } else if (media == "application/x-www-form-urlencoded") {
      if (!body->is_object())
        return Error{rpc::kInvalidParams, "body must be an object of form fields"};
      std::string s;
      for (auto& [k, v] : body->items())
        s += (s.empty() ? "" : "&") + encode(k, false) + "=" + encode(simple_text(v), false);
      r->body = s;
      r->headers.push_back("Content-Type: application/x-www-form-urlencoded");
    } else if (media == "multipart/form-data") {
      if (!body->is_object())
        return Error{rpc::kInvalidParams, "body must be an object of form fields"};
      // Random, so no field value can contain it and forge parts.
      unsigned char rnd[16];
      if (RAND_bytes(rnd, sizeof rnd) != 1)
        return Error{rpc::kInternalError, "no randomness for a boundary"};
      std::string boundary = "toolgate-";
      for (unsigned char b : rnd)
        boundary += "0123456789abcdef"[b >> 4], boundary += "0123456789abcdef"[b & 15];
      std::string s;
      for (auto& [k, v] : body->items()) {
        if (!header_safe(k) || k.find('"') != std::string::npos)
          return Error{rpc::kInvalidParams,
                       "form field names must not contain quotes or line breaks"};
        s += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" +
             simple_text(v) + "\r\n";
      }
      s += "--" + boundary + "--\r\n";
      r->body = s;
      r->headers.push_back("Content-Type: multipart/form-data; boundary=" + boundary);
    } else if (media == "application/octet-stream") {
      if (!body->is_string()) return Error{rpc::kInvalidParams, "body must be base64 text"};
      r->body_base64 = body->get<std::string>();
      r->headers.push_back("Content-Type: application/octet-stream");
    } else {
      r->body = body->is_string() ? body->get<std::string>() : dump_safe(*body);
      r->headers.push_back("Content-Type: " + media);
    }
  }
  return std::nullopt;
}

}  // namespace

Result<HttpRequest> build_request(const json& route, const json& args) {
  HttpRequest r;
  r.method = route.at("method");
  UrlParts u{route.at("path"), {}, {}};
  if (auto e = apply_params(route, args, &u, &r)) return *e;
  if (auto e = apply_credentials(route, &u, &r)) return *e;
  add_cookie_header(u, &r);
  if (auto e = encode_body(route, args, &r)) return *e;
  r.headers.push_back("Accept: application/json, */*;q=0.8");
  std::string base = route.at("base_url");
  while (!base.empty() && base.back() == '/') base.pop_back();
  r.url = base + u.path;
  if (!u.query.empty()) {
    r.url += u.path.find('?') == std::string::npos ? "?" : "&";
    for (size_t i = 0; i < u.query.size(); ++i) r.url += (i ? "&" : "") + u.query[i];
  }
  return r;
}

bool is_json_like(const std::string& media) {
  std::string m = ascii_lower(media.substr(0, media.find(';')));
  return m == "application/json" || m.find("+json") != std::string::npos;
}

}  // namespace toolgate::openapi
