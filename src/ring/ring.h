// Consistent hashing with virtual nodes: which member owns a key hash, and which members
// follow it (the preference list). A Ring is an immutable value built from the alive
// members; every node that sees the same members builds the same ring and the same epoch.
// Thread-safety: const methods may be called from any thread; a Ring is never mutated after
// construction (build a new one on a membership change).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ring/hash_range.h"

namespace drl::ring {

struct Member {
  std::string id;       // unique, stable across restarts of the same node
  std::string address;  // host:port of its peer endpoint
  bool operator==(const Member&) const = default;
};

// Virtual nodes per member. 256 keeps the busiest member of 3..100 within ~1.2x of the mean
// share (measured in tests/ring/ring_balance_test.cpp and docs/design.md).
inline constexpr uint32_t kDefaultVnodes = 256;

// A member's position in members(): small, dense, valid for one Ring only.
using MemberIndex = uint32_t;

// An epoch as drl prints it everywhere (logs, `drl status`, metrics labels): hex64().
std::string epoch_text(uint64_t epoch);

class Ring {
 public:
  // An empty ring: owns nothing, epoch 0.
  Ring() = default;
  // Members are sorted by id and duplicates (same id) dropped, keeping the first address
  // seen. vnodes == 0 is treated as 1.
  explicit Ring(std::vector<Member> members, uint32_t vnodes = kDefaultVnodes);

  bool empty() const { return members_.empty(); }
  size_t size() const { return members_.size(); }
  uint32_t vnodes() const { return vnodes_; }
  const std::vector<Member>& members() const { return members_; }
  const Member& member(MemberIndex i) const { return members_[i]; }
  std::optional<MemberIndex> index_of(std::string_view id) const;
  bool contains(std::string_view id) const { return index_of(id).has_value(); }

  // Digest of the sorted member ids and addresses and the vnode count: equal on every node
  // with the same view, different (with overwhelming probability) for different views.
  // 0 only for the empty ring.
  uint64_t epoch() const { return epoch_; }

  // Owner of a key hash. Precondition: !empty().
  MemberIndex owner(uint64_t key_hash) const;
  // The owner and the next distinct members clockwise, r of them at most (capped by size()).
  // Empty for an empty ring or r == 0.
  std::vector<MemberIndex> preference_list(uint64_t key_hash, size_t r) const;
  // Same, appending into `out` (cleared first) so a hot path can reuse its buffer.
  void preference_list(uint64_t key_hash, size_t r, std::vector<MemberIndex>& out) const;

  // The ranges a member owns, merged where adjacent, in hash order. Empty if not a member.
  std::vector<HashRange> owned_ranges(std::string_view id) const;
  // Fraction of the hash space a member owns, in [0, 1].
  double share(std::string_view id) const;

  // A virtual node: it owns the hashes after the previous token's, up to its own.
  struct Token {
    uint64_t hash;
    MemberIndex member;
  };
  // Sorted by hash, no two on one hash (what clients are sent to route by).
  const std::vector<Token>& tokens() const { return tokens_; }

 private:
  // Range of hashes that token i owns: (tokens_[i-1].hash, tokens_[i].hash].
  HashRange token_range(size_t i) const;
  size_t token_for(uint64_t key_hash) const;

  std::vector<Member> members_;
  std::vector<Token> tokens_;  // sorted by hash; ties broken by member index, then dropped
  uint32_t vnodes_ = kDefaultVnodes;
  uint64_t epoch_ = 0;

  friend std::vector<RangeMove> owner_changes(const Ring& before, const Ring& after);
};

// The ranges whose owner differs between two rings, merged where adjacent with the same
// (from, to), in hash order. A range that was unowned before (empty ring) has from == "".
std::vector<RangeMove> owner_changes(const Ring& before, const Ring& after);

}  // namespace drl::ring
