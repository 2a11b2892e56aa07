#include "rls/json_exchange.h"

#include <google/protobuf/util/json_util.h>

namespace drl::rls {

service::HttpError parse_rls_json(std::string_view body, RateLimitRequest& request) {
  return service::read_json_body(body, request, "a RateLimitRequest in proto3's JSON mapping");
}

int rls_json_status(const RateLimitResponse& response) {
  switch (response.overall_code()) {
    case RateLimitResponse::OVER_LIMIT:
      return 429;
    case RateLimitResponse::UNKNOWN:
      return 500;
    default:
      return 200;
  }
}

std::string rls_response_json(const RateLimitResponse& response) {
  std::string out;
  // Every field a proto3 JSON printer would print: lowerCamelCase names, defaults left out.
  (void)google::protobuf::util::MessageToJsonString(response, &out);
  return out;
}

service::HttpError rls_json_error(const RlsExchangeError& error) {
  if (error.invalid_request) return {400, "INVALID_ARGUMENT", error.message};
  switch (error.code) {
    case service::CheckCode::kOverloaded:
      return {503, "OVERLOADED", error.message};
    case service::CheckCode::kUnavailable:
      return {503, "UNAVAILABLE", error.message};
    default:
      return {500, std::string(service::check_code_name(error.code)), error.message};
  }
}

}  // namespace drl::rls
