// CRC-32C (Castagnoli), the checksum of the durable backend's log and snapshot frames.
// Pure and thread-safe.
#pragma once
#include <cstdint>
#include <string_view>

namespace drl {

// The CRC-32C of `bytes`; pass a previous result as `crc` to continue over more bytes.
uint32_t crc32c(std::string_view bytes, uint32_t crc = 0);

}  // namespace drl
