// Durations as people write them in policy files and read them in messages.
// Pure functions; thread-safe.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "common/time.h"

namespace drl::limits {

// Parses "500ms", "1s", "1.5s", "1m", "1h", "1d", "30d", "2w", "1h30m", "250us", "10ns", "0".
// Units: ns, us, ms, s, m, h, d (24 h), w (7 d); compound parts go from the largest unit to
// the smallest. Returns nullopt on error and, if `error` is given, a sentence saying why
// ("unknown unit 'x' in '5x' (use ns, us, ms, s, m, h, d or w)").
std::optional<Nanos> parse_duration(std::string_view text, std::string* error = nullptr);

// The canonical compact form, which parse_duration reads back: "1m30s", "1s400ms", "0s".
std::string format_duration(Nanos n);

// A wait for humans, never rounded down: "250 ms", "1.4 s", "2 s", "1m5s".
std::string format_wait(Nanos n);

}  // namespace drl::limits
