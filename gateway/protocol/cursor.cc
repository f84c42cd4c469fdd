#include "gateway/protocol/cursor.h"

namespace toolgate {

std::string encode_cursor(size_t offset) { return "tg1." + std::to_string(offset); }

bool decode_cursor(const json& c, size_t* offset) {
  if (!c.is_string()) return false;
  const std::string& s = c.get_ref<const std::string&>();
  if (s.rfind("tg1.", 0) != 0 || s.size() < 5 || s.size() > 16) return false;
  std::string digits = s.substr(4);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return false;
  *offset = std::stoul(digits);
  return true;
}

}  // namespace toolgate
