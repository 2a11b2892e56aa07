// The smart client's routing (ClientOptions::route_to_owner): sends each check straight to
// the node that owns its key, so the cluster does not forward it. The router asks a node for
// its ring (RingRequest with the epoch it holds; an unchanged ring costs a few bytes), builds
// the same ring the nodes build (drl_ring, same members, same vnodes: the epochs match), splits a
// request into one sub-request per owner, sends each on that owner's connection and merges the
// answers back into one response in the original order. Routing is only an optimisation: any node
// answers any check (it forwards), so when the ring is unknown or stale, or an owner's connection
// fails, checks go to the fallback link (ClientOptions::nodes), and the view is refreshed.
//
// Refreshes: at most one ring request in flight; one every `refresh_every`, and one at once
// when an owner's connection fails or an answer was decided by another node than the one the
// router chose (a sign that the ring changed).
//
// Threads: every member runs on the client's io_context thread. Ownership: owned by the
// Client; borrows the fallback link (shared_ptr); owns one NodeLink per member it talks to.
#pragma once
#include <asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "client/node_link.h"
#include "drl/client.pb.h"
#include "ring/ring.h"
#include "service/check_decider.h"

namespace drl::client {

// The bytes the cluster's ring hashes for a check: the user key namespaced by its policy name
// or by its inline limit: service::store_key_for, the same function the node keys its store with.
void placement_key(const service::CheckCall& call, std::string& out);

struct OwnerRouterOptions {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{5000};
  uint32_t max_frame_bytes = 1u << 20;
  std::chrono::milliseconds refresh_every{1000};
  // Fills the fields every request needs (e.g. an auth token) into a ring request.
  std::function<void(wire::Request&)> prepare;
  std::shared_ptr<tls::Context> tls;  // links to owners run TLS with it; null: plain
};

struct OwnerRouterStats {
  uint64_t routed = 0;     // checks sent to the owner the router chose
  uint64_t fallback = 0;   // checks sent to the fallback link (no ring, or a failed owner)
  uint64_t refreshes = 0;  // views applied
  uint64_t misrouted = 0;  // answers decided by another node than the one chosen
};

class OwnerRouter : public std::enable_shared_from_this<OwnerRouter> {
 public:
  OwnerRouter(asio::io_context& io, std::shared_ptr<NodeLink> fallback, OwnerRouterOptions o);

  // Same contract as NodeLink::send: `handler` runs exactly once, with one response holding
  // every check of `request` in order, or with null. `request` must stay alive (and
  // unchanged) until then: a request whose owner fails is sent again to the fallback.
  void send(wire::Request& request, ResponseHandler handler);
  // Fails everything pending and closes the owner links (not the fallback).
  void close(std::string_view why);

  uint64_t ring_epoch() const { return ring_.epoch(); }
  const OwnerRouterStats& stats() const { return stats_; }

 private:
  struct Merge;
  // The owner's id, or "" (the fallback) for a check the decoder refuses. Needs a ring.
  const std::string& owner_of(const wire::Check& check);
  void send_whole(wire::Request& request, ResponseHandler handler, const std::string& owner,
                  const std::shared_ptr<NodeLink>& link);
  void send_part(const std::shared_ptr<Merge>& merge, std::vector<int> indices,
                 const std::string& owner);
  void fallback_part(const std::shared_ptr<Merge>& merge, std::vector<int> indices);
  void fill(const std::shared_ptr<Merge>& merge, const std::vector<int>& indices,
            const wire::Response* response, std::string_view error, bool timed_out,
            const std::string& chosen);
  void finish_part(const std::shared_ptr<Merge>& merge);
  void refresh();
  void apply_ring(const wire::RingResponse& answer);
  std::shared_ptr<NodeLink> link_for(const std::string& id);

  asio::io_context& io_;
  std::shared_ptr<NodeLink> fallback_;
  OwnerRouterOptions options_;
  ring::Ring ring_;
  struct OwnerLink {
    std::string address;
    std::shared_ptr<NodeLink> link;
  };
  std::map<std::string, OwnerLink> links_;  // by member id
  bool refreshing_ = false;
  std::chrono::steady_clock::time_point next_refresh_{};
  OwnerRouterStats stats_;
  std::string key_scratch_;
};

}  // namespace drl::client
