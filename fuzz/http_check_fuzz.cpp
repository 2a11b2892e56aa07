// Bodies of POST /v1/check as the HTTP door reads them (service/http_check.h), each planned
// and, when planned, answered with one outcome per call.
//
// Oracles: a refused body has a status of 400, a code and a sentence, and its JSON error body
// names the code; a planned body has 1 .. kMaxChecksPerRequest calls whose keys lie in the plan
// (the calls borrow it); the answer has one result per call.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "service/http_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  drl::fuzz::quiet_protobuf();
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  drl::service::HttpCheckPlan plan;
  const drl::service::HttpError e = drl::service::plan_http_check(body, plan);
  if (!e.code.empty()) {
    DRL_FUZZ_CHECK(e.status == 400);
    DRL_FUZZ_CHECK(!e.message.empty());
    DRL_FUZZ_CHECK(drl::service::http_error_json(e).find("\"" + e.code + "\"") !=
                   std::string::npos);
    return 0;
  }
  DRL_FUZZ_CHECK(!plan.calls.empty());
  DRL_FUZZ_CHECK(plan.calls.size() <= drl::service::kMaxChecksPerRequest);
  DRL_FUZZ_CHECK(static_cast<int>(plan.calls.size()) == plan.wire.checks_size());
  std::vector<drl::service::CheckOutcome> outcomes(plan.calls.size());
  for (size_t i = 0; i < plan.calls.size(); ++i) {
    DRL_FUZZ_CHECK(plan.calls[i].key.data() == plan.wire.checks(static_cast<int>(i)).key().data());
    outcomes[i].code = plan.calls[i].code;
    outcomes[i].message = std::string(plan.calls[i].error);
  }
  const std::string answer = drl::service::http_check_json(outcomes, "n1");
  size_t results = 0;
  for (size_t at = answer.find("{\"allowed\":"); at != std::string::npos;
       at = answer.find("{\"allowed\":", at + 1)) {
    ++results;
  }
  DRL_FUZZ_CHECK(results == plan.calls.size());
  return 0;
}
