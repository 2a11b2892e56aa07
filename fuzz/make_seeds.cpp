// Writes the generated part of the seed corpora: a few valid encodings per fuzz target,
// made with the project's own encoders so they stay valid when the formats change.
// Usage: fuzz_make_seeds <corpus dir>   (writes <dir>/<target>/valid_*; the hand-written
// edge_* files next to them are committed as they are).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/peer_codec.h"
#include "drl/client.pb.h"
#include "membership/gossip_codec.h"
#include "service/frame.h"

namespace {

namespace fs = std::filesystem;
using drl::membership::Message;
using drl::membership::Update;

fs::path g_root;

void write(std::string_view target, std::string_view name, std::string_view bytes) {
  const fs::path dir = g_root / target;
  fs::create_directories(dir);
  std::ofstream out(dir / ("valid_" + std::string(name)), std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string frame(const drl::wire::Request& request) {
  std::string out;
  drl::service::append_frame(out, request);
  return out;
}

drl::wire::Request check_request(uint64_t id) {
  drl::wire::Request r;
  r.set_id(id);
  r.mutable_check();
  return r;
}

void client_frames() {
  drl::wire::Request status;
  status.set_id(1);
  status.mutable_status();
  write("client_frame", "status", frame(status));

  auto by_policy = check_request(2);
  auto* c = by_policy.mutable_check()->add_checks();
  c->set_key("user:42");
  c->set_policy("api_per_user");
  write("client_frame", "check_policy", frame(by_policy));

  const drl::wire::Algorithm algorithms[] = {drl::wire::TOKEN_BUCKET, drl::wire::LEAKY_BUCKET,
                                             drl::wire::FIXED_WINDOW, drl::wire::SLIDING_LOG,
                                             drl::wire::SLIDING_WINDOW};
  auto all = check_request(3);
  for (auto a : algorithms) {
    auto one = check_request(4);
    auto* check = one.mutable_check()->add_checks();
    check->set_key("ip:10.0.0.1");
    check->set_cost(3);
    auto* limit = check->mutable_limit();
    limit->set_algorithm(a);
    limit->set_limit(5);
    limit->set_window_ms(1000);
    limit->set_burst(a == drl::wire::LEAKY_BUCKET ? 2 : 0);
    write("client_frame", "inline_" + drl::wire::Algorithm_Name(a), frame(one));
    *all.mutable_check()->add_checks() = *check;
  }
  auto* flags = all.mutable_check()->add_checks();
  flags->set_key("k");
  flags->set_cost(0);
  flags->set_reset(true);
  flags->set_refund(true);
  flags->set_drain_on_deny(true);
  flags->set_shadow(true);
  flags->mutable_limit()->set_algorithm(drl::wire::FIXED_WINDOW);
  flags->mutable_limit()->set_limit(10);
  flags->mutable_limit()->set_calendar(drl::wire::CALENDAR_MONTH);
  write("client_frame", "many_checks", frame(all));
  write("client_frame", "two_frames", frame(status) + frame(by_policy));
}

drl::cluster::ForwardedCheck forwarded() {
  drl::cluster::ForwardedCheck c;
  c.request_id = 7;
  c.hops = 2;
  c.must_decide = true;
  c.key = "user:1";
  c.limit.algorithm = drl::limits::Algorithm::kSlidingWindow;
  c.limit.limit = 100;
  c.limit.window = 60 * drl::kSecond;
  c.request.cost = 2;
  c.degrade = drl::cluster::DegradeMode::kClosed;
  return c;
}

drl::store::KeyRecord record(drl::limits::Algorithm a) {
  drl::store::KeyRecord r;
  r.key = "k:" + std::to_string(static_cast<int>(a));
  r.algorithm = a;
  r.state = {123456789, 3, 4};
  if (a == drl::limits::Algorithm::kSlidingLog) r.log = {100, 200, 300};
  r.expires_at = 999999999;
  r.version = 5;
  return r;
}

void peer_frames() {
  using namespace drl::cluster;
  write("peer", "check_batch", encode_peer_message(CheckBatch{{forwarded(), forwarded()}}));
  CheckAnswer answer;
  answer.request_id = 7;
  answer.decision = {true, false, 100, 97, 5000, 0, 0};
  answer.decided_by = "node-b";
  answer.hops = 1;
  CheckAnswer failed = answer;
  failed.error = "no replica reachable";
  failed.degraded = true;
  write("peer", "answer_batch", encode_peer_message(AnswerBatch{{answer, failed}}));
  ReplicaBatch replicas;
  for (int a = 0; a <= 4; ++a) {
    replicas.records.push_back(record(static_cast<drl::limits::Algorithm>(a)));
  }
  write("peer", "replica_batch", encode_peer_message(replicas));
  write("peer", "handoff_request",
        encode_peer_message(HandoffRequest{9, {{0, 1000}, {UINT64_MAX - 5, 3}}}));
  write("peer", "handoff_chunk",
        encode_peer_message(HandoffChunk{9, {record(drl::limits::Algorithm::kSlidingLog)}, true}));
}

// Same key as gossip_keyed_fuzz.cpp, so the sealed seed passes its raw decode.
drl::membership::ClusterKey fuzz_key() {
  drl::membership::ClusterKey key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(0x5A ^ i);
  return key;
}

void gossip_packets() {
  using namespace drl::membership;
  Update u{"node-1", "10.0.0.1:7000", MemberState::kSuspect, 9, {}, "node-2"};
  u.meta.tags = {{"zone", "a"}, {"rack", "r7"}};
  Update dead{"node-3", "10.0.0.3:7000", MemberState::kDead, 2, {}, "node-1"};
  const std::vector<std::pair<std::string, Body>> bodies = {
      {"ping", Ping{1, "node-1"}},
      {"ping_req", PingReq{2, "node-1", "10.0.0.1:7000"}},
      {"ack", Ack{3}},
      {"nack", Nack{4}},
      {"gossip", Gossip{}},
      {"push_pull", PushPull{true, false, {u, dead}}}};
  GossipCodec plain(nullptr);
  GossipCodec keyed(std::make_shared<const Sealer>(KeyRing{{fuzz_key()}}, Sealer::NoncePrefix{}));
  for (const auto& [name, body] : bodies) {
    const Message m{"node-2", "10.0.0.2:7000", body, {u}};
    write("gossip", name, plain.encode(m, 64 * 1024));
    const std::string packet = plain.encode(m, 64 * 1024);
    // The keyed target seals its input itself: seed it with the bare protobuf body...
    write("gossip_keyed", name, packet.substr(1));
    // ...and with a whole sealed packet for its raw (outsider) decode.
    if (name == "ping") write("gossip_keyed", "sealed_ping", keyed.encode(m, 64 * 1024));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds <corpus dir>\n";
    return 2;
  }
  g_root = argv[1];
  client_frames();
  peer_frames();
  gossip_packets();
  return 0;
}
