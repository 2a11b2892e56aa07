// The node's Envoy rate limit service: the gRPC server over the node's RLS configuration book
// (--rls-config, or the cluster's set's RLS document: node/cluster_policies.h), started and
// stopped as one (doors/rls_grpc_server.h). Owned by the node; the decider, gate, clock and
// book it borrows outlive it. start(), joined() and drain() run on the node's control thread;
// the server's calls run on gRPC's threads.
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
          const Clock& clock, const rls::RlsConfigBook& book);
  // Starts serving (NOT_SERVING until joined()); "" on success, else why not.
  std::string start();
  uint16_t port() const { return server_ ? server_->port() : 0; }
  // The exchange of --rls-config, for the HTTP door's POST /json too; null before start().
  const rls::RlsExchange* exchange() const { return exchange_ ? &*exchange_ : nullptr; }
  // Health: serving once the node has joined (its first view), not serving from drain() on
  // (shutting down), whatever views come after.
  void joined();
  void drain();
  void stop();

 private:
  const NodeOptions& options_;
  service::CheckDecider& decider_;
  service::RequestGate* gate_;
  const Clock& clock_;
  const rls::RlsConfigBook& book_;
  std::optional<rls::RlsExchange> exchange_;
  std::optional<doors::RlsGrpcServer> server_;
  bool draining_ = false;  // control thread only
};

}  // namespace drl::node
