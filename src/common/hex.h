// 64-bit values (ring epochs, content hashes) as drl prints them: 16 lowercase hex digits.
// They exceed 2^53, so JSON carries them as this string, never as a number.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace drl {

inline std::string hex64(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace drl
