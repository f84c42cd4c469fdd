#include "gateway/transport/http_admin.h"

#include <httplib.h>

#include "common/log.h"
#include "gateway/identity/auth.h"

namespace toolgate {
namespace {

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(dump_safe(body), "application/json");
}

}  // namespace

void install_admin_routes(httplib::Server& http, Gateway& gateway, const HttpGuard& guard,
                          GaugeSource transport_gauges) {
  http.Get("/metrics", [&gateway, guard, transport_gauges](const httplib::Request& req,
                                                           httplib::Response& res) {
    Caller who;
    if (!guard(req, res, &who)) return;
    res.set_content(gateway.render_metrics(transport_gauges ? transport_gauges()
                                                            : std::vector<Metrics::Sample>{}),
                    "text/plain; version=0.0.4; charset=utf-8");
  });

  // Only callers with an admin role, and only when callers are real (keys).
  auto admin = [&gateway, guard](const httplib::Request& req, httplib::Response& res, Caller* who) {
    if (!guard(req, res, who)) return false;
    auto cfg = gateway.config();
    if (cfg->server.api_keys.empty()) {
      reply(res, 403,
            {{"error",
              "the admin endpoint needs server.auth.api_keys; without keys use "
              "`toolgate approvals` on the gateway's host"}});
      return false;
    }
    if (!has_any_role(*who, cfg->approvals.admin_roles)) {
      reply(res, 403, {{"error", "this API key's caller has none of approvals.admin_roles"}});
      return false;
    }
    return true;
  };

  http.Get("/admin/approvals",
           [&gateway, admin](const httplib::Request& req, httplib::Response& res) {
             Caller who;
             if (!admin(req, res, &who)) return;
             json list = json::array();
             for (auto& a : gateway.approvals().list()) list.push_back(a.to_json());
             reply(res, 200, {{"pending", list}});
           });

  http.Post(
      R"(/admin/approvals/([0-9a-f]{1,64})/(approve|deny))",
      [&gateway, admin](const httplib::Request& req, httplib::Response& res) {
        Caller who;
        if (!admin(req, res, &who)) return;
        std::string id = req.matches[1], verb = req.matches[2];
        std::string err, by = "http:" + who.id;
        // The approver must be someone other than the caller that made
        // the call: an agent holding an admin key cannot wave itself through.
        if (!gateway.approvals().resolve(id, verb == "approve", by, who.id, &err)) {
          reply(res, err.find("no pending") == 0 ? 404 : 409, {{"error", err}});
          return;
        }
        log::info("approval decided", {{"id", id}, {"approved", verb == "approve"}, {"by", by}});
        reply(res, 200, {{"ok", true}});
      });
}

}  // namespace toolgate
