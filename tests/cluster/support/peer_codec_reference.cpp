// The old src/cluster/peer_codec.cpp (before the hand-written codec), kept verbatim but for
// the split of encode/decode into to_proto/from_proto.
// Included by its directory, so that bench/peer_codec_bench.cpp can compile this file too.
#include "peer_codec_reference.h"

namespace drl::cluster::reference {
namespace {

constexpr uint32_t kMaxAlgorithm = static_cast<uint32_t>(limits::Algorithm::kSlidingWindow);
constexpr uint32_t kMaxCalendar = static_cast<uint32_t>(limits::Calendar::kMonth);
constexpr uint32_t kMaxDegrade = static_cast<uint32_t>(DegradeMode::kClosed);

void to_proto(const limits::Limit& in, v1::PeerLimit& out) {
  out.set_algorithm(static_cast<uint32_t>(in.algorithm));
  out.set_limit(in.limit);
  out.set_window_ns(in.window);
  out.set_burst(in.burst);
  out.set_calendar(static_cast<uint32_t>(in.calendar));
}

void to_proto(const limits::Request& in, v1::PeerRequest& out) {
  out.set_cost(in.cost);
  out.set_refund(in.refund);
  out.set_reset(in.reset);
  out.set_drain_on_deny(in.drain_on_deny);
  out.set_shadow(in.shadow);
}

void to_proto(const limits::Decision& in, v1::PeerDecision& out) {
  out.set_allowed(in.allowed);
  out.set_shadow_denied(in.shadow_denied);
  out.set_limit(in.limit);
  out.set_remaining(in.remaining);
  out.set_reset_at_ns(in.reset_at);
  out.set_retry_after_ns(in.retry_after);
  out.set_delay_ns(in.delay);
  out.set_untracked(in.untracked);
  out.set_reset_by_eviction(in.reset_by_eviction);
}

void to_proto(const store::KeyRecord& in, v1::PeerKeyRecord& out) {
  out.set_key(in.key);
  out.set_algorithm(static_cast<uint32_t>(in.algorithm));
  out.set_state_t(in.state.t);
  out.set_state_a(in.state.a);
  out.set_state_b(in.state.b);
  for (TimePoint t : in.log) out.add_log(t);
  out.set_expires_at_ns(in.expires_at);
  out.set_version(in.version);
}

std::string from_proto(const v1::PeerLimit& in, limits::Limit& out) {
  if (in.algorithm() > kMaxAlgorithm) return "unknown algorithm " + std::to_string(in.algorithm());
  if (in.calendar() > kMaxCalendar) return "unknown calendar " + std::to_string(in.calendar());
  out.algorithm = static_cast<limits::Algorithm>(in.algorithm());
  out.limit = in.limit();
  out.window = in.window_ns();
  out.burst = in.burst();
  out.calendar = static_cast<limits::Calendar>(in.calendar());
  return "";
}

void from_proto(const v1::PeerRequest& in, limits::Request& out) {
  out.cost = in.cost();
  out.refund = in.refund();
  out.reset = in.reset();
  out.drain_on_deny = in.drain_on_deny();
  out.shadow = in.shadow();
}

void from_proto(const v1::PeerDecision& in, limits::Decision& out) {
  out.allowed = in.allowed();
  out.shadow_denied = in.shadow_denied();
  out.limit = in.limit();
  out.remaining = in.remaining();
  out.reset_at = in.reset_at_ns();
  out.retry_after = in.retry_after_ns();
  out.delay = in.delay_ns();
  out.untracked = in.untracked();
  out.reset_by_eviction = in.reset_by_eviction();
}

std::string from_proto(const v1::PeerKeyRecord& in, store::KeyRecord& out) {
  if (in.algorithm() > kMaxAlgorithm) return "unknown algorithm " + std::to_string(in.algorithm());
  out.key = in.key();
  out.algorithm = static_cast<limits::Algorithm>(in.algorithm());
  out.state.t = in.state_t();
  out.state.a = in.state_a();
  out.state.b = in.state_b();
  out.log.assign(in.log().begin(), in.log().end());
  out.expires_at = in.expires_at_ns();
  out.version = in.version();
  return "";
}

std::string from_proto(const google::protobuf::RepeatedPtrField<v1::PeerKeyRecord>& in,
                       std::vector<store::KeyRecord>& out) {
  out.resize(static_cast<size_t>(in.size()));
  for (int i = 0; i < in.size(); ++i) {
    if (std::string e = from_proto(in[i], out[static_cast<size_t>(i)]); !e.empty()) {
      return "record " + std::to_string(i) + ": " + e;
    }
  }
  return "";
}

}  // namespace

void to_proto(const PeerMessage& message, v1::PeerMessage& pb) {
  if (const auto* m = std::get_if<CheckBatch>(&message)) {
    auto* out = pb.mutable_checks();
    for (const ForwardedCheck& c : m->checks) {
      auto* fc = out->add_checks();
      fc->set_request_id(c.request_id);
      fc->set_hops(c.hops);
      fc->set_must_decide(c.must_decide);
      fc->set_key(c.key);
      to_proto(c.limit, *fc->mutable_limit());
      to_proto(c.request, *fc->mutable_request());
      fc->set_degrade(static_cast<uint32_t>(c.degrade));
      fc->set_budget_ns(c.budget);
      fc->set_origin(c.origin);
      fc->set_origin_id(c.origin_id);
      fc->set_memory_full(static_cast<uint32_t>(c.memory_full));
      fc->set_policy(c.policy);
      fc->set_client_shadow(c.client_shadow);
    }
  } else if (const auto* m = std::get_if<AnswerBatch>(&message)) {
    auto* out = pb.mutable_answers();
    for (const CheckAnswer& a : m->answers) {
      auto* ca = out->add_answers();
      ca->set_request_id(a.request_id);
      to_proto(a.decision, *ca->mutable_decision());
      ca->set_decided_by(a.decided_by);
      ca->set_degraded(a.degraded);
      ca->set_hops(a.hops);
      ca->set_error(a.error);
      if (a.limit) to_proto(*a.limit, *ca->mutable_limit());
    }
  } else if (const auto* m = std::get_if<ReplicaBatch>(&message)) {
    auto* out = pb.mutable_replicas();
    for (const auto& r : m->records) to_proto(r, *out->add_records());
  } else if (const auto* m = std::get_if<HandoffRequest>(&message)) {
    auto* out = pb.mutable_handoff_request();
    out->set_request_id(m->request_id);
    for (const auto& r : m->ranges) {
      auto* range = out->add_ranges();
      range->set_lo(r.lo);
      range->set_hi(r.hi);
    }
  } else if (const auto* m = std::get_if<HandoffChunk>(&message)) {
    auto* out = pb.mutable_handoff_chunk();
    out->set_request_id(m->request_id);
    for (const auto& r : m->records) to_proto(r, *out->add_records());
    out->set_last(m->last);
  } else if (const auto* m = std::get_if<PolicyDigest>(&message)) {
    auto* out = pb.mutable_policy_digest();
    out->set_version(m->version);
    out->set_hash(m->hash);
  } else if (const auto* m = std::get_if<PolicyOffer>(&message)) {
    auto* out = pb.mutable_policy_offer();
    out->set_version(m->version);
    out->set_hash(m->hash);
    out->set_yaml(m->yaml);
    out->set_origin(m->origin);
    out->set_rls(m->rls);
  }
}

std::string encode_peer_message(const PeerMessage& message) {
  v1::PeerMessage pb;
  to_proto(message, pb);
  return pb.SerializeAsString();
}

std::string decode_peer_message(std::string_view bytes, PeerMessage& out) {
  v1::PeerMessage pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return kNotValid;
  return from_proto(pb, out);
}

std::string from_proto(const v1::PeerMessage& pb, PeerMessage& out) {
  switch (pb.body_case()) {
    case v1::PeerMessage::kChecks: {
      CheckBatch batch;
      for (const auto& fc : pb.checks().checks()) {
        ForwardedCheck c;
        c.request_id = fc.request_id();
        c.hops = fc.hops();
        c.must_decide = fc.must_decide();
        c.key = fc.key();
        if (std::string e = from_proto(fc.limit(), c.limit); !e.empty()) return "check: " + e;
        from_proto(fc.request(), c.request);
        if (fc.degrade() > kMaxDegrade) {
          return "check: unknown degrade mode " + std::to_string(fc.degrade());
        }
        c.degrade = static_cast<DegradeMode>(fc.degrade());
        if (fc.memory_full() > static_cast<uint32_t>(limits::MemoryFullMode::kRefuse)) {
          return "check: unknown memory-full mode " + std::to_string(fc.memory_full());
        }
        c.memory_full = static_cast<limits::MemoryFullMode>(fc.memory_full());
        c.budget = fc.budget_ns();
        c.origin = fc.origin();
        c.origin_id = fc.origin_id();
        c.policy = fc.policy();
        c.client_shadow = fc.client_shadow();
        batch.checks.push_back(std::move(c));
      }
      out = std::move(batch);
      return "";
    }
    case v1::PeerMessage::kAnswers: {
      AnswerBatch batch;
      for (const auto& ca : pb.answers().answers()) {
        CheckAnswer a;
        a.request_id = ca.request_id();
        from_proto(ca.decision(), a.decision);
        a.decided_by = ca.decided_by();
        a.degraded = ca.degraded();
        a.hops = ca.hops();
        a.error = ca.error();
        if (ca.has_limit()) {
          if (std::string e = from_proto(ca.limit(), a.limit.emplace()); !e.empty()) {
            return "answer: " + e;
          }
        }
        batch.answers.push_back(std::move(a));
      }
      out = std::move(batch);
      return "";
    }
    case v1::PeerMessage::kReplicas: {
      ReplicaBatch batch;
      if (std::string e = from_proto(pb.replicas().records(), batch.records); !e.empty()) {
        return "replica batch: " + e;
      }
      out = std::move(batch);
      return "";
    }
    case v1::PeerMessage::kHandoffRequest: {
      HandoffRequest request;
      request.request_id = pb.handoff_request().request_id();
      for (const auto& r : pb.handoff_request().ranges())
        request.ranges.push_back({r.lo(), r.hi()});
      out = std::move(request);
      return "";
    }
    case v1::PeerMessage::kHandoffChunk: {
      HandoffChunk chunk;
      chunk.request_id = pb.handoff_chunk().request_id();
      chunk.last = pb.handoff_chunk().last();
      if (std::string e = from_proto(pb.handoff_chunk().records(), chunk.records); !e.empty()) {
        return "hand-off chunk: " + e;
      }
      out = std::move(chunk);
      return "";
    }
    case v1::PeerMessage::kPolicyDigest:
      out = PolicyDigest{pb.policy_digest().version(), pb.policy_digest().hash()};
      return "";
    case v1::PeerMessage::kPolicyOffer: {
      const auto& o = pb.policy_offer();
      out = PolicyOffer{o.version(), o.hash(), o.yaml(), o.origin(), o.rls()};
      return "";
    }
    case v1::PeerMessage::BODY_NOT_SET:
      break;
  }
  return "peer message has no body";
}

}  // namespace drl::cluster::reference
