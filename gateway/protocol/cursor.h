// Page cursors of the lists the gateway serves (tools, resources, prompts):
// opaque to clients, "tg1.<offset>" to us.
//
//   result["nextCursor"] = encode_cursor(end);
//   size_t offset;  if (!decode_cursor(params["cursor"], &offset)) ...invalid cursor
#pragma once

#include <cstddef>
#include <string>

#include "common/json_limits.h"

namespace toolgate {

std::string encode_cursor(size_t offset);
bool decode_cursor(const json& c, size_t* offset);

}  // namespace toolgate
