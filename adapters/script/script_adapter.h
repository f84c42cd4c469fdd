// `type: script` sources: each tool is an argv command run in a worker.
// The call's JSON arguments arrive on stdin and TOOLGATE_TOOL names the
// tool. stdout may be a full CallToolResult ({"content": [...]}), any other
// JSON value (-> structuredContent plus text), or plain text.
//
//   sources:
//     - name: notes
//       type: script
//       tools:
//         - name: add_note
//           command: [python3, examples/notes.py, add]
//           input_schema: {type: object, properties: {text: {type: string}}}
//           env: {NOTES_DIR: /var/lib/notes}      # explicit values
//           env_allow: [LANG]                      # inherited from the gateway
#pragma once

#include "gateway/catalog/adapter.h"

namespace toolgate {

class ScriptAdapter : public Adapter, public Translator {
 public:
  std::vector<Tool> load(const LoadContext& ctx) const override;
  const Translator* translator() const override { return this; }
  Result<WorkOrder> prepare(const Tool& tool, const json& args) const override;
  json render(const Tool& tool, const WorkResult& result) const override;
};

// Checks a tool-supplied CallToolResult and keeps only well-formed parts.
// Shared with other adapters that relay results they did not build.
Result<json> sanitize_call_tool_result(const json& in);

}  // namespace toolgate
