#include "cluster/policy_spread.h"

namespace drl::cluster {

PolicySpread::PolicySpread(std::string self, PolicyOffer initial, PolicySpreadOptions options)
    : self_(std::move(self)), options_(options), current_(std::move(initial)) {}

std::string PolicySpread::push(const std::string& yaml, TimePoint now, PolicyDigest& installed) {
  auto load = limits::parse_policies(yaml, "the pushed policies");
  if (!load.ok()) return load.error;
  if (current_.version > 0 && load.content_hash == current_.hash) {
    installed = digest_of(current_);  // already the cluster's set: nothing to spread
    return "";
  }
  PolicyOffer offer{current_.version + 1, load.content_hash, yaml, self_};
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
  auto load = limits::parse_policies(offer.yaml, "the policies offered by " + from);
  PolicyEvent event;
  event.from = from;
  if (load.ok() && load.content_hash != offer.hash) {
    load.policies.reset();
    load.error = "the policies offered by " + from + " do not match their hash";
  }
  if (!load.ok()) {
    refused_.insert({offer.version, offer.hash});
    event.kind = PolicyEvent::Kind::kRefused;
    event.reason = load.error;
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
