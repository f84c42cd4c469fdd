// The HTTP request of one OpenAPI call, built from the tool's route (from
// the spec and the source's config) and the call's validated arguments.
// Path values stay one segment, header values carry no line breaks, and
// hop-by-hop or routing headers never come from arguments.
//
//   auto req = build_request(tool.route, args);   // Error: a message for the model
//   order.http = req->to_json();
#pragma once

#include <string>
#include <vector>

#include "adapters/openapi/spec_model.h"
#include "common/result.h"

namespace toolgate::openapi {

struct HttpRequest {
  std::string method, url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::string body_base64;  // octet-stream bodies, sent decoded
};

Result<HttpRequest> build_request(const json& route, const json& args);
bool is_json_like(const std::string& media);

}  // namespace toolgate::openapi
