#include "cli/limit_args.h"

#include "limits/duration.h"
#include "limits/limit.h"

namespace drl::cli {

std::string parse_window(std::string_view text, std::chrono::milliseconds& out) {
  std::string error;
  const auto parsed = limits::parse_duration(text, &error);
  if (!parsed) return error;
  const Nanos ns = *parsed;
  if (ns <= 0) return "the window must be longer than 0";
  out = std::chrono::milliseconds(std::max<int64_t>(1, ceil_millis(ns)));
  return "";
}

bool parse_algorithm_arg(std::string_view text, Algorithm& out) {
  limits::Algorithm a;
  if (!limits::parse_algorithm(text, a)) return false;
  out = static_cast<Algorithm>(a);
  return true;
}

}  // namespace drl::cli
