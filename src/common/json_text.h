// JSON text written by hand where a reply is a handful of fields (the CLI's --json, the HTTP
// door's answers). Pure; thread-safe.
#pragma once
#include <string>
#include <string_view>

namespace drl {

// A JSON string literal of `s` (quotes included): quotes, backslashes and control characters
// escaped; other bytes as they are (UTF-8 passes through).
std::string json_string(std::string_view s);

}  // namespace drl
