// The line format of drl's small text files (the node's client tokens, the cluster key ring, a
// client's token file): lines end at '\n'; spaces, tabs and '\r' at either end are trimmed;
// blank lines and lines starting with '#' are skipped; fields are separated by whitespace.
// Header-only and stateless.
#pragma once
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace drl::config_lines {

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The whitespace-separated fields of a line.
inline std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t at = 0;
  while (at < line.size()) {
    while (at < line.size() && is_space(line[at])) ++at;
    size_t end = at;
    while (end < line.size() && !is_space(line[end])) ++end;
    if (end > at) out.push_back(line.substr(at, end - at));
    at = end;
  }
  return out;
}

// Calls line(number, trimmed_text) for every line that is neither blank nor a comment (numbers
// count from 1); stops at the first non-empty string it returns and returns that; "" when
// every line was taken.
template <typename F>
std::string for_each(std::string_view text, F line) {
  size_t number = 0;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t nl = std::min(text.find('\n', at), text.size());
    const std::string_view raw = trim(text.substr(at, nl - at));
    ++number;
    at = nl + 1;
    if (raw.empty() || raw.front() == '#') continue;
    if (auto err = line(number, raw); !err.empty()) return err;
  }
  return "";
}

}  // namespace drl::config_lines
