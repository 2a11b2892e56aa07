// One policy set for the whole cluster: versioned state that every member converges on.
//
// The set is its YAML text, optionally an Envoy RLS configuration document (PolicyOffer::rls,
// the gRPC and HTTP doors' envoyproxy/ratelimit config), the content hash of both (set_hash)
// and a version. Version 0 is a node's own --policies file as it started: it is never offered to
// anyone, and any pushed set replaces it. A push (drl policy push, or a SIGHUP that finds the
// node's file changed) numbers the set one above the version the node holds. The newest set
// wins everywhere: a higher version, or on equal versions (two pushes at once through two
// nodes) the higher hash, so every node picks the same one.
//
// Spreading, over the peer links (never UDP gossip: a set may be kilobytes):
//  - a node that installs a set by a push offers it to every member at once;
//  - every announce_interval each node holding a pushed set sends its digest (version, hash)
//    to every member; a member holding an older set answers with its own digest, which the
//    holder of the newer one answers with an offer (a pull), so a lost offer, a partition
//    that healed or a restarted member is repaired within an interval;
//  - a member new in the view gets an offer at once.
// A node installs only a set whose policies parse and validate, whose RLS document (if any)
// passes PolicySpreadOptions::check_rls, and whose texts have the hash the offer claims; it refuses
// any other once (remembered by version and hash) and keeps its set.
//
// A logic core: no I/O, no clock, no threads. The shell feeds members, pushes, peer messages
// and tick(now), and drains take_outgoing() (for the peer links) and take_events() (sets to
// install in its PolicyBook and to log). Thread-compatible: one thread at a time.
#pragma once
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cluster/peer_messages.h"
#include "common/time.h"
#include "limits/policy.h"

namespace drl::cluster {

struct PolicySpreadOptions {
  Nanos announce_interval = kSecond;
  // Validates an RLS document (`source` names it in errors): "" or why it is refused. The
  // shell passes the RLS parser (the core does not depend on it); null accepts any.
  std::function<std::string(std::string_view rls, std::string_view source)> check_rls;
};

// The hash of a set: its policies' content hash alone without an RLS document (so a set
// without one keeps the hash older builds compute), else a hash of both, never 0.
uint64_t set_hash(uint64_t policies_hash, std::string_view rls);

// True when set `a` wins over set `b`.
inline bool newer(const PolicyDigest& a, const PolicyDigest& b) {
  return a.version != b.version ? a.version > b.version : a.hash > b.hash;
}
inline PolicyDigest digest_of(const PolicyOffer& o) { return {o.version, o.hash}; }

struct PolicyEvent {
  enum class Kind { kInstalled, kRefused };
  Kind kind = Kind::kInstalled;
  PolicyOffer offer;      // the set installed or refused
  std::string from;       // the member it came from; self for a push
  limits::PolicySet set;  // kInstalled: the parsed set
  std::string reason;     // kRefused: why
};

class PolicySpread {
 public:
  // `initial`: the set the node starts with (its --policies file at version 0, or the set it
  // saved before a restart); its yaml must parse (the shell checked it). Empty yaml and
  // version 0: no policies yet.
  PolicySpread(std::string self, PolicyOffer initial, PolicySpreadOptions options = {});

  // Installs `yaml` (and the RLS document `rls`, "" for none) as the cluster's next set
  // (version = current + 1), offered to every member. An unchanged pushed set (same hash)
  // keeps its version. Returns "" and fills `installed`, or says why the set is refused (the
  // current set stays, nothing is sent).
  std::string push(const std::string& yaml, const std::string& rls, TimePoint now,
                   PolicyDigest& installed);
  // The members of the view (self may be among them; it is skipped).
  void set_members(const std::vector<std::string>& ids, TimePoint now);
  void receive(const std::string& from, const PolicyDigest& digest, TimePoint now);
  void receive(const std::string& from, const PolicyOffer& offer, TimePoint now);
  // Announces the digest every announce_interval.
  void tick(TimePoint now);

  const PolicyOffer& current() const { return current_; }
  std::vector<Outgoing> take_outgoing() { return std::exchange(outgoing_, {}); }
  std::vector<PolicyEvent> take_events() { return std::exchange(events_, {}); }

 private:
  // Parses and installs `offer` (already known newer); false with a refusal event otherwise.
  bool install(PolicyOffer offer, const std::string& from);
  // How errors name the policies and the RLS document.
  using Sources = std::pair<std::string, std::string>;
  // Parses `yaml` and checks `rls`; fills `hash` (set_hash) or returns the error. Empty
  // `yaml` with an RLS document is a set without named policies.
  std::string validate(const std::string& yaml, const std::string& rls, const Sources& what,
                       limits::PolicyLoad& load, uint64_t& hash) const;
  void send(const std::string& to, PeerMessage message);

  std::string self_;
  PolicySpreadOptions options_;
  PolicyOffer current_;
  std::set<std::string> members_;                    // without self
  std::set<std::pair<uint64_t, uint64_t>> refused_;  // (version, hash) of sets refused here
  TimePoint next_announce_ = 0;
  std::vector<Outgoing> outgoing_;
  std::vector<PolicyEvent> events_;
};

}  // namespace drl::cluster
