#include "ring/ring.h"

#include <algorithm>
#include <string>

#include "common/hex.h"
#include "common/key_hash.h"

namespace drl::ring {
namespace {

// Mixes one value into a running digest (order-sensitive).
uint64_t mix(uint64_t digest, uint64_t value) {
  digest ^= value + 0x9e3779b97f4a7c15ULL + (digest << 6) + (digest >> 2);
  return digest;
}

uint64_t vnode_hash(const std::string& id, uint32_t v) {
  std::string token = id;
  token.push_back('#');
  token += std::to_string(v);
  return key_hash(token);
}

}  // namespace

Ring::Ring(std::vector<Member> members, uint32_t vnodes) : vnodes_(vnodes == 0 ? 1 : vnodes) {
  std::stable_sort(members.begin(), members.end(),
                   [](const Member& a, const Member& b) { return a.id < b.id; });
  members.erase(std::unique(members.begin(), members.end(),
                            [](const Member& a, const Member& b) { return a.id == b.id; }),
                members.end());
  members_ = std::move(members);
  if (members_.empty()) return;

  tokens_.reserve(members_.size() * vnodes_);
  uint64_t digest = mix(0x6472'6c72'696e'6701ULL, vnodes_);
  for (MemberIndex m = 0; m < members_.size(); ++m) {
    digest = mix(digest, key_hash(members_[m].id));
    digest = mix(digest, key_hash(members_[m].address));
    for (uint32_t v = 0; v < vnodes_; ++v) tokens_.push_back({vnode_hash(members_[m].id, v), m});
  }
  std::sort(tokens_.begin(), tokens_.end(), [](const Token& a, const Token& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.member < b.member;
  });
  // Two tokens on the same hash: the lower member index keeps it, on every node alike.
  tokens_.erase(std::unique(tokens_.begin(), tokens_.end(),
                            [](const Token& a, const Token& b) { return a.hash == b.hash; }),
                tokens_.end());
  epoch_ = digest == 0 ? 1 : digest;
}

std::optional<MemberIndex> Ring::index_of(std::string_view id) const {
  auto it = std::lower_bound(members_.begin(), members_.end(), id,
                             [](const Member& m, std::string_view v) { return m.id < v; });
  if (it == members_.end() || it->id != id) return std::nullopt;
  return static_cast<MemberIndex>(it - members_.begin());
}

size_t Ring::token_for(uint64_t key_hash) const {
  auto it = std::lower_bound(tokens_.begin(), tokens_.end(), key_hash,
                             [](const Token& t, uint64_t h) { return t.hash < h; });
  return it == tokens_.end() ? 0 : static_cast<size_t>(it - tokens_.begin());
}

MemberIndex Ring::owner(uint64_t key_hash) const { return tokens_[token_for(key_hash)].member; }

void Ring::preference_list(uint64_t key_hash, size_t r, std::vector<MemberIndex>& out) const {
  out.clear();
  if (tokens_.empty()) return;
  r = std::min(r, members_.size());
  const size_t start = token_for(key_hash);
  for (size_t step = 0; step < tokens_.size() && out.size() < r; ++step) {
    const MemberIndex m = tokens_[(start + step) % tokens_.size()].member;
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  }
}

std::vector<MemberIndex> Ring::preference_list(uint64_t key_hash, size_t r) const {
  std::vector<MemberIndex> out;
  preference_list(key_hash, r, out);
  return out;
}

HashRange Ring::token_range(size_t i) const {
  const uint64_t prev = tokens_[(i + tokens_.size() - 1) % tokens_.size()].hash;
  return {prev + 1, tokens_[i].hash};
}

std::vector<HashRange> Ring::owned_ranges(std::string_view id) const {
  std::vector<HashRange> out;
  const auto m = index_of(id);
  if (!m) return out;
  for (size_t i = 0; i < tokens_.size(); ++i) {
    if (tokens_[i].member != *m) continue;
    const HashRange r = token_range(i);
    if (!out.empty() && out.back().hi + 1 == r.lo) {
      out.back().hi = r.hi;
    } else {
      out.push_back(r);
    }
  }
  // The first and last ranges meet across the top of the space when contiguous.
  if (out.size() > 1 && out.back().hi + 1 == out.front().lo) {
    out.front().lo = out.back().lo;
    out.pop_back();
  }
  return out;
}

std::string epoch_text(uint64_t epoch) { return hex64(epoch); }

double Ring::share(std::string_view id) const {
  double total = 0;
  for (const HashRange& r : owned_ranges(id)) total += static_cast<double>(r.span_minus_one()) + 1;
  return total / 18446744073709551616.0;
}

std::vector<RangeMove> owner_changes(const Ring& before, const Ring& after) {
  std::vector<uint64_t> bounds;
  bounds.reserve(before.tokens_.size() + after.tokens_.size());
  for (const auto& t : before.tokens_) bounds.push_back(t.hash);
  for (const auto& t : after.tokens_) bounds.push_back(t.hash);
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());

  auto owner_id = [](const Ring& ring, uint64_t h) -> const std::string* {
    static const std::string kNone;
    return ring.empty() ? &kNone : &ring.members_[ring.owner(h)].id;
  };
  std::vector<RangeMove> out;
  for (size_t i = 0; i < bounds.size(); ++i) {
    // Elementary segment (bounds[i-1], bounds[i]]: one owner in each ring.
    const std::string* from = owner_id(before, bounds[i]);
    const std::string* to = owner_id(after, bounds[i]);
    if (*from == *to) continue;
    const HashRange range{bounds[(i + bounds.size() - 1) % bounds.size()] + 1, bounds[i]};
    if (!out.empty() && out.back().range.hi + 1 == range.lo && out.back().from == *from &&
        out.back().to == *to) {
      out.back().range.hi = range.hi;
    } else {
      out.push_back({range, *from, *to});
    }
  }
  if (out.size() > 1 && out.back().range.hi + 1 == out.front().range.lo &&
      out.back().from == out.front().from && out.back().to == out.front().to) {
    out.front().range.lo = out.back().range.lo;
    out.pop_back();
  }
  return out;
}

}  // namespace drl::ring
