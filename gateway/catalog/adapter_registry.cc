#include "gateway/catalog/adapter.h"

namespace toolgate {

void AdapterRegistry::add(const std::string& type, std::unique_ptr<Adapter> adapter) {
  adapters_[type] = std::move(adapter);
}

const Adapter* AdapterRegistry::find(const std::string& type) const {
  auto it = adapters_.find(type);
  return it == adapters_.end() ? nullptr : it->second.get();
}

json per_call_facts(const Tool& tool, const json& args) {
  if (!tool.translator || !tool.facts.value("per_call", false)) return nullptr;
  return tool.translator->call_facts(tool, args);
}

}  // namespace toolgate
