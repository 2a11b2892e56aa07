// Protobuf's base-128 varint, appended to a byte string: the one encoder used where the node
// and `drl bench` write wire bytes by hand (response envelopes, request envelopes, store keys).
#pragma once
#include <cstdint>
#include <string>

namespace drl {

inline void append_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

}  // namespace drl
