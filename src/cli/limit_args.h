// Shared argument helpers of the client subcommands: durations, algorithms (JSON output:
// common/json_text.h).
#pragma once
#include <string>
#include <string_view>

#include "common/json_text.h"
#include "drl/client.h"

namespace drl::cli {

// "250ms", "1s", "1m", "2h", "1d" -> milliseconds (at least 1). Returns "" or a message.
std::string parse_window(std::string_view text, std::chrono::milliseconds& out);
// "token_bucket", "leaky_bucket", "fixed_window", "sliding_log", "sliding_window".
bool parse_algorithm_arg(std::string_view text, Algorithm& out);

}  // namespace drl::cli
