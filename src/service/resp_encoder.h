// RESP2 reply encoding: appends one value to an output buffer. Pure, header-only,
// thread-safe. The caller owns the buffer.
#pragma once
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace drl::service::resp {

inline void append_decimal(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// `+text\r\n`. `text` must not contain CR or LF.
inline void append_simple(std::string& out, std::string_view text) {
  out.push_back('+');
  out.append(text);
  out.append("\r\n");
}

// `-ERR text\r\n` (or another prefix the caller put in `text`). CR and LF become spaces,
// since an error line cannot hold them.
inline void append_error(std::string& out, std::string_view text) {
  out.push_back('-');
  for (char c : text) out.push_back(c == '\r' || c == '\n' ? ' ' : c);
  out.append("\r\n");
}

inline void append_integer(std::string& out, int64_t v) {
  out.push_back(':');
  append_decimal(out, v);
  out.append("\r\n");
}

inline void append_bulk(std::string& out, std::string_view bytes) {
  out.push_back('$');
  append_decimal(out, static_cast<int64_t>(bytes.size()));
  out.append("\r\n");
  out.append(bytes);
  out.append("\r\n");
}

inline void append_null(std::string& out) { out.append("$-1\r\n"); }

inline void append_array_header(std::string& out, size_t n) {
  out.push_back('*');
  append_decimal(out, static_cast<int64_t>(n));
  out.append("\r\n");
}

}  // namespace drl::service::resp
