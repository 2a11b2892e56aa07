#include "service/check_decider.h"

namespace drl::service {

std::string_view check_code_name(CheckCode code) {
  switch (code) {
    case CheckCode::kOk:
      return "OK";
    case CheckCode::kUnknownPolicy:
      return "UNKNOWN_POLICY";
    case CheckCode::kInvalidLimit:
      return "INVALID_LIMIT";
    case CheckCode::kInvalidKey:
      return "INVALID_KEY";
    case CheckCode::kInvalidCost:
      return "INVALID_COST";
    case CheckCode::kMissingLimit:
      return "MISSING_LIMIT";
    case CheckCode::kOverloaded:
      return "OVERLOADED";
    case CheckCode::kUnavailable:
      return "UNAVAILABLE";
    case CheckCode::kInternal:
      return "INTERNAL";
  }
  return "UNKNOWN";
}

}  // namespace drl::service
