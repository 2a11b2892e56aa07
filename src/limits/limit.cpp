#include "limits/limit.h"

#include <array>
#include <utility>

#include "limits/wide.h"

namespace drl::limits {
namespace {

constexpr std::array<std::pair<Algorithm, std::string_view>, 5> kAlgorithmNames = {{
    {Algorithm::kTokenBucket, "token_bucket"},
    {Algorithm::kLeakyBucket, "leaky_bucket"},
    {Algorithm::kFixedWindow, "fixed_window"},
    {Algorithm::kSlidingLog, "sliding_log"},
    {Algorithm::kSlidingWindow, "sliding_window"},
}};

constexpr std::array<std::pair<Calendar, std::string_view>, 5> kCalendarNames = {{
    {Calendar::kNone, "none"},
    {Calendar::kHour, "hour"},
    {Calendar::kDay, "day"},
    {Calendar::kWeek, "week"},
    {Calendar::kMonth, "month"},
}};

// The span a full bucket covers, in ns: capacity x window / limit.
detail::Wide bucket_span(uint64_t capacity, const Limit& limit) {
  return static_cast<detail::Wide>(capacity) * static_cast<uint64_t>(limit.window) / limit.limit;
}

}  // namespace

std::string validate(const Limit& limit) {
  bool known = false;
  for (const auto& [a, name] : kAlgorithmNames) known = known || a == limit.algorithm;
  if (!known) return "unknown algorithm";
  if (limit.limit == 0) return "limit must be > 0";
  if (limit.limit > kMaxCount) return "limit must be at most 4294967295";
  if (limit.burst > kMaxCount) return "burst must be at most 4294967295";
  const bool calendar = limit.calendar != Calendar::kNone;
  if (calendar && limit.algorithm != Algorithm::kFixedWindow) {
    return "a calendar window needs the fixed_window algorithm";
  }
  if (static_cast<uint8_t>(limit.calendar) > static_cast<uint8_t>(Calendar::kMonth)) {
    return "unknown calendar";
  }
  if (!calendar) {
    if (limit.window <= 0) return "window must be > 0";
    if (limit.window > kMaxWindow) return "window must be at most 3660d (about ten years)";
  }
  switch (limit.algorithm) {
    case Algorithm::kTokenBucket: {
      const uint64_t capacity = limit.burst == 0 ? limit.limit : limit.burst;
      if (bucket_span(capacity, limit) > kMaxWindow) {
        return "burst x window / limit must be at most 3660d (about ten years)";
      }
      break;
    }
    case Algorithm::kLeakyBucket:
      if (bucket_span(limit.burst + 1, limit) > kMaxWindow) {
        return "burst x window / limit must be at most 3660d (about ten years)";
      }
      break;
    case Algorithm::kSlidingLog:
      if (limit.limit > kMaxSlidingLogLimit) {
        return "sliding_log keeps one timestamp per admission: limit must be at most 10000 "
               "(use sliding_window for larger limits)";
      }
      break;
    default:
      break;
  }
  return "";
}

std::string_view algorithm_name(Algorithm a) {
  for (const auto& [value, name] : kAlgorithmNames) {
    if (value == a) return name;
  }
  return "unknown";
}

bool parse_algorithm(std::string_view name, Algorithm& out) {
  for (const auto& [value, n] : kAlgorithmNames) {
    if (n == name) {
      out = value;
      return true;
    }
  }
  return false;
}

std::string_view calendar_name(Calendar c) {
  for (const auto& [value, name] : kCalendarNames) {
    if (value == c) return name;
  }
  return "unknown";
}

bool parse_calendar(std::string_view name, Calendar& out) {
  for (const auto& [value, n] : kCalendarNames) {
    if (n == name) {
      out = value;
      return true;
    }
  }
  return false;
}

}  // namespace drl::limits
