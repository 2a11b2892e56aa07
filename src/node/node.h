// The daemon: wires the store, the policies and the cluster decider (membership, peer links,
// routing) to the node's one port, the metrics page, the expiry timer and the signals. run() blocks
// until SIGINT/SIGTERM (or request_stop()). Owns everything it creates. One Node per process (it
// owns the signals).
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "limits/policy.h"
#include "membership/cluster_key.h"
#include "node/storage/storage.h"
#include "service/admission.h"
#include "tls/tls_context.h"

namespace drl::node {

struct NodeOptions {
  std::string host = "127.0.0.1";  // --listen
  uint16_t port = 0;
  // --advertise's host: the address peers and clients are told, with `port` (cli/node_address.h
  // checked it). Empty: the bound listen address names the node.
  std::string advertise_host;
  std::string id;             // default: the advertised host:port
  std::string policies_path;  // empty: no named policies
  std::string metrics_host;   // empty: no metrics page
  uint16_t metrics_port = 0;
  // The HTTP/JSON door (doors/http_server.h: POST /v1/check and the metrics and health paths);
  // empty host: none.
  std::string http_host;
  uint16_t http_port = 0;
  std::string http_port_file;  // if set, the bound HTTP port is written there
  size_t http_threads = 8;
  size_t threads = 0;           // 0: one per core
  size_t max_memory_bytes = 0;  // 0: unbounded
  // At the budget: refuse new keys (never evict a live one) or evict; a policy may override.
  limits::MemoryFullMode on_memory_full = limits::MemoryFullMode::kRefuse;
  size_t max_connections = 16384;
  uint32_t max_frame_bytes = 1u << 20;
  std::chrono::milliseconds idle_timeout{300'000};
  // A frame (or RESP command) begun must be complete within this; 0 = no limit.
  std::chrono::milliseconds frame_timeout{5'000};
  // Tokens clients must present (service/client_auth.h); empty = no client authentication.
  // Reloaded on SIGHUP.
  std::string client_tokens_path;
  std::string port_file;              // if set, the bound port is written there once listening
  service::OverloadOptions overload;  // admission control and deadlines (service/admission.h)
  // The cluster: seeds to join (node/seed.h: host:port or dns+name:port; empty = a one-node
  // cluster others may join), the key ring sealing gossip and peer frames (none: plain), the
  // file it came from (read again on SIGHUP), and R (owner included).
  std::vector<std::string> seeds;
  std::optional<membership::KeyRing> key_ring;
  std::string cluster_key_file;
  // TLS on the client port, the RESP port and the peer links (mutual), and the HTTP and gRPC
  // doors, with these files (tls/tls_context.h); reloaded on SIGHUP. Not enabled(): plain.
  tls::TlsFiles tls;
  size_t replicas = 3;
  // Fail-over timeout (tau) of a forwarded check, and how long a joiner holds its clients'
  // checks for its first view (cluster::ClusterOptions).
  std::chrono::milliseconds failover_timeout{200};
  std::chrono::milliseconds first_view_wait{500};
  // After a TCP retransmission on the link to a peer, forwards to it are also sent through a
  // relay for this long (cluster::ClusterOptions::hedge_window; 0 = never).
  std::chrono::milliseconds hedge_window{1000};
  // TCP's minimum retransmission timeout (and delayed-ACK maximum) on peer connections
  // (net/peer_socket.h; 0 = the kernel's).
  std::chrono::microseconds peer_rto_min{10000};
  std::string resp_host;  // empty: no Redis-protocol port
  uint16_t resp_port = 0;
  std::string resp_port_file;  // if set, the bound RESP port is written there
  // The storage backend (--storage, --data-dir, ...); its node_id defaults to `id`, else
  // host:port, and its max_memory_bytes is max_memory_bytes above.
  StorageOptions storage;
  // Envoy's rate limit service over gRPC (doors/rls_grpc_server.h); empty host: none.
  std::string grpc_host;
  uint16_t grpc_port = 0;
  std::string grpc_port_file;   // if set, the bound gRPC port is written there
  std::string rls_config_path;  // envoyproxy/ratelimit YAML file or directory; reloaded on SIGHUP
  bool rls_response_headers = false;
  bool rls_all_or_nothing = true;  // false: --rls-charge-each
  // Test only: accept AdminRequests (peer faults: drop or delay traffic with chosen peers).
  bool enable_test_hooks = false;
};

class Node {
 public:
  explicit Node(NodeOptions options);
  ~Node();
  // Binds, serves, and returns the process exit code when stopped: 0 after a clean
  // shutdown, 2 when it could not start (the reason is logged).
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace drl::node
