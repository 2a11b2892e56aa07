#include "limits/duration.h"

#include <array>
#include <cstdint>
#include <limits>

#include "limits/wide.h"

namespace drl::limits {
namespace {

struct Unit {
  std::string_view name;
  Nanos length;
};

// Largest first; the order compound durations must follow.
constexpr std::array<Unit, 8> kUnits = {{
    {"w", 7 * kDay},
    {"d", kDay},
    {"h", kHour},
    {"m", kMinute},
    {"s", kSecond},
    {"ms", kMillisecond},
    {"us", kMicrosecond},
    {"ns", 1},
}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

std::optional<Nanos> fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return std::nullopt;
}

}  // namespace

std::optional<Nanos> parse_duration(std::string_view text, std::string* error) {
  const std::string quoted = "'" + std::string(text.substr(0, 64)) + "'";
  if (text.empty()) return fail(error, "empty duration (write e.g. 500ms, 1s, 1m, 1h30m, 1d)");
  if (text == "0") return Nanos{0};
  if (text.front() == '-') return fail(error, "duration " + quoted + " must not be negative");
  constexpr Nanos kMax = std::numeric_limits<Nanos>::max();
  Nanos total = 0;
  size_t previous_unit = 0;  // index in kUnits of the last unit + 1; 0 = none yet
  size_t i = 0;
  while (i < text.size()) {
    // Number: digits, optionally a fraction.
    const size_t number_start = i;
    detail::UWide whole = 0;
    while (i < text.size() && is_digit(text[i])) {
      whole = whole * 10 + static_cast<unsigned>(text[i] - '0');
      if (whole > static_cast<uint64_t>(kMax))
        return fail(error, "duration " + quoted + " is too long");
      ++i;
    }
    uint64_t fraction = 0;
    uint64_t fraction_scale = 1;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && is_digit(text[i])) {
        if (fraction_scale < 1'000'000'000'000'000ull) {
          fraction = fraction * 10 + static_cast<unsigned>(text[i] - '0');
          fraction_scale *= 10;
        }
        ++i;
      }
    }
    if (i == number_start || (i == number_start + 1 && text[number_start] == '.')) {
      return fail(error, "expected a number in duration " + quoted);
    }
    // Unit.
    const size_t unit_start = i;
    while (i < text.size() && is_letter(text[i])) ++i;
    const std::string_view unit_name = text.substr(unit_start, i - unit_start);
    if (unit_name.empty()) {
      return fail(error,
                  "missing unit in duration " + quoted + " (use ns, us, ms, s, m, h, d or w)");
    }
    size_t unit = kUnits.size();
    for (size_t u = 0; u < kUnits.size(); ++u) {
      if (kUnits[u].name == unit_name) unit = u;
    }
    if (unit == kUnits.size()) {
      return fail(error, "unknown unit '" + std::string(unit_name.substr(0, 16)) +
                             "' in duration " + quoted + " (use ns, us, ms, s, m, h, d or w)");
    }
    if (unit + 1 <= previous_unit) {
      return fail(error,
                  "units in duration " + quoted + " must go from largest to smallest (e.g. 1h30m)");
    }
    previous_unit = unit + 1;
    const detail::UWide part = whole * static_cast<uint64_t>(kUnits[unit].length) +
                               static_cast<detail::UWide>(fraction) *
                                   static_cast<uint64_t>(kUnits[unit].length) / fraction_scale;
    if (part + static_cast<uint64_t>(total) > static_cast<uint64_t>(kMax)) {
      return fail(error, "duration " + quoted + " is too long");
    }
    total += static_cast<Nanos>(part);
  }
  return total;
}

std::string format_duration(Nanos n) {
  if (n == 0) return "0s";
  std::string out;
  uint64_t left = n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  if (n < 0) out += '-';
  // Weeks are left out: "14d" reads better than "2w".
  for (size_t u = 1; u < kUnits.size(); ++u) {
    const uint64_t length = static_cast<uint64_t>(kUnits[u].length);
    if (left >= length) {
      out += std::to_string(left / length);
      out += kUnits[u].name;
      left %= length;
    }
  }
  return out;
}

std::string format_wait(Nanos n) {
  if (n <= 0) return "0 s";
  if (n < kSecond) return std::to_string(ceil_millis(n)) + " ms";
  if (n < kMinute) {
    const Nanos tenths = (n + kSecond / 10 - 1) / (kSecond / 10);
    std::string out = std::to_string(tenths / 10);
    if (tenths % 10 != 0) out += "." + std::to_string(tenths % 10);
    return out + " s";
  }
  return format_duration((n + kSecond - 1) / kSecond * kSecond);
}

}  // namespace drl::limits
