#include "cli/limit_args.h"

#include <cstdio>

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

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace drl::cli
