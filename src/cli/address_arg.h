// HOST:PORT arguments of the drl subcommands. Thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace drl::cli {

// The port every subcommand uses by default: `drl node` listens on 127.0.0.1:7000, `drl cluster`
// starts there, and `drl check`/`status`/`bench`/`policy` ask there.
inline constexpr uint16_t kDefaultPort = 7000;
inline const std::string kDefaultAddress = "127.0.0.1:" + std::to_string(kDefaultPort);

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

// "127.0.0.1:7000", "[::1]:7000", ":7000" (host 127.0.0.1). Returns "" or a message.
std::string parse_host_port(std::string_view text, HostPort& out);
// Comma-separated list of the above.
std::string parse_host_port_list(std::string_view text, std::vector<HostPort>& out);

}  // namespace drl::cli
