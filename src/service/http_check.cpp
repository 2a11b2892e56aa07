#include "service/http_check.h"

#include <google/protobuf/util/json_util.h>

#include "common/json_text.h"
#include "service/wire_convert.h"

namespace drl::service {
namespace {

void to_wire(const http::Check& in, wire::Check& out) {
  out.set_key(in.key());
  if (in.has_cost()) out.set_cost(in.cost());
  if (in.spec_case() == http::Check::kPolicy) out.set_policy(in.policy());
  if (in.spec_case() == http::Check::kLimit) *out.mutable_limit() = in.limit();
  out.set_reset(in.reset());
  out.set_refund(in.refund());
  out.set_drain_on_deny(in.drain_on_deny());
  out.set_shadow(in.shadow());
}

const char* boolean(bool b) { return b ? "true" : "false"; }

}  // namespace

HttpError read_json_body(std::string_view body, google::protobuf::Message& message,
                         std::string_view what) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return {400, "EMPTY_REQUEST", "the body is empty: send " + std::string(what)};
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(body.data(), body.size()), &message, options);
  if (!status.ok()) {
    std::string why(status.message());
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return {400, "MALFORMED_FRAME", "the body is not " + std::string(what) + ": " + why};
  }
  return {200, "", ""};
}

HttpError plan_http_check(std::string_view body, HttpCheckPlan& plan) {
  http::CheckRequest request;
  if (auto error =
          read_json_body(body, request, "a check request (JSON as docs/protocol.md shows)");
      !error.code.empty()) {
    return error;
  }
  if (request.checks().empty()) {
    return {400, "EMPTY_REQUEST", "the check request holds no checks"};
  }
  if (static_cast<size_t>(request.checks_size()) > kMaxChecksPerRequest) {
    return {400, "TOO_MANY_CHECKS",
            "a request may hold at most " + std::to_string(kMaxChecksPerRequest) + " checks"};
  }
  plan.all_or_nothing = request.all_or_nothing();
  plan.timeout_ms = request.timeout_ms();
  plan.wire.Clear();
  plan.wire.set_all_or_nothing(request.all_or_nothing());
  for (const http::Check& c : request.checks()) to_wire(c, *plan.wire.add_checks());
  plan.calls.resize(plan.wire.checks_size());
  for (int i = 0; i < plan.wire.checks_size(); ++i)
    decode_check(plan.wire.checks(i), plan.calls[i]);
  return {200, "", ""};
}

std::string http_check_json(std::span<const CheckOutcome> outcomes, std::string_view node_id) {
  std::string out = "{\"results\":[";
  wire::CheckResult r;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    encode_outcome(outcomes[i], r);
    const std::string_view decided_by = r.decided_by().empty() ? node_id : r.decided_by();
    if (i > 0) out += ',';
    out += "{\"allowed\":";
    out += boolean(r.allowed());
    out += ",\"code\":\"" + wire::Code_Name(r.code()) + "\"";
    out += ",\"limit\":" + std::to_string(r.limit());
    out += ",\"remaining\":" + std::to_string(r.remaining());
    out += ",\"reset_at_ms\":" + std::to_string(r.reset_at_ms());
    out += ",\"retry_after_ms\":" + std::to_string(r.retry_after_ms());
    out += ",\"delay_ms\":" + std::to_string(r.delay_ms());
    out += ",\"message\":" + json_string(r.message());
    out += ",\"shadow_denied\":";
    out += boolean(r.shadow_denied());
    out += ",\"degraded\":";
    out += boolean(r.degraded());
    out += ",\"reset_by_eviction\":";
    out += boolean(r.reset_by_eviction());
    out += ",\"decided_by\":" + json_string(decided_by) + "}";
  }
  out += "],\"decided_by\":" + json_string(node_id) + "}\n";
  return out;
}

std::string http_error_json(const HttpError& error) {
  return "{\"error\":{\"code\":" + json_string(error.code) +
         ",\"message\":" + json_string(error.message) + "}}\n";
}

HttpError http_body_too_large(size_t max_bytes) {
  return {413, "FRAME_TOO_LARGE",
          "the body is over " + std::to_string(max_bytes) + " bytes (the node's --max-frame)"};
}

HttpError http_unauthenticated() {
  return {401, "UNAUTHENTICATED",
          "missing or unknown client token: send it as `Authorization: Bearer TOKEN` (the "
          "node's --client-tokens-file)"};
}

}  // namespace drl::service
