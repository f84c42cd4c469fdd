#include "gateway/catalog/catalog.h"

#include <map>

#include "gateway/catalog/adapter.h"
#include "gateway/catalog/naming.h"
#include "gateway/config/config.h"

namespace toolgate {

json Tool::to_mcp() const {
  json t = {{"name", name}, {"inputSchema", input_schema}};
  if (!title.empty()) t["title"] = title;
  if (!description.empty()) t["description"] = description;
  if (!output_schema.is_null()) t["outputSchema"] = output_schema;
  if (annotations.is_object() && !annotations.empty()) t["annotations"] = annotations;
  return t;
}

std::shared_ptr<const Catalog> Catalog::build(const Config& cfg, const AdapterRegistry& registry,
                                              const LoadFetcher* fetch, const Launcher* launcher,
                                              const SandboxFor* sandbox_for) {
  auto cat = std::make_shared<Catalog>();
  struct Loaded {
    Tool tool;
    const SourceConfig* source;
  };
  std::vector<Loaded> loaded;
  for (const auto& src : cfg.sources) {
    const Adapter* adapter = registry.find(src.type);
    if (!adapter)
      cfg.doc.fail(src.pointer + "/type", "no adapter for source type '" + src.type + "'");
    std::vector<Tool> tools;
    try {
      tools = adapter->load(LoadContext{cfg, src, fetch, launcher, &cat->upstreams_, sandbox_for});
    } catch (const ConfigError&) {
      throw;
    } catch (const std::exception& e) {
      // An adapter tripping over hostile input fails the load (or a reload,
      // which keeps the old catalog), never the gateway.
      cfg.doc.fail(src.pointer, "source '" + src.name + "' could not be loaded: " + e.what());
    }
    for (Tool& t : tools) {
      if (t.meta.empty()) {
        t.translator = adapter->translator();
        t.proxy = adapter->proxy();
        t.credentials = adapter->credentials();
        // Exactly one way to answer a call, or the pipeline could not run it.
        if (!t.translator == !t.proxy)
          cfg.doc.fail(src.pointer + "/type", "the adapter for source type '" + src.type +
                                                  "' must translate or proxy calls");
      }
      t.source = src.name;
      loaded.push_back({std::move(t), &src});
    }
  }
  // Base names (without prefix) decide on_collision prefixing.
  std::map<std::string, int> base_count;
  for (auto& l : loaded) ++base_count[sanitize_name(l.tool.local_name)];

  std::map<std::string, const Loaded*> taken;
  for (auto& l : loaded) {
    std::string base = sanitize_name(l.tool.local_name);
    bool prefix = l.source->prefix == PrefixMode::always ||
                  (l.source->prefix == PrefixMode::on_collision && base_count[base] > 1);
    std::string name = fit_name(prefix ? sanitize_name(l.source->name) + "__" + base : base);
    if (auto it = taken.find(name); it != taken.end()) {
      const Loaded* other = it->second;
      cfg.doc.fail(l.tool.pointer, "tool name '" + name + "' from source '" + l.source->name +
                                       "' collides with the tool of the same name from source '" +
                                       other->source->name + "' (" +
                                       cfg.where(other->tool.pointer) +
                                       "); set `prefix: always` on one of them or rename a tool");
    }
    taken[name] = &l;
    l.tool.name = name;
  }
  json listing = json::array();
  for (auto& l : loaded) {
    cat->index_[l.tool.name] = cat->tools_.size();
    if (l.tool.listed) listing.push_back(l.tool.to_mcp());
    cat->tools_.push_back(std::make_shared<const Tool>(std::move(l.tool)));
  }
  cat->digest_ = short_hash(dump_safe(listing), 32);
  return cat;
}

const Tool* Catalog::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : tools_[it->second].get();
}

std::shared_ptr<const Tool> Catalog::find_shared(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : tools_[it->second];
}

}  // namespace toolgate
