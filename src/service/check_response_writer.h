// The native door's answer to a check request written straight as bytes: a
// drl.wire.CheckResponse holding each outcome as encode_outcome() fills a CheckResult, and
// the answering node's id, exactly as the generated serializer writes that message (fields in
// number order, proto3 defaults left out), without building it. Held byte for byte to the
// generated classes by tests/service/check_response_writer_test.cpp. Pure; thread-safe.
#pragma once
#include <cstddef>
#include <span>
#include <string_view>

#include "service/check_decider.h"

namespace drl::service {

// The size of the CheckResponse.
size_t check_response_size(std::span<const CheckOutcome> outcomes, std::string_view decided_by);
// Writes it at `p`, which has check_response_size() bytes of room; returns the end.
char* write_check_response(char* p, std::span<const CheckOutcome> outcomes,
                           std::string_view decided_by);

}  // namespace drl::service
