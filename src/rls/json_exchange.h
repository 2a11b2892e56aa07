// envoyproxy/ratelimit's HTTP /json endpoint, the pure part: a RateLimitRequest in proto3's
// JSON mapping in, the RateLimitResponse in the same mapping out, 200 when the request is
// allowed, 429 when a descriptor is over its limit, 500 for UNKNOWN (as its
// src/server/server_impl.go NewJsonHandler answers). Errors are drl's HTTP error bodies
// (service/http_check.h). The HTTP door (doors/http_server.h) serves it as POST /json.
#pragma once
#include <string>
#include <string_view>

#include "rls/config.h"
#include "rls/exchange.h"
#include "service/http_check.h"

namespace drl::rls {

inline constexpr char kJsonPath[] = "/json";

// Reads `body` into `request`: "" error code on success; 400 EMPTY_REQUEST for an empty body,
// 400 MALFORMED_FRAME (with protobuf's sentence) for what is not a RateLimitRequest.
service::HttpError parse_rls_json(std::string_view body, RateLimitRequest& request);

// The HTTP status of an answer: 429 when OVER_LIMIT, 500 when UNKNOWN, else 200.
int rls_json_status(const RateLimitResponse& response);
std::string rls_response_json(const RateLimitResponse& response);

// An exchange without an answer: 400 INVALID_ARGUMENT (the planner's sentence), 503
// OVERLOADED or UNAVAILABLE, else 500 with the check's code.
service::HttpError rls_json_error(const RlsExchangeError& error);

}  // namespace drl::rls
