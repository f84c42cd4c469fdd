// The HTTP transport's operator endpoints (http_admin.cc):
//   GET  /metrics                         Prometheus text; needs any valid key when keys exist
//   GET  /admin/approvals                 pending approvals
//   POST /admin/approvals/<id>/approve    (or /deny)
// /admin needs an API key whose caller has one of approvals.admin_roles,
// and nobody approves a call they made themselves.
#pragma once

#include <functional>
#include <vector>

#include "gateway/gateway.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace toolgate {

using HttpGuard = std::function<bool(const httplib::Request&, httplib::Response&, Caller*)>;
// `transport_gauges` adds the transport's own figures to /metrics.
using GaugeSource = std::function<std::vector<Metrics::Sample>()>;
void install_admin_routes(httplib::Server& http, Gateway& gateway, const HttpGuard& guard,
                          GaugeSource transport_gauges);

}  // namespace toolgate
