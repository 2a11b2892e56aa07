#include "membership/gossip_codec.h"

#include "drl/gossip.pb.h"

namespace drl::membership {
namespace {

constexpr size_t kMaxName = 256;  // ids, addresses, tag keys and values
constexpr size_t kMaxTags = 32;

v1::MemberStatus to_proto(MemberState s) {
  switch (s) {
    case MemberState::kAlive:
      return v1::MEMBER_STATUS_ALIVE;
    case MemberState::kSuspect:
      return v1::MEMBER_STATUS_SUSPECT;
    case MemberState::kDead:
      return v1::MEMBER_STATUS_DEAD;
    case MemberState::kLeft:
      return v1::MEMBER_STATUS_LEFT;
  }
  return v1::MEMBER_STATUS_UNSPECIFIED;
}

void to_proto(const Update& u, v1::MemberUpdate* p) {
  p->set_id(u.id);
  p->set_address(u.address);
  p->set_status(to_proto(u.state));
  p->set_incarnation(u.incarnation);
  p->mutable_meta()->set_protocol_version(u.meta.protocol_version);
  for (const auto& [k, v] : u.meta.tags) {
    auto* tag = p->mutable_meta()->add_tags();
    tag->set_key(k);
    tag->set_value(v);
  }
  p->set_from(u.from);
}

bool from_proto(const v1::MemberUpdate& p, Update* u) {
  if (p.id().empty() || p.id().size() > kMaxName || p.address().size() > kMaxName ||
      p.from().size() > kMaxName || p.meta().tags_size() > static_cast<int>(kMaxTags)) {
    return false;
  }
  switch (p.status()) {
    case v1::MEMBER_STATUS_ALIVE:
      u->state = MemberState::kAlive;
      break;
    case v1::MEMBER_STATUS_SUSPECT:
      u->state = MemberState::kSuspect;
      break;
    case v1::MEMBER_STATUS_DEAD:
      u->state = MemberState::kDead;
      break;
    case v1::MEMBER_STATUS_LEFT:
      u->state = MemberState::kLeft;
      break;
    default:
      return false;
  }
  u->id = p.id();
  u->address = p.address();
  u->incarnation = p.incarnation();
  u->meta.protocol_version = p.meta().protocol_version();
  for (const auto& tag : p.meta().tags()) {
    if (tag.key().size() > kMaxName || tag.value().size() > kMaxName) return false;
    u->meta.tags.insert_or_assign(tag.key(), tag.value());
  }
  u->from = p.from();
  return true;
}

void to_proto(const Message& m, v1::GossipPacket* p) {
  p->set_sender_id(m.sender_id);
  p->set_sender_address(m.sender_address);
  struct Visitor {
    v1::GossipPacket* p;
    void operator()(const Ping& b) {
      p->mutable_ping()->set_seq(b.seq);
      p->mutable_ping()->set_target_id(b.target_id);
    }
    void operator()(const PingReq& b) {
      auto* r = p->mutable_ping_req();
      r->set_seq(b.seq);
      r->set_target_id(b.target_id);
      r->set_target_address(b.target_address);
    }
    void operator()(const Ack& b) { p->mutable_ack()->set_seq(b.seq); }
    void operator()(const Nack& b) { p->mutable_nack()->set_seq(b.seq); }
    void operator()(const Gossip&) { p->mutable_gossip(); }
    void operator()(const PushPull& b) {
      auto* pp = p->mutable_push_pull();
      pp->set_join(b.join);
      pp->set_reply(b.reply);
      for (const auto& u : b.members) to_proto(u, pp->add_members());
    }
  };
  std::visit(Visitor{p}, m.body);
  for (const auto& u : m.updates) to_proto(u, p->add_updates());
}

bool from_proto(const v1::GossipPacket& p, Message* m) {
  if (p.sender_id().empty() || p.sender_id().size() > kMaxName || p.sender_address().empty() ||
      p.sender_address().size() > kMaxName) {
    return false;
  }
  m->sender_id = p.sender_id();
  m->sender_address = p.sender_address();
  switch (p.body_case()) {
    case v1::GossipPacket::kPing:
      m->body = Ping{p.ping().seq(), p.ping().target_id()};
      break;
    case v1::GossipPacket::kPingReq: {
      const auto& r = p.ping_req();
      if (r.target_id().empty() || r.target_address().empty()) return false;
      m->body = PingReq{r.seq(), r.target_id(), r.target_address()};
      break;
    }
    case v1::GossipPacket::kAck:
      m->body = Ack{p.ack().seq()};
      break;
    case v1::GossipPacket::kNack:
      m->body = Nack{p.nack().seq()};
      break;
    case v1::GossipPacket::kGossip:
      m->body = Gossip{};
      break;
    case v1::GossipPacket::kPushPull: {
      PushPull pp{p.push_pull().join(), p.push_pull().reply(), {}};
      pp.members.resize(static_cast<size_t>(p.push_pull().members_size()));
      for (int i = 0; i < p.push_pull().members_size(); ++i) {
        if (!from_proto(p.push_pull().members(i), &pp.members[static_cast<size_t>(i)]))
          return false;
      }
      m->body = std::move(pp);
      break;
    }
    default:
      return false;
  }
  m->updates.resize(static_cast<size_t>(p.updates_size()));
  for (int i = 0; i < p.updates_size(); ++i) {
    if (!from_proto(p.updates(i), &m->updates[static_cast<size_t>(i)])) return false;
  }
  return true;
}

}  // namespace

GossipCodec::GossipCodec(std::shared_ptr<const Sealer> sealer) : sealer_(std::move(sealer)) {}

std::string GossipCodec::encode(const Message& m, size_t max_bytes) {
  v1::GossipPacket packet;
  to_proto(m, &packet);
  const size_t overhead = 1 + (sealer_ ? Sealer::kOverhead : 0);
  while (packet.ByteSizeLong() + overhead > max_bytes && packet.updates_size() > 0) {
    packet.mutable_updates()->RemoveLast();
    trimmed_.fetch_add(1, std::memory_order_relaxed);
  }
  if (packet.ByteSizeLong() + overhead > max_bytes) return {};
  const char format = static_cast<char>(sealer_ ? kSealedFormat : kPlainFormat);
  std::string out(1, format);
  if (sealer_) {
    const std::string plain = packet.SerializeAsString();
    sealer_->seal(std::string_view(&format, 1), plain, out);
  } else {
    packet.AppendToString(&out);
  }
  encoded_.fetch_add(1, std::memory_order_relaxed);
  return out;
}

DecodeResult GossipCodec::decode(std::string_view packet, size_t max_bytes) {
  auto fail = [](std::atomic<uint64_t>& counter, DecodeError e) {
    counter.fetch_add(1, std::memory_order_relaxed);
    return DecodeResult{std::nullopt, e};
  };
  if (packet.size() > max_bytes) return fail(too_large_, DecodeError::kTooLarge);
  if (packet.empty()) return fail(unknown_format_, DecodeError::kUnknownFormat);
  const auto format = static_cast<uint8_t>(packet[0]);
  if (format != kPlainFormat && format != kSealedFormat) {
    return fail(unknown_format_, DecodeError::kUnknownFormat);
  }
  if ((format == kSealedFormat) != (sealer_ != nullptr)) {
    return fail(auth_failed_, DecodeError::kAuthFailed);
  }
  std::string_view body = packet.substr(1);
  std::string opened;  // the sealed bytes, opened in place
  if (sealer_) {
    opened.assign(body);
    const auto plain = sealer_->open(packet.substr(0, 1), opened);
    if (!plain) return fail(auth_failed_, DecodeError::kAuthFailed);
    body = *plain;
  }
  v1::GossipPacket proto;
  if (!proto.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return fail(malformed_, DecodeError::kMalformed);
  }
  Message m;
  if (!from_proto(proto, &m)) return fail(malformed_, DecodeError::kMalformed);
  decoded_.fetch_add(1, std::memory_order_relaxed);
  return DecodeResult{std::move(m), DecodeError::kNone};
}

CodecStats GossipCodec::stats() const {
  constexpr auto r = std::memory_order_relaxed;
  return CodecStats{encoded_.load(r),        decoded_.load(r),     too_large_.load(r),
                    unknown_format_.load(r), auth_failed_.load(r), malformed_.load(r),
                    trimmed_.load(r)};
}

}  // namespace drl::membership
