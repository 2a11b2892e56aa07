#include "service/check_validator.h"

#include <string>

namespace drl::service {

Status validate_check(const CheckCall& call) {
  if (call.key.empty()) return {ResultCode::kInvalidKey, "key is empty"};
  if (call.key.size() > kMaxKeyBytes) {
    return {ResultCode::kInvalidKey, "key is longer than 4096 bytes"};
  }
  if (call.request.cost > limits::kMaxCount) {
    return {ResultCode::kInvalidCost, "cost is above 4294967295"};
  }
  if (call.code != CheckCode::kOk) {
    return {call.code, std::string(call.error)};
  }
  if (call.has_inline) {
    if (std::string problem = limits::validate(call.limit); !problem.empty()) {
      return {ResultCode::kInvalidLimit, "invalid limit: " + problem};
    }
  }
  return Status::ok();
}

}  // namespace drl::service
