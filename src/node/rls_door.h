// The node's Envoy rate limit service: the --rls-config book and the gRPC server, started,
// reloaded and stopped as one (doors/rls_grpc_server.h). Owned by the node; the decider, gate
// and clock it borrows outlive it. start(), reload(), joined() and drain() run on the node's
// control thread; the server's calls run on gRPC's threads.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "doors/rls_grpc_server.h"
#include "node/node.h"
#include "rls/config_book.h"

namespace drl::node {

class RlsDoor {
 public:
  RlsDoor(const NodeOptions& options, service::CheckDecider& decider, service::RequestGate* gate,
          const Clock& clock);
  // Loads the configuration and starts serving (NOT_SERVING until joined()); "" on success,
  // else why not.
  std::string start();
  uint16_t port() const { return server_ ? server_->port() : 0; }
  // The exchange of --rls-config, for the HTTP door's POST /json too; null before start().
  const rls::RlsExchange* exchange() const { return exchange_ ? &*exchange_ : nullptr; }
  // Health: serving once the node has joined (its first view), not serving from drain() on
  // (shutting down), whatever views come after.
  void joined();
  void drain();
  // SIGHUP: loads the configuration again; a bad one is refused and the current one kept.
  void reload();
  void stop();

 private:
  const NodeOptions& options_;
  service::CheckDecider& decider_;
  service::RequestGate* gate_;
  const Clock& clock_;
  rls::RlsConfigBook book_;
  std::optional<rls::RlsExchange> exchange_;
  std::optional<doors::RlsGrpcServer> server_;
  bool draining_ = false;  // control thread only
};

}  // namespace drl::node
