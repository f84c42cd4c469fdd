#include "adapters/graphql/http_order.h"

#include "adapters/openapi/request_builder.h"

namespace toolgate::graphql {

Result<WorkOrder> graphql_order(const json& route, const json& body, const Limits& limits) {
  // The OpenAPI request builder already knows every credential form and
  // refuses line breaks in headers: a GraphQL call is one JSON POST to the
  // endpoint's exact URL (origin plus the rest, untouched).
  std::string endpoint = route.at("endpoint");
  size_t origin_end = endpoint.find_first_of("/?#", endpoint.find("://") + 3);
  std::string origin = endpoint.substr(0, origin_end);
  std::string rest = origin_end == std::string::npos ? "" : endpoint.substr(origin_end);
  json r = {{"method", "POST"},
            {"path", rest},
            {"params", json::array()},
            {"body_media", "application/json"},
            {"base_url", origin},
            {"auth", route.at("auth")},
            {"headers", route.at("headers")}};
  auto req = openapi::build_request(r, {{"body", body}});
  if (!req) return req.error();
  WorkOrder o;
  o.argv = {"-"};  // no program: the worker makes the request itself
  o.limits = limits;
  o.egress_allow = route.at("egress_allow").get<std::vector<std::string>>();
  o.sandbox.egress = true;
  // Room for the JSON framing around the body in the worker's answer.
  size_t cap = limits.max_output_bytes / 4 * 3;
  cap = cap > 8192 ? cap - 4096 : cap / 2;
  o.http = {{"method", "POST"},  {"url", req->url},    {"headers", req->headers},
            {"body", req->body}, {"max_redirects", 0}, {"max_body_bytes", cap}};
  return o;
}

}  // namespace toolgate::graphql
