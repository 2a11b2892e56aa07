#include "drl/status.h"

namespace drl {

const char* result_code_name(ResultCode code) {
  switch (code) {
    case ResultCode::kOk:
      return "OK";
    case ResultCode::kUnknownPolicy:
      return "UNKNOWN_POLICY";
    case ResultCode::kInvalidLimit:
      return "INVALID_LIMIT";
    case ResultCode::kInvalidKey:
      return "INVALID_KEY";
    case ResultCode::kInvalidCost:
      return "INVALID_COST";
    case ResultCode::kMissingLimit:
      return "MISSING_LIMIT";
    case ResultCode::kOverloaded:
      return "OVERLOADED";
    case ResultCode::kUnavailable:
      return "UNAVAILABLE";
    case ResultCode::kInternal:
      return "INTERNAL";
    case ResultCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case ResultCode::kRequestError:
      return "REQUEST_ERROR";
    case ResultCode::kTimeout:
      return "TIMEOUT";
    case ResultCode::kMemoryFull:
      return "MEMORY_FULL";
  }
  return "UNKNOWN";
}

}  // namespace drl
