#include "cluster/policy_spread.h"

#include <algorithm>

#include "common/hex.h"
#include "common/key_hash.h"

namespace drl::cluster {

uint64_t set_hash(uint64_t policies_hash, std::string_view rls) {
  if (rls.empty()) return policies_hash;
  std::string both = hex64(policies_hash) + "\nrls\n";
  both.append(rls);
  return std::max<uint64_t>(1, key_hash(both));
}

PolicySpread::PolicySpread(std::string self, PolicyOffer initial, PolicySpreadOptions options)
    : self_(std::move(self)), options_(options), current_(std::move(initial)) {}

std::string PolicySpread::validate(const std::string& yaml, const std::string& rls,
                                   const Sources& what, limits::PolicyLoad& load,
                                   uint64_t& hash) const {
  if (yaml.empty() && !rls.empty()) {
    // An RLS configuration without named policies (a node with --rls-config only).
    load = {};
    load.policies.emplace();
  } else {
    load = limits::parse_policies(yaml, "the " + what.first);
    if (!load.ok()) return load.error;
  }
  if (!rls.empty() && options_.check_rls) {
    if (std::string err = options_.check_rls(rls, "the " + what.second); !err.empty()) {
      return err;
    }
  }
  hash = set_hash(load.content_hash, rls);
  return "";
}

std::string PolicySpread::push(const std::string& yaml, const std::string& rls, TimePoint now,
                               PolicyDigest& installed) {
  limits::PolicyLoad load;
  uint64_t hash = 0;
  const Sources sources{"pushed policies", "pushed RLS config"};
  if (std::string err = validate(yaml, rls, sources, load, hash); !err.empty()) return err;
  if (current_.version > 0 && hash == current_.hash) {
    installed = digest_of(current_);  // already the cluster's set: nothing to spread
    return "";
  }
  PolicyOffer offer{current_.version + 1, hash, yaml, self_, rls};
  PolicyEvent event;
  event.offer = offer;
  event.from = self_;
  event.set = std::move(*load.policies);
  events_.push_back(std::move(event));
  current_ = std::move(offer);
  installed = digest_of(current_);
  for (const auto& m : members_) send(m, current_);
  next_announce_ = now + options_.announce_interval;
  return "";
}

void PolicySpread::set_members(const std::vector<std::string>& ids, TimePoint /*now*/) {
  std::set<std::string> next;
  for (const auto& id : ids) {
    if (id != self_) next.insert(id);
  }
  if (current_.version > 0) {
    for (const auto& id : next) {
      if (!members_.count(id)) send(id, current_);  // a joiner takes the cluster's set
    }
  }
  members_ = std::move(next);
}

void PolicySpread::receive(const std::string& from, const PolicyDigest& digest, TimePoint /*now*/) {
  if (newer(digest, digest_of(current_))) {
    // The sender holds a newer set: ask for it by telling it ours (unless refused before).
    if (!refused_.count({digest.version, digest.hash})) send(from, digest_of(current_));
  } else if (newer(digest_of(current_), digest) && current_.version > 0) {
    send(from, current_);
  }
}

void PolicySpread::receive(const std::string& from, const PolicyOffer& offer, TimePoint /*now*/) {
  if (offer.version == 0 || !newer(digest_of(offer), digest_of(current_))) return;
  if (refused_.count({offer.version, offer.hash})) return;
  install(offer, from);
}

bool PolicySpread::install(PolicyOffer offer, const std::string& from) {
  limits::PolicyLoad load;
  uint64_t hash = 0;
  std::string error =
      validate(offer.yaml, offer.rls,
               {"policies offered by " + from, "RLS config offered by " + from}, load, hash);
  PolicyEvent event;
  event.from = from;
  if (error.empty() && hash != offer.hash) {
    error = "the policies offered by " + from + " do not match their hash";
  }
  if (!error.empty()) {
    refused_.insert({offer.version, offer.hash});
    event.kind = PolicyEvent::Kind::kRefused;
    event.reason = std::move(error);
    event.offer = std::move(offer);
    events_.push_back(std::move(event));
    return false;
  }
  event.offer = offer;
  event.set = std::move(*load.policies);
  events_.push_back(std::move(event));
  current_ = std::move(offer);
  return true;
}

void PolicySpread::tick(TimePoint now) {
  if (now < next_announce_) return;
  next_announce_ = now + options_.announce_interval;
  if (current_.version == 0) return;
  for (const auto& m : members_) send(m, digest_of(current_));
}

void PolicySpread::send(const std::string& to, PeerMessage message) {
  outgoing_.push_back(Outgoing{to, std::move(message)});
}

}  // namespace drl::cluster
