#include "net/source_address.h"

#include <string>

namespace drl::net {

std::optional<asio::ip::address> specific_source(std::string_view host) {
  if (host.empty()) return std::nullopt;
  std::error_code ec;
  const auto address = asio::ip::make_address(std::string(host), ec);
  if (ec || address.is_unspecified()) return std::nullopt;
  return address;
}

std::error_code open_bound(asio::ip::tcp::socket& socket, const asio::ip::tcp::endpoint& peer,
                           const std::optional<asio::ip::address>& source) {
  std::error_code ec;
  socket.open(peer.protocol(), ec);
  if (ec || !source || source->is_v4() != peer.address().is_v4()) return ec;
  socket.bind(asio::ip::tcp::endpoint(*source, 0), ec);
  return ec;
}

}  // namespace drl::net
