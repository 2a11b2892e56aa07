// RESP2 request parsing: multibulk (`*N\r\n$len\r\n...`) and inline (`PING\r\n`) commands.
// Pure code over a byte buffer, no I/O. The parser keeps no state between calls: it parses
// one command from the start of `input` or says how it failed, so a session simply calls it
// again once more bytes have arrived. Thread-safe (no shared state).
#pragma once
#include <cstddef>
#include <string_view>
#include <vector>

namespace drl::service {

struct RespLimits {
  size_t max_bulk_bytes = 512 * 1024;   // one argument
  size_t max_args = 1024;               // one command
  size_t max_inline_bytes = 64 * 1024;  // one inline command line
};

enum class RespParseStatus {
  kCommand,   // one command parsed; `consumed` bytes belong to it (args may be empty: skip)
  kNeedMore,  // the command is incomplete; call again with more bytes
  kError,     // the bytes are not RESP (or exceed a limit); the connection must close
};

struct RespParseResult {
  RespParseStatus status = RespParseStatus::kNeedMore;
  size_t consumed = 0;
  std::string_view error;  // static text, set with kError ("invalid bulk length", ...)
};

// Parses the first command of `input` into `args` (cleared first). The views borrow `input`
// and stay valid as long as its bytes do.
RespParseResult parse_resp_command(std::string_view input, std::vector<std::string_view>& args,
                                   const RespLimits& limits = {});

}  // namespace drl::service
