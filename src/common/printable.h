// Untrusted bytes (a key, a policy name, a peer id) made safe to quote in a message or a log
// line: at most `max` bytes, each non-printable byte shown as '?', "..." when cut. Pure.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace drl {

inline std::string printable(std::string_view bytes, size_t max = 64) {
  std::string out;
  for (char c : bytes.substr(0, max)) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  if (bytes.size() > max) out += "...";
  return out;
}

}  // namespace drl
