// The one parser of "host:port" addresses, for every layer: the CLI's arguments, the client's
// node list, the members' addresses a smart client learns, peer and gossip addresses.
//   "127.0.0.1:7000", "db-1:7000", "[::1]:7000" (brackets dropped), ":7000" (host 127.0.0.1)
// The port is 1-65535 in decimal digits, or also 0 with PortZero::kAllowed (an address to
// listen on, where 0 asks the kernel for a free port). Pure; thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "drl/status.h"

namespace drl {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

enum class PortZero : uint8_t { kRefused, kAllowed };

// Errors are ResultCode::kInvalidArgument with a sentence that quotes the text.
Result<HostPort> parse_host_port(std::string_view text, PortZero zero = PortZero::kRefused);
// True for a host that names no one machine: empty, or an unspecified address (0.0.0.0, ::,
// in any spelling inet_pton accepts). A node may listen on one, never advertise one.
bool is_unspecified_host(std::string_view host);
// A comma-separated list of the above (at least one).
Result<std::vector<HostPort>> parse_host_port_list(std::string_view text,
                                                   PortZero zero = PortZero::kRefused);

}  // namespace drl
