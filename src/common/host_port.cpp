#include "common/host_port.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace drl {

Result<HostPort> parse_host_port(std::string_view text, PortZero zero) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return Status(ResultCode::kInvalidArgument,
                  "'" + std::string(text) + "' is not HOST:PORT (for example 127.0.0.1:7000)");
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  const unsigned lowest = zero == PortZero::kAllowed ? 0 : 1;
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value < lowest ||
      value > 65535) {
    return Status(ResultCode::kInvalidArgument,
                  "'" + std::string(port) + "' is not a port number (" + std::to_string(lowest) +
                      "-65535) in '" + std::string(text) + "'");
  }
  HostPort out;
  out.host = host.empty() ? "127.0.0.1" : std::string(host);
  out.port = static_cast<uint16_t>(value);
  return out;
}

bool is_unspecified_host(std::string_view host) {
  if (host.empty()) return true;
  const std::string text(host);
  unsigned char bytes[16] = {};
  const bool v4 = inet_pton(AF_INET, text.c_str(), bytes) == 1;
  if (!v4 && inet_pton(AF_INET6, text.c_str(), bytes) != 1) return false;  // a name, or a typo
  return std::all_of(bytes, bytes + (v4 ? 4 : 16), [](unsigned char b) { return b == 0; });
}

Result<std::vector<HostPort>> parse_host_port_list(std::string_view text, PortZero zero) {
  std::vector<HostPort> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    auto one = parse_host_port(text.substr(0, comma), zero);
    if (!one) return one.status();
    out.push_back(std::move(*one));
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  if (out.empty()) return Status(ResultCode::kInvalidArgument, "no HOST:PORT given");
  return out;
}

}  // namespace drl
