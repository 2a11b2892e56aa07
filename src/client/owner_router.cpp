#include "client/owner_router.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "common/key_hash.h"
#include "service/store_key.h"
#include "service/wire_convert.h"

namespace drl::client {

void placement_key(const service::CheckCall& call, std::string& out) {
  service::store_key_for(call, out);
}

// One client request split into parts: the merged response and what is still out.
struct OwnerRouter::Merge {
  ResponseHandler handler;
  wire::Request request;  // the original, without its checks (copied into each part)
  google::protobuf::RepeatedPtrField<wire::Check> checks;
  wire::Response out;
  size_t parts = 0;
  bool done = false;
};

OwnerRouter::OwnerRouter(asio::io_context& io, std::shared_ptr<NodeLink> fallback,
                         OwnerRouterOptions o)
    : io_(io), fallback_(std::move(fallback)), options_(std::move(o)) {}

void OwnerRouter::send(wire::Request& request, ResponseHandler handler) {
  const auto now = std::chrono::steady_clock::now();
  if (!refreshing_ && now >= next_refresh_) refresh();
  if (ring_.empty() || !request.has_check()) {
    stats_.fallback += request.has_check() ? request.check().checks_size() : 0;
    fallback_->send(request, std::move(handler));
    return;
  }
  const auto& checks = request.check().checks();
  // The common case, one owner for the whole request: sent as it is, no split, no merge.
  if (checks.size() > 0) {
    const std::string& first = owner_of(checks[0]);
    bool one_owner = !first.empty();
    for (int i = 1; i < checks.size() && one_owner; ++i) one_owner = owner_of(checks[i]) == first;
    if (one_owner) {
      if (auto link = link_for(first)) return send_whole(request, std::move(handler), first, link);
    }
  }
  // Group the checks by owner, keeping their positions.
  std::map<std::string, std::vector<int>> by_owner;
  for (int i = 0; i < checks.size(); ++i) by_owner[owner_of(checks[i])].push_back(i);
  auto merge = std::make_shared<Merge>();
  merge->handler = std::move(handler);
  // `request` stays whole: the client may send it again (overload retries).
  merge->request = request;
  merge->request.mutable_check()->mutable_checks()->Swap(&merge->checks);
  auto* results = merge->out.mutable_check()->mutable_results();
  results->Reserve(merge->checks.size());
  for (int i = 0; i < merge->checks.size(); ++i) results->Add();
  merge->parts = by_owner.size();
  for (auto& [owner, indices] : by_owner) {
    if (owner.empty()) {
      fallback_part(merge, std::move(indices));
    } else {
      send_part(merge, std::move(indices), owner);
    }
  }
}

const std::string& OwnerRouter::owner_of(const wire::Check& check) {
  static const std::string kFallback;  // the decoder refuses it: any node answers that
  service::CheckCall call;
  service::decode_check(check, call);
  if (call.code != service::CheckCode::kOk) return kFallback;
  placement_key(call, key_scratch_);
  return ring_.member(ring_.owner(key_hash(key_scratch_))).id;
}

void OwnerRouter::send_whole(wire::Request& request, ResponseHandler handler,
                             const std::string& owner, const std::shared_ptr<NodeLink>& link) {
  stats_.routed += request.check().checks_size();
  link->send(request,
             [self = shared_from_this(), &request, handler = std::move(handler), owner](
                 const wire::Response* response, std::string_view error, bool timed_out) mutable {
               const bool shutting_down = response != nullptr && response->has_error() &&
                                          response->error().code() == wire::SHUTTING_DOWN;
               if (response == nullptr || shutting_down) {
                 self->links_.erase(owner);
                 self->next_refresh_ = {};
                 if (!self->refreshing_) self->refresh();
                 self->stats_.fallback += request.check().checks_size();
                 self->fallback_->send(request, std::move(handler));
                 return;
               }
               if (response->has_check()) {
                 for (const auto& r : response->check().results()) {
                   const std::string& by =
                       r.decided_by().empty() ? response->check().decided_by() : r.decided_by();
                   if (r.code() == wire::OK && !r.degraded() && by != owner) {
                     ++self->stats_.misrouted;
                     self->next_refresh_ = {};
                     if (!self->refreshing_) self->refresh();
                     break;
                   }
                 }
               }
               handler(response, error, timed_out);
             });
}

void OwnerRouter::send_part(const std::shared_ptr<Merge>& merge, std::vector<int> indices,
                            const std::string& owner) {
  auto link = link_for(owner);
  if (!link) return fallback_part(merge, std::move(indices));
  wire::Request part = merge->request;
  for (int i : indices) *part.mutable_check()->add_checks() = merge->checks[i];
  stats_.routed += indices.size();
  link->send(part,
             [self = shared_from_this(), merge, indices = std::move(indices), owner](
                 const wire::Response* response, std::string_view error, bool timed_out) mutable {
               const bool shutting_down = response != nullptr && response->has_error() &&
                                          response->error().code() == wire::SHUTTING_DOWN;
               if (response == nullptr || shutting_down) {
                 // The owner is gone (or going): any node answers; learn the new ring.
                 self->links_.erase(owner);
                 self->next_refresh_ = {};
                 if (!self->refreshing_) self->refresh();
                 self->fallback_part(merge, std::move(indices));
                 return;
               }
               self->fill(merge, indices, response, error, timed_out, owner);
             });
}

void OwnerRouter::fallback_part(const std::shared_ptr<Merge>& merge, std::vector<int> indices) {
  wire::Request part = merge->request;
  for (int i : indices) *part.mutable_check()->add_checks() = merge->checks[i];
  stats_.fallback += indices.size();
  fallback_->send(part,
                  [self = shared_from_this(), merge, indices = std::move(indices)](
                      const wire::Response* response, std::string_view error, bool timed_out) {
                    self->fill(merge, indices, response, error, timed_out, "");
                  });
}

void OwnerRouter::fill(const std::shared_ptr<Merge>& merge, const std::vector<int>& indices,
                       const wire::Response* response, std::string_view error, bool timed_out,
                       const std::string& chosen) {
  if (merge->done) return;
  const bool whole_failure = response == nullptr || response->has_error() ||
                             response->check().results_size() != static_cast<int>(indices.size());
  if (whole_failure) {
    // As without routing: a request-level error or a lost connection fails the whole batch.
    merge->done = true;
    if (response != nullptr && response->has_error()) return merge->handler(response, "", false);
    if (response != nullptr) {
      return merge->handler(nullptr, "the node answered with the wrong number of results", false);
    }
    return merge->handler(nullptr, error, timed_out);
  }
  auto* out = merge->out.mutable_check()->mutable_results();
  const auto& check = response->check();
  bool misrouted = false;
  for (size_t k = 0; k < indices.size(); ++k) {
    wire::CheckResult& r = *out->Mutable(indices[k]);
    r = check.results(static_cast<int>(k));
    if (r.decided_by().empty()) r.set_decided_by(check.decided_by());
    if (!chosen.empty() && r.code() == wire::OK && !r.degraded() && r.decided_by() != chosen) {
      misrouted = true;
    }
  }
  if (misrouted) {
    ++stats_.misrouted;
    next_refresh_ = {};
    if (!refreshing_) refresh();
  }
  finish_part(merge);
}

void OwnerRouter::finish_part(const std::shared_ptr<Merge>& merge) {
  if (--merge->parts > 0 || merge->done) return;
  merge->done = true;
  merge->handler(&merge->out, "", false);
}

void OwnerRouter::refresh() {
  refreshing_ = true;
  next_refresh_ = std::chrono::steady_clock::now() + options_.refresh_every;
  // The ring request, not the status: the node answers it from its published ring without
  // asking its cluster thread, and an unchanged ring costs a few bytes each way.
  wire::Request request;
  request.mutable_ring()->set_known_epoch(ring_.epoch());
  if (options_.prepare) options_.prepare(request);
  fallback_->send(
      request, [self = shared_from_this()](const wire::Response* response, std::string_view, bool) {
        self->refreshing_ = false;
        if (response != nullptr && response->has_ring()) self->apply_ring(response->ring());
      });
}

void OwnerRouter::apply_ring(const wire::RingResponse& answer) {
  // Epoch 0: the node has no view yet: keep what we have (or the fallback).
  if (answer.epoch() == 0 || answer.unchanged() || answer.epoch() == ring_.epoch()) return;
  std::vector<ring::Member> members;
  for (const auto& m : answer.members()) members.push_back({m.id(), m.address()});
  if (members.empty()) return;
  ring::Ring next(std::move(members), answer.vnodes());
  if (next.epoch() != answer.epoch()) {
    // Computed differently than the node's (another build's ring): route nothing by it; the
    // fallback forwards every check. Look again later.
    return;
  }
  ++stats_.refreshes;
  ring_ = std::move(next);
  // Out of the map first, closed after: closing fails the link's pending requests, whose
  // handlers erase their owner's entry from links_ (erasing the entry being visited here
  // freed it under this loop: TSan, SmartClient.AKilledNodesKeysStillGetAnswers).
  std::vector<std::shared_ptr<NodeLink>> gone;
  for (auto it = links_.begin(); it != links_.end();) {
    const auto index = ring_.index_of(it->first);
    if (index && it->second.address == ring_.member(*index).address) {
      ++it;
    } else {
      gone.push_back(std::move(it->second.link));
      it = links_.erase(it);
    }
  }
  for (auto& link : gone) link->close("the member left the ring");
}

std::shared_ptr<NodeLink> OwnerRouter::link_for(const std::string& id) {
  if (auto it = links_.find(id); it != links_.end()) return it->second.link;
  const auto index = ring_.index_of(id);
  // Member addresses come from the node's ring (its members' --advertise or --listen);
  // anything else is skipped.
  if (!index) return nullptr;
  auto endpoint = parse_endpoint(ring_.member(*index).address);
  if (!endpoint) return nullptr;
  auto link =
      std::make_shared<NodeLink>(io_, std::vector<Endpoint>{*endpoint}, options_.connect_timeout,
                                 options_.request_timeout, options_.max_frame_bytes, options_.tls);
  links_.emplace(id, OwnerLink{endpoint->text, link});
  return link;
}

void OwnerRouter::close(std::string_view why) {
  // Emptied first: the handlers the closes fail erase entries from links_.
  auto links = std::move(links_);
  links_.clear();
  for (auto& [id, owner] : links) owner.link->close(why);
}

}  // namespace drl::client
