// A light reader of drl.wire.Response bytes for load generators: it walks the protobuf wire
// format once and keeps only what a generator counts (the id, and per CheckResult its code
// and whether it was allowed), without building a message, allocating or copying strings.
// A full parse costs the generator more CPU than the node spends deciding the check, and on
// one machine the two share the cores. Pure function over bytes; thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace drl::cli {

struct ResponseTally {
  uint64_t id = 0;
  bool check = false;  // the body is a CheckResponse (else an error, a status, ...)
  uint32_t results = 0;
  uint32_t allowed = 0;           // code OK and allowed
  uint32_t denied = 0;            // code OK and not allowed
  uint32_t errors = 0;            // any other code
  uint32_t overloaded = 0;        // code OVERLOADED (also counted in errors)
  bool first_overloaded = false;  // the first result is OVERLOADED (the request was shed)
};

// Reads one Response payload (the bytes after the frame's length word). False when the bytes
// are not valid wire format; `tally` is then unspecified.
bool scan_response(std::span<const uint8_t> payload, ResponseTally& tally);

}  // namespace drl::cli
