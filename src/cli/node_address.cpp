#include "cli/node_address.h"

#include <string>

namespace drl::cli {

Result<HostPort> node_address(const HostPort& listen, std::string_view advertise) {
  const std::string port = std::to_string(listen.port);
  if (advertise.empty()) {
    if (!is_unspecified_host(listen.host)) return listen;
    return Status(ResultCode::kInvalidArgument,
                  "--listen " + listen.host + ":" + port +
                      " accepts on every address, so it names no one address peers and clients "
                      "can reach: add --advertise HOST:" +
                      port + " (this node's own address, e.g. its pod IP)");
  }
  auto a = parse_host_port(advertise);
  if (!a) return Status(ResultCode::kInvalidArgument, "--advertise: " + a.status().message());
  if (is_unspecified_host(a->host)) {
    return Status(ResultCode::kInvalidArgument,
                  "--advertise " + std::string(advertise) +
                      ": a wildcard address names no machine; give the address peers and clients "
                      "reach this node at (e.g. its pod IP)");
  }
  if (listen.port == 0) {
    return Status(ResultCode::kInvalidArgument,
                  "--advertise needs a fixed --listen port: port 0 picks one at start, which the "
                  "advertised address cannot name");
  }
  if (a->port != listen.port) {
    return Status(ResultCode::kInvalidArgument,
                  "--advertise " + std::string(advertise) + ": port " + std::to_string(a->port) +
                      " is not the --listen port " + port +
                      "; one port carries client TCP, peer TCP and gossip UDP and drl maps no "
                      "ports: advertise " +
                      a->host + ":" + port);
  }
  return a;
}

}  // namespace drl::cli
