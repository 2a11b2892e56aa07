// The native door's fast reader for its most common frame: a check request in the canonical
// encoding, read straight from the frame's bytes into CheckCalls, without building the
// generated wire::Request (an arena, an object per check, and their reset per frame were a
// third of the door's instructions per check: docs/optimization.md, issue 20).
//
// It reads a strict subset of what protobuf accepts, and reads it exactly as protobuf would:
// each known field at most once and with its declared wire type, no unknown field, strings of
// ASCII only, enum and uint32 values in range. Anything else (a duplicate, an unknown or
// mistyped field, other bytes in a string, a malformed varint or length, any other request
// kind) makes it return false, and the caller parses the frame with the generated classes,
// which decide, as before, what it means or why it is malformed. Held to the generated
// parser by tests/service/check_request_scan_test.cpp. Pure; thread-safe.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "service/check_decider.h"

namespace drl::service {

// A check request's fields beside its checks (drl.wire.Request and CheckRequest).
struct ScannedCheckRequest {
  uint64_t id = 0;
  uint32_t timeout_ms = 0;
  std::string_view auth_token;
  bool all_or_nothing = false;
  size_t checks = 0;  // the checks the request holds (at most kMaxChecksPerRequest)
};

// Fills `out` and `calls` (one per check, their views borrowing `payload`) and returns true
// when `payload` is a check request of the subset above with at most kMaxChecksPerRequest
// checks; false otherwise (then `out` and `calls` hold nothing meaningful).
bool scan_check_request(std::string_view payload, ScannedCheckRequest& out,
                        std::vector<CheckCall>& calls);

}  // namespace drl::service
