#include "service/resp_parser.h"

#include <cstdint>

namespace drl::service {
namespace {

// Longest `*N` or `$len` header line we accept before its CRLF (Redis allows 64 KiB; a
// decimal count never needs more than a few bytes).
constexpr size_t kMaxHeaderLine = 32;

RespParseResult need_more() { return {RespParseStatus::kNeedMore, 0, {}}; }
RespParseResult fail(std::string_view why) { return {RespParseStatus::kError, 0, why}; }

enum class LineStatus { kOk, kNeedMore, kTooLong };

// Finds the line starting at `at`, terminated by CRLF. `line` excludes the terminator and
// `next` is the offset just past it.
LineStatus header_line(std::string_view in, size_t at, std::string_view& line, size_t& next) {
  const size_t window = std::min(in.size() - at, kMaxHeaderLine + 2);
  const auto nl = in.substr(at, window).find("\r\n");
  if (nl == std::string_view::npos) {
    return window >= kMaxHeaderLine + 2 ? LineStatus::kTooLong : LineStatus::kNeedMore;
  }
  line = in.substr(at, nl);
  next = at + nl + 2;
  return LineStatus::kOk;
}

// A strict decimal integer: optional '-', then 1..18 digits (no '+', no spaces).
bool parse_count(std::string_view s, int64_t& out) {
  bool negative = false;
  if (!s.empty() && s[0] == '-') {
    negative = true;
    s.remove_prefix(1);
  }
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = negative ? -v : v;
  return true;
}

RespParseResult parse_inline(std::string_view in, std::vector<std::string_view>& args,
                             const RespLimits& limits) {
  const auto nl = in.find('\n');
  if (nl == std::string_view::npos) {
    if (in.size() > limits.max_inline_bytes) return fail("too big inline request");
    return need_more();
  }
  if (nl > limits.max_inline_bytes) return fail("too big inline request");
  std::string_view line = in.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i == line.size()) break;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (args.size() == limits.max_args) return fail("too many arguments in inline request");
    args.push_back(line.substr(start, i - start));
  }
  return {RespParseStatus::kCommand, nl + 1, {}};
}

}  // namespace

RespParseResult parse_resp_command(std::string_view in, std::vector<std::string_view>& args,
                                   const RespLimits& limits) {
  args.clear();
  if (in.empty()) return need_more();
  if (in[0] != '*') return parse_inline(in, args, limits);

  std::string_view line;
  size_t at = 0;
  switch (header_line(in, 1, line, at)) {
    case LineStatus::kNeedMore:
      return need_more();
    case LineStatus::kTooLong:
      return fail("too big mbulk count string");
    case LineStatus::kOk:
      break;
  }
  int64_t count = 0;
  if (!parse_count(line, count) || count > static_cast<int64_t>(limits.max_args)) {
    return fail("invalid multibulk length");
  }
  if (count <= 0) return {RespParseStatus::kCommand, at, {}};  // `*0` and `*-1`: nothing

  for (int64_t i = 0; i < count; ++i) {
    if (at >= in.size()) return need_more();
    if (in[at] != '$') return fail("expected '$' before a bulk argument");
    switch (header_line(in, at + 1, line, at)) {
      case LineStatus::kNeedMore:
        return need_more();
      case LineStatus::kTooLong:
        return fail("too big bulk count string");
      case LineStatus::kOk:
        break;
    }
    int64_t len = 0;
    if (!parse_count(line, len) || len < 0 || static_cast<uint64_t>(len) > limits.max_bulk_bytes) {
      return fail("invalid bulk length");
    }
    const size_t n = static_cast<size_t>(len);
    if (in.size() - at < n + 2) return need_more();
    if (in[at + n] != '\r' || in[at + n + 1] != '\n') {
      return fail("bulk argument not followed by CRLF");
    }
    args.push_back(in.substr(at, n));
    at += n + 2;
  }
  return {RespParseStatus::kCommand, at, {}};
}

}  // namespace drl::service
