// The drl C++ client library: ask drl nodes whether a key may spend a cost under a limit.
//
//   auto client = drl::Client::create({.nodes = {"127.0.0.1:7000"}});
//   if (!client) die(client.status().message());  // e.g. "'7000' is not HOST:PORT ..."
//   drl::CheckResult r = (*client)->check({.key = "user:42", .limit = drl::InlineLimit{
//       .limit = 10, .window = std::chrono::seconds(1)}});
//   if (!r.allowed) reject(r.message, r.retry_after_ms);
//
// Ownership and threads: a Client owns one background I/O thread and at most one TCP
// connection, to the node it currently uses. Nodes are tried in turn: when the connection
// to one fails, the next request goes to the next node of the list. With route_to_owner it
// also owns one connection per cluster member it sends checks to. All methods are
// thread-safe and may be called concurrently from any thread, EXCEPT that the blocking
// methods must not be called from inside an asynchronous callback (callbacks run on the
// client's I/O thread, which the blocking call would then wait for). Destroying the Client
// fails every request still in flight (their callbacks run, with code kUnavailable).
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drl/check.h"
#include "drl/status.h"

namespace drl {

struct MemberStatus {
  std::string id, address, state;  // state: alive, suspect, dead, left
  uint64_t incarnation = 0;
};

// A fault a node applies to its traffic with one peer (set_peer_faults; test hooks only).
struct PeerFault {
  std::string peer;       // member id or HOST:PORT; empty = every peer
  bool drop = false;      // drop every frame and packet to and from it
  uint32_t delay_ms = 0;  // else delay them this long
};

// The cluster's policy set as a node holds it (docs/operations.md, "One policy set").
struct PolicySetInfo {
  uint64_t version = 0;  // 0: the node's own --policies file, never pushed
  uint64_t hash = 0;     // content hash of yaml (0: no policies)
  std::string origin;    // the node it was pushed at
  std::string yaml;
  std::vector<std::string> names;
  std::string rls;  // the set's Envoy RLS configuration document ("" for none)
};

struct NodeStatus {
  // listen: the address naming the node (its --advertise, else its bound --listen address);
  // bound: the address its socket is bound to (e.g. 0.0.0.0:7000 under --advertise).
  std::string node_id, version, listen, bound;
  int64_t uptime_ms = 0;
  uint64_t keys = 0, memory_bytes = 0, max_memory_bytes = 0, evicted = 0, expired = 0;
  // Memory pressure (docs/operations.md): the node's --on-memory-full, checks answered
  // MEMORY_FULL, decisions flagged reset_by_eviction, replica records refused for lack of room.
  std::string on_memory_full;
  uint64_t memory_untracked = 0, reset_by_eviction = 0, replica_records_refused = 0;
  uint64_t connections = 0;
  uint64_t checks = 0;          // received from this node's clients, whoever decided them
  uint64_t checks_decided = 0;  // decided by this node: its clients' and those forwarded to it
  std::vector<std::string> policies;
  // In a cluster (docs/operations.md explains each): the members as this node sees them,
  // its share of the ring, and what it forwarded, replicated and refused.
  std::vector<MemberStatus> members;
  double ring_share = 0;
  uint64_t ring_epoch = 0;
  uint64_t policy_hash = 0;     // content hash of the node's policy set (0: none)
  uint64_t policy_version = 0;  // its cluster version (0: the node's own file, never pushed)
  std::string policy_origin;    // the node it was pushed at
  uint64_t keys_as_owner = 0, keys_as_replica = 0;
  int64_t replication_lag_ms = 0;
  bool handoff_pending = false;
  uint64_t forwarded = 0, decided_as_owner = 0, decided_off_owner = 0, failovers = 0, degraded = 0,
           replica_records_sent = 0, replica_records_installed = 0, peer_queue_drops = 0,
           peer_rejected_frames = 0, gossip_rejected_packets = 0, refused_relays = 0,
           held_for_view = 0, expired_relays = 0;
};

// TLS to nodes started with --tls-cert (docs/operations.md, "TLS").
struct ClientTls {
  bool enabled = false;
  // The CA bundle (PEM) the nodes' certificates chain to; empty: the system's CA store. A
  // node's certificate must also name the host of its address (DNS name or IP address).
  std::string ca_file;
  // This client's certificate and key (PEM), for nodes with --tls-client-auth; both or none.
  std::string cert_file, key_file;
};

struct ClientOptions {
  std::vector<std::string> nodes;  // "host:port", tried in turn
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{5000};  // 90% is sent as the node's deadline
  uint32_t max_frame_bytes = 1u << 20;
  // Overload: a batch with a check answered kOverloaded is sent again (whole) up to this many
  // times, after a random wait between the node's retry-after and twice the last wait
  // (exponential backoff with jitter, so shed clients do not return in step), each time to
  // another node of `nodes` picked at random (the same one, over the same connection, only
  // when it is the only one; the next one of `nodes` when the one picked cannot be reached),
  // so the load a shed node refuses spreads over the others.
  // 0 = never: the kOverloaded result is returned as is.
  uint32_t overload_retries = 2;
  std::chrono::milliseconds overload_backoff{10};  // first wait when no retry-after is given
  // Sent with every request when the nodes require client tokens (--client-tokens-file);
  // empty = none. A node refusing it answers kRequestError and closes the connection.
  // read_token_file() reads one from a file.
  std::string auth_token{};
  // Smart client: ask a node for its ring (a RingRequest, docs/protocol.md "Routing to
  // owners"), build the ring the nodes build, and send each check (a batch is split per
  // owner) straight to its key's owner, so no node forwards it. The first checks, and any whose
  // owner cannot be reached, go to `nodes` (which forward); the view is read again every
  // ring_refresh, and at once when an owner fails or a check was decided elsewhere (the ring
  // changed). Results are the same either way: routing only saves the forwarding hop.
  bool route_to_owner = false;
  std::chrono::milliseconds ring_refresh{1000};
  // Plain TCP unless tls.enabled. create() refuses unreadable or mismatched files.
  ClientTls tls{};
};

// Reads a client token from a file (what `drl ... --token-file` reads): the first line that
// is neither blank nor a `#` comment; when it reads `NAME TOKEN`, the token is its last
// field. An error (kInvalidArgument) names the file.
Result<std::string> read_token_file(const std::string& path);

// How a batch is decided.
struct BatchOptions {
  // All or nothing: when any check of the batch is denied (or cannot be decided), none stays
  // charged: the node refunds the charged ones before it answers (docs/design.md, "All or
  // nothing"), and each result reads as decided (the charged ones with what their refund left).
  // Such a batch goes whole to one node (with route_to_owner too), which routes each check to
  // its key's owner. false: each check is decided on its own.
  bool all_or_nothing = false;
};

class Client {
 public:
  // Checks `options` before anything starts: every node must be HOST:PORT (port 1-65535) and
  // there must be at least one; otherwise kInvalidArgument and a sentence naming the address.
  static Result<std::unique_ptr<Client>> create(ClientOptions options);
  // As create(), but a bad node is reported by every request instead (kUnavailable).
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Blocking: one check, or a batch answered in the same order.
  CheckResult check(const CheckSpec& spec);
  std::vector<CheckResult> check(const std::vector<CheckSpec>& batch,
                                 const BatchOptions& options = {});

  // Pipelined: returns at once; `done` runs later on the client's I/O thread with one result
  // per spec, in order. Many calls may be in flight on the one connection; the node may
  // answer them in any order.
  using BatchCallback = std::function<void(std::vector<CheckResult> results)>;
  void check_async(const std::vector<CheckSpec>& batch, BatchCallback done,
                   const BatchOptions& options = {});

  // Blocking status of the node in use. Returns false and sets `error` when it fails.
  bool status(NodeStatus& out, std::string& error);

  // Blocking: the policy set the node in use holds, or (push_policies) makes `yaml` the
  // cluster's next set and returns the set then held. A set that does not parse or validate
  // is refused (false, `error` says why) and changes nothing anywhere.
  // A push keeps the RLS document in force; push_policy_set with `rls` replaces it too (""
  // for none), and with an empty `yaml` keeps the policies in force.
  bool policies(PolicySetInfo& out, std::string& error);
  bool push_policies(const std::string& yaml, PolicySetInfo& out, std::string& error);
  bool push_policy_set(const std::string& yaml, const std::string& rls, PolicySetInfo& out,
                       std::string& error);

  // TEST ONLY, for a node started with --enable-test-hooks (chaos scripts, `drl
  // test-fault`): blocking; replaces the faults the node in use applies to its peer traffic
  // (empty: heal) and sets `in_force` to how many it now applies. A node without the flag
  // refuses (false, `error` says why).
  bool set_peer_faults(const std::vector<PeerFault>& faults, uint32_t& in_force,
                       std::string& error);

  // The node the client currently talks to ("" before the first request).
  std::string current_node() const;

 private:
  struct Impl;
  bool policy_request(bool push, const std::string& yaml, const std::string* rls,
                      PolicySetInfo& out, std::string& error);
  std::unique_ptr<Impl> impl_;
};

}  // namespace drl
