#include "cli/address_arg.h"

#include <charconv>

namespace drl::cli {

std::string parse_host_port(std::string_view text, HostPort& out) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return "'" + std::string(text) + "' is not HOST:PORT (for example 127.0.0.1:7000)";
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || p != port.data() + port.size() || value > 65535) {
    return "'" + std::string(port) + "' is not a port number (0-65535)";
  }
  out.host = host.empty() ? "127.0.0.1" : std::string(host);
  out.port = static_cast<uint16_t>(value);
  return "";
}

std::string parse_host_port_list(std::string_view text, std::vector<HostPort>& out) {
  out.clear();
  while (!text.empty()) {
    const auto comma = text.find(',');
    HostPort hp;
    if (auto err = parse_host_port(text.substr(0, comma), hp); !err.empty()) return err;
    out.push_back(hp);
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  if (out.empty()) return "no HOST:PORT given";
  return "";
}

}  // namespace drl::cli
