// Hand-off: a node that joins or returns takes over a range only once it holds the range's
// current state, fetched from the range's previous owner. Until then checks for the range go
// to that previous owner (routing.cpp), and a request that got no last chunk within
// handoff_timeout is sent again. A previous owner that is no longer alive cannot be
// asked: a node that was one of its replicas takes over from the state it holds
// (fail-over); any other asks the first of those replicas still alive, and sends the
// range's checks there meanwhile.
#include "cluster/cluster_node.h"

namespace drl::cluster {

void ClusterNode::start_handoff(TimePoint now) {
  std::map<std::string, std::vector<ring::HashRange>> by_source;
  std::vector<ring::MemberIndex> before;
  for (const ring::RangeMove& move : ring::owner_changes(stable_, target_)) {
    if (move.to != self_.id || move.from.empty() || move.from == self_.id) continue;
    std::string source = move.from;
    if (!target_.contains(source)) {
      // The previous owner is gone: its replicas hold the range's state. A node that was one
      // of them has it already; any other (a joiner) fetches it from the first one alive.
      source.clear();
      stable_.preference_list(move.range.hi, options_.replicas, before);
      for (ring::MemberIndex m : before) {
        const std::string& id = stable_.member(m).id;
        if (id == self_.id) break;
        if (target_.contains(id)) {
          source = id;
          break;
        }
      }
      if (source.empty()) continue;
    }
    by_source[source].push_back(move.range);
  }
  for (auto& [from, ranges] : by_source) {
    const uint64_t id = next_id_++;
    outgoing_.push_back({from, HandoffRequest{id, ranges}});
    handoffs_[id] = Handoff{from, std::move(ranges), now + options_.handoff_timeout, {}, false};
  }
  finish_handoff_if_done();
}

void ClusterNode::on_handoff_request(const std::string& from, const HandoffRequest& request) {
  if (target_.contains(from)) return serve_handoff(from, request);
  // The requester's view is ahead of ours; until ours holds it, we still decide its ranges.
  // A request asked again (the requester's handoff_timeout passed) is held once.
  for (const auto& [waiting_from, waiting] : deferred_requests_) {
    if (waiting_from == from && waiting.request_id == request.request_id) return;
  }
  if (deferred_requests_.size() >= options_.max_deferred_handoffs) {
    deferred_requests_.erase(deferred_requests_.begin());
  }
  deferred_requests_.emplace_back(from, request);
}

void ClusterNode::serve_deferred_requests() {
  std::vector<std::pair<std::string, HandoffRequest>> waiting;
  for (auto& [from, request] : std::exchange(deferred_requests_, {})) {
    if (target_.contains(from)) {
      serve_handoff(from, request);
    } else {
      waiting.emplace_back(std::move(from), std::move(request));
    }
  }
  deferred_requests_ = std::move(waiting);
}

void ClusterNode::serve_handoff(const std::string& from, const HandoffRequest& request) {
  HandoffChunk chunk;
  chunk.request_id = request.request_id;
  for (const ring::HashRange& range : request.ranges) {
    store_.for_each_in_hash_range(range.lo, range.hi, [&](const store::KeyRecord& record) {
      chunk.records.push_back(record);
      if (chunk.records.size() >= options_.max_records_per_message) {
        HandoffChunk full;
        full.request_id = request.request_id;
        std::swap(full, chunk);
        outgoing_.push_back({from, std::move(full)});
      }
    });
  }
  chunk.last = true;
  outgoing_.push_back({from, std::move(chunk)});
}

void ClusterNode::on_handoff_chunk(const HandoffChunk& chunk) {
  // Records of a superseded request are still current state: install them anyway.
  for (const store::KeyRecord& record : chunk.records) {
    if (store_.install(record)) ++stats_.handoff_records_installed;
  }
  if (!chunk.last) return;
  if (handoffs_.erase(chunk.request_id) > 0) return finish_handoff_if_done();
  auto alt = alternate_of_.find(chunk.request_id);
  if (alt == alternate_of_.end()) return;
  auto it = handoffs_.find(alt->second);
  alternate_of_.erase(alt);
  if (it == handoffs_.end()) return;
  it->second.alternates[chunk.request_id] = true;
  for (const auto& [alt_id, done] : it->second.alternates) {
    if (!done) return;
  }
  handoffs_.erase(it);
  finish_handoff_if_done();
}

void ClusterNode::expire_handoffs(TimePoint now) {
  // No last chunk yet: ask again, and go on sending the ranges' checks to the source. Taking
  // the ranges over now would decide them from what this node holds, which for a restarted
  // node or a joiner is nothing at all: a fresh budget while the source, alive and in the
  // view, still holds the count (and decides the checks this node sends it). A request or
  // chunk lost on the way is recovered by the next attempt; chunks answer by request id and
  // install by version, so a late or repeated one changes nothing. The first time, the ranges
  // are also asked of the source's replicas (ask_alternates): a source whose messages to
  // this node do not arrive (a one-way cut, a link waiting out a reconnect backoff) then
  // costs the lag of a replica's state, not a fresh budget and not a hand-off that never
  // ends. Otherwise only a view change ends a hand-off (set_view recomputes its sources).
  for (auto& [id, handoff] : handoffs_) {
    if (handoff.deadline > now) continue;
    ++stats_.handoff_retries;
    handoff.deadline = now + options_.handoff_timeout;
    outgoing_.push_back({handoff.from, HandoffRequest{id, handoff.ranges}});
    if (!handoff.asked_alternates) ask_alternates(id, handoff);
  }
}

void ClusterNode::ask_alternates(uint64_t id, Handoff& handoff) {
  handoff.asked_alternates = true;
  // For each range, the first live member of its previous preference list other than the
  // source and this node: it holds the source's replicated state of the range.
  std::map<std::string, std::vector<ring::HashRange>> by_alternate;
  std::vector<ring::MemberIndex> before;
  for (const ring::HashRange& range : handoff.ranges) {
    stable_.preference_list(range.hi, options_.replicas, before);
    std::string alternate;
    for (ring::MemberIndex m : before) {
      const std::string& member = stable_.member(m).id;
      if (member != handoff.from && member != self_.id && target_.contains(member)) {
        alternate = member;
        break;
      }
    }
    if (alternate.empty()) return;  // a range nobody else holds: wait for the source alone
    by_alternate[alternate].push_back(range);
  }
  for (auto& [to, ranges] : by_alternate) {
    const uint64_t alt_id = next_id_++;
    alternate_of_[alt_id] = id;
    handoff.alternates[alt_id] = false;
    outgoing_.push_back({to, HandoffRequest{alt_id, std::move(ranges)}});
  }
}

std::string ClusterNode::handoff_target(uint64_t hash) const {
  const std::string& previous = stable_.member(stable_.owner(hash)).id;
  if (previous == self_.id) return {};
  if (target_.contains(previous)) return previous;
  return handoff_source(hash);
}

std::string ClusterNode::handoff_source(uint64_t hash) const {
  for (const auto& [id, handoff] : handoffs_) {
    for (const ring::HashRange& range : handoff.ranges) {
      if (range.contains(hash)) return handoff.from;
    }
  }
  return {};
}

void ClusterNode::finish_handoff_if_done() {
  if (!handoffs_.empty()) return;
  stable_ = target_;
  ++ownership_changes_;
}

}  // namespace drl::cluster
