// `type: openapi` sources: every operation of an OpenAPI 3.0/3.1 or
// Swagger 2.0 spec becomes a tool (docs/openapi.md). Calls are HTTP requests
// made from inside a worker, through the egress broker.
//
//   sources:
//     - name: petstore
//       type: openapi
//       spec: specs/petstore.yaml          # relative to the config file
//       base_url: http://127.0.0.1:4010    # overrides servers[]
//       auth: {type: bearer, token: "${PETSTORE_TOKEN}"}
//       include: {tags: [pets], methods: [GET, POST]}
#pragma once

#include <memory>

#include "adapters/openapi/oauth_tokens.h"
#include "gateway/catalog/adapter.h"

namespace toolgate {

// A translator, with credential hooks for OAuth2 tokens.
class OpenApiAdapter : public Adapter, public Translator, public CredentialHooks {
 public:
  std::vector<Tool> load(const LoadContext& ctx) const override;
  const Translator* translator() const override { return this; }
  const CredentialHooks* credentials() const override { return this; }
  Result<WorkOrder> prepare(const Tool& tool, const json& args) const override;
  json render(const Tool& tool, const WorkResult& result) const override;
  std::string obtain(const Tool& tool, bool renew, const Runner& run) const override;
  bool refused(const Tool& tool, const WorkResult& result) const override;

 private:
  // OAuth2 tokens by source, kept across calls and reloads.
  std::shared_ptr<openapi::TokenStore> tokens_ = std::make_shared<openapi::TokenStore>();
};

}  // namespace toolgate
