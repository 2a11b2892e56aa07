#include "cli/response_scan.h"

namespace drl::cli {
namespace {

// Field numbers and codes of proto/drl/client.proto.
constexpr uint32_t kResponseId = 1;
constexpr uint32_t kResponseCheck = 2;
constexpr uint32_t kCheckResults = 1;
constexpr uint32_t kResultCode = 1;
constexpr uint32_t kResultAllowed = 2;
constexpr uint64_t kCodeOk = 0;
constexpr uint64_t kCodeOverloaded = 6;

class WireReader {
 public:
  WireReader(const uint8_t* p, const uint8_t* end) : p_(p), end_(end) {}
  bool done() const { return p_ == end_; }

  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return false;
      const uint8_t b = *p_++;
      v |= uint64_t{b & 0x7fu} << shift;
      if (b < 0x80) return true;
    }
    return false;
  }

  // Reads a tag; for a length-delimited field, `sub` is its bytes (already skipped here).
  bool field(uint32_t& number, uint32_t& type, uint64_t& value, WireReader& sub) {
    uint64_t tag = 0;
    if (!varint(tag) || (tag >> 3) == 0 || (tag >> 3) > UINT32_MAX) return false;
    number = static_cast<uint32_t>(tag >> 3);
    type = static_cast<uint32_t>(tag & 7);
    switch (type) {
      case 0:
        return varint(value);
      case 1:
        return skip(8);
      case 5:
        return skip(4);
      case 2: {
        uint64_t len = 0;
        if (!varint(len) || len > static_cast<uint64_t>(end_ - p_)) return false;
        sub = WireReader(p_, p_ + len);
        p_ += len;
        return true;
      }
      default:
        return false;  // groups are not used by drl
    }
  }

 private:
  bool skip(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

bool scan_result(WireReader r, ResponseTally& t) {
  uint64_t code = kCodeOk, allowed = 0;
  while (!r.done()) {
    uint32_t number = 0, type = 0;
    uint64_t value = 0;
    WireReader sub(nullptr, nullptr);
    if (!r.field(number, type, value, sub)) return false;
    if (type != 0) continue;
    if (number == kResultCode) code = value;
    if (number == kResultAllowed) allowed = value;
  }
  if (t.results == 0) t.first_overloaded = code == kCodeOverloaded;
  ++t.results;
  if (code != kCodeOk) {
    ++t.errors;
    if (code == kCodeOverloaded) ++t.overloaded;
  } else if (allowed != 0) {
    ++t.allowed;
  } else {
    ++t.denied;
  }
  return true;
}

}  // namespace

bool scan_response(std::span<const uint8_t> payload, ResponseTally& t) {
  t = ResponseTally{};
  WireReader r(payload.data(), payload.data() + payload.size());
  while (!r.done()) {
    uint32_t number = 0, type = 0;
    uint64_t value = 0;
    WireReader body(nullptr, nullptr);
    if (!r.field(number, type, value, body)) return false;
    if (number == kResponseId && type == 0) t.id = value;
    if (number != kResponseCheck || type != 2) continue;
    t.check = true;
    while (!body.done()) {
      WireReader result(nullptr, nullptr);
      if (!body.field(number, type, value, result)) return false;
      if (number == kCheckResults && type == 2 && !scan_result(result, t)) return false;
    }
  }
  return true;
}

}  // namespace drl::cli
