// Helpers for tests of real clusters: a node's raw status (members, ring, replication), and
// a set of `drl node` processes joined to each other on loopback.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "drl/client.pb.h"
#include "integration/support/node_process.h"

namespace drl::testing {

// Sends one request to the node at `address` and waits for its response. False (and `error`
// set) when it does not answer.
bool exchange(const std::string& address, wire::Request request, wire::Response& out,
              std::string& error);

// Asks `address` for its status. False (and `error` set) when it does not answer.
bool fetch_status(const std::string& address, wire::StatusResponse& out,
                  std::string* error = nullptr);

// True when every node at `addresses` holds policy set `version`, with one hash among them.
bool all_hold_policy_version(const std::vector<std::string>& addresses, uint64_t version);

// True when every node at `addresses` answers with the same ring epoch and no hand-off
// pending.
bool same_ring(const std::vector<std::string>& addresses);

// Member id -> state ("alive", "suspect", "dead", "left") as the node at `address` sees it;
// empty when it does not answer.
std::map<std::string, std::string> member_states(const std::string& address);

// The first of `count` consecutive ports free for TCP and UDP on loopback (for `drl cluster
// --base-port`); 0 when none was found.
uint16_t free_base_port(int count);

// N nodes with ids n1..nN, n2.. joining n1. Each node runs with `extra` arguments, where
// "{id}" stands for the node's id (e.g. a port file of its own).
class LocalCluster {
 public:
  // `per_node(i)`, when given, adds arguments of node i's own (e.g. its --data-dir).
  using PerNodeArgs = std::function<std::vector<std::string>(size_t index)>;
  LocalCluster(size_t n, std::vector<std::string> extra = {}, PerNodeArgs per_node = {});
  size_t size() const { return nodes_.size(); }
  NodeProcess& node(size_t i) { return *nodes_[i]; }
  std::string id(size_t i) const { return "n" + std::to_string(i + 1); }
  std::vector<std::string> addresses() const;
  // Starts a node: index < size() restarts that node on its old port; size() adds one.
  void start(size_t index);
  void kill(size_t index);  // SIGKILL, and the process is reaped
  bool running(size_t index) const { return index < nodes_.size() && nodes_[index] != nullptr; }
  // Every running node sees every running node alive and no other member alive.
  bool converged();
  // converged(), and every running node routes by the same ring (same epoch, no hand-off
  // pending): the precondition for exact limits.
  bool stable();
  std::string error() const;  // start failures, for assertion messages

 private:
  std::vector<std::string> extra_;
  PerNodeArgs per_node_;
  std::vector<std::unique_ptr<NodeProcess>> nodes_;
  std::vector<uint16_t> ports_;
  std::string seed_;
};

// The port a node wrote to `path` (its --*-port-file); 0 when none (yet).
uint16_t read_port_file(const std::string& path);

// Three nodes n1..n3, joined, each also serving a door (`door_flag`: "--grpc", "--http") on a
// port of its own, which it writes to a port file (`door_flag`-port-file) in a directory the
// cluster owns.
class DoorCluster {
 public:
  DoorCluster(const std::string& door_flag, std::vector<std::string> extra = {});
  ~DoorCluster();
  // "" once every node is up, stable and has written its door's port; else what is wrong.
  std::string ready();
  const std::vector<uint16_t>& ports() const { return ports_; }             // each node's door
  const std::vector<std::string>& addresses() const { return addresses_; }  // native ports

 private:
  static std::string make_dir();
  std::string dir_;
  std::unique_ptr<LocalCluster> cluster_;
  std::vector<uint16_t> ports_;
  std::vector<std::string> addresses_;
};

}  // namespace drl::testing
