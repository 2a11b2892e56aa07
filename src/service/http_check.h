// The HTTP door's check as pure code (docs/protocol.md, "The HTTP/JSON API"): the JSON body of
// POST /v1/check becomes the CheckCalls every door decides with (each check decoded as the
// native door decodes its frames, so the same checks get the same codes and messages), and
// the outcomes become the JSON answer, one object per check with the fields of
// `drl check --json`. Errors about the whole request are JSON too, with the native protocol's
// ErrorCode names. No I/O; thread-safe (no state beyond the caller's values).
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "drl/http.pb.h"
#include "service/check_decider.h"

namespace drl::service {

// A request the door refuses whole: the HTTP status, the code (drl.wire.ErrorCode's name, or
// NOT_FOUND / METHOD_NOT_ALLOWED / UNAVAILABLE for what only HTTP has) and a sentence.
struct HttpError {
  int status = 400;
  std::string code;
  std::string message;
};

// A planned request. The calls borrow `wire` (keys, policy names): plan in place and do not
// move or copy the plan while the calls are in use.
struct HttpCheckPlan {
  wire::CheckRequest wire;
  std::vector<CheckCall> calls;
  bool all_or_nothing = false;
  uint32_t timeout_ms = 0;  // 0: the node's default
};

// Reads `body` into `plan`: "" error code on success. Refuses a body that is not JSON, a field
// this API does not have, a value of the wrong type (400 MALFORMED_FRAME, with protobuf's
// sentence naming the field), an empty body or no checks (400 EMPTY_REQUEST) and more than
// kMaxChecksPerRequest (400 TOO_MANY_CHECKS). A check the decoder refuses (bad key, no limit, ...)
// is not an error of the request: its CheckCall carries the code, as in the native door.
HttpError plan_http_check(std::string_view body, HttpCheckPlan& plan);

// {"results":[{...}, ...],"decided_by":"<node_id>"}: one object per outcome, in order, with
// allowed, code, limit, remaining, reset_at_ms, retry_after_ms, delay_ms, message,
// shadow_denied, degraded, reset_by_eviction and decided_by (node_id when the outcome names
// none).
std::string http_check_json(std::span<const CheckOutcome> outcomes, std::string_view node_id);

// {"error":{"code":"...","message":"..."}}
std::string http_error_json(const HttpError& error);

// Reads a JSON body into `message` with protobuf's JSON mapping (a field the message does not
// have is an error): "" error code on success; 400 EMPTY_REQUEST for an empty body, 400
// MALFORMED_FRAME for anything else ("the body is not <what>...: <protobuf's sentence>").
HttpError read_json_body(std::string_view body, google::protobuf::Message& message,
                         std::string_view what);

// The errors every path shares.
HttpError http_body_too_large(size_t max_bytes);
HttpError http_unauthenticated();

}  // namespace drl::service
