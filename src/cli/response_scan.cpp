#include "cli/response_scan.h"

#include "common/wire_format.h"
#include "drl/client.pb.h"

namespace drl::cli {
namespace {

using protowire::Field;
using protowire::Reader;

bool scan_result(std::string_view bytes, ResponseTally& t) {
  uint64_t code = wire::OK, allowed = 0;
  Reader r(bytes);
  Field f;
  while (!r.done()) {
    if (r.next(f) != nullptr) return false;
    if (f.type != protowire::kVarint) continue;
    if (f.number == wire::CheckResult::kCodeFieldNumber) code = f.value;
    if (f.number == wire::CheckResult::kAllowedFieldNumber) allowed = f.value;
  }
  if (t.results == 0) t.first_overloaded = code == wire::OVERLOADED;
  ++t.results;
  if (code != wire::OK) {
    ++t.errors;
    if (code == wire::OVERLOADED) ++t.overloaded;
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
  Reader r(reinterpret_cast<const char*>(payload.data()),
           reinterpret_cast<const char*>(payload.data() + payload.size()));
  Field f;
  while (!r.done()) {
    if (r.next(f) != nullptr) return false;
    if (f.number == wire::Response::kIdFieldNumber && f.type == protowire::kVarint) t.id = f.value;
    if (f.number != wire::Response::kCheckFieldNumber || f.type != protowire::kLength) continue;
    t.check = true;
    Reader body(f.bytes);
    Field result;
    while (!body.done()) {
      if (body.next(result) != nullptr) return false;
      if (result.number == wire::CheckResponse::kResultsFieldNumber &&
          result.type == protowire::kLength && !scan_result(result.bytes, t)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace drl::cli
