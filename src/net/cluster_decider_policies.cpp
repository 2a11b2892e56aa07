// The ClusterDecider's share of the cluster's policy set: it runs the PolicySpread core on
// the cluster thread, beside the ClusterNode, and carries its messages on the same peer links.
#include <asio/post.hpp>
#include <future>
#include <optional>

#include "net/cluster_decider.h"

namespace drl::net {

std::string ClusterDecider::push_policies(const std::string* yaml, const std::string* rls,
                                          cluster::PolicyDigest& installed,
                                          std::chrono::milliseconds wait) {
  struct Answer {
    std::string error;
    cluster::PolicyDigest installed;
  };
  auto promise = std::make_shared<std::promise<Answer>>();
  auto future = promise->get_future();
  std::optional<std::string> new_yaml, new_rls;
  if (yaml) new_yaml = *yaml;
  if (rls) new_rls = *rls;
  asio::post(io_, [this, promise, new_yaml = std::move(new_yaml), new_rls = std::move(new_rls)] {
    Answer a;
    const cluster::PolicyOffer& current = policy_spread_->current();
    a.error = policy_spread_->push(new_yaml ? *new_yaml : current.yaml,
                                   new_rls ? *new_rls : current.rls, clock_.now(), a.installed);
    drain_policies();
    promise->set_value(std::move(a));
  });
  if (future.wait_for(wait) != std::future_status::ready) {
    return "the node's cluster thread did not answer within " + std::to_string(wait.count()) +
           " ms; the push may still take effect";
  }
  Answer a = future.get();
  installed = a.installed;
  return a.error;
}

bool ClusterDecider::policies(cluster::PolicyOffer& out, std::chrono::milliseconds wait) {
  auto promise = std::make_shared<std::promise<cluster::PolicyOffer>>();
  auto future = promise->get_future();
  asio::post(io_, [this, promise] { promise->set_value(policy_spread_->current()); });
  if (future.wait_for(wait) != std::future_status::ready) return false;
  out = future.get();
  return true;
}

bool ClusterDecider::receive_policy(const std::string& from, const cluster::PeerMessage& message) {
  const TimePoint now = clock_.now();
  if (const auto* d = std::get_if<cluster::PolicyDigest>(&message)) {
    policy_spread_->receive(from, *d, now);
  } else if (const auto* o = std::get_if<cluster::PolicyOffer>(&message)) {
    policy_spread_->receive(from, *o, now);
  } else {
    return false;
  }
  drain_policies();
  return true;
}

void ClusterDecider::drain_policies() {
  for (const auto& event : policy_spread_->take_events()) {
    if (on_policy_) on_policy_(event);
  }
  for (const auto& out : policy_spread_->take_outgoing()) send(out.to, out.message);
}

}  // namespace drl::net
