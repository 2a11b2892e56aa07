// Peer codec micro-benchmarks: encode and decode of a 64-check CheckBatch, a 64-answer
// AnswerBatch and a 256-record ReplicaBatch, with the hand-written codec
// (src/cluster/peer_codec.cpp) and, in the same run, the protobuf path it replaced (value
// structs <-> generated drl::v1 classes), compiled here from the test reference model.
// docs/optimization.md, "A hand-written peer codec", reports the ratios.
#include <benchmark/benchmark.h>

#include <string>

#include "../tests/cluster/support/peer_codec_reference.cpp"
#include "cluster/peer_codec.h"

namespace {

using namespace drl;
using namespace drl::cluster;

constexpr TimePoint kT0 = 1'700'000'000 * kSecond;

std::string key(int i) { return "user:" + std::to_string(10'000'000 + i * 7919); }

// Batches shaped like a 3-node cluster's traffic: short keys, token buckets, no errors.
PeerMessage checks() {
  CheckBatch b;
  for (int i = 0; i < 64; ++i) {
    ForwardedCheck c;
    c.request_id = 1'000'000 + static_cast<uint64_t>(i);
    c.hops = 1;
    c.deadline = kT0 + 50 * kMillisecond + i;
    c.key = key(i);
    c.limit = {limits::Algorithm::kTokenBucket, 100, kSecond, 0, limits::Calendar::kNone};
    b.checks.push_back(std::move(c));
  }
  return b;
}

PeerMessage answers() {
  AnswerBatch b;
  for (int i = 0; i < 64; ++i) {
    CheckAnswer a;
    a.request_id = 1'000'000 + static_cast<uint64_t>(i);
    a.decision = {i % 4 != 0,
                  false,
                  100,
                  static_cast<uint64_t>(i),
                  kT0 + kSecond + i,
                  i % 4 == 0 ? 10 * kMillisecond : 0,
                  0};
    a.decided_by = "n2";
    a.hops = 1;
    b.answers.push_back(std::move(a));
  }
  return b;
}

PeerMessage replicas() {
  ReplicaBatch b;
  for (int i = 0; i < 256; ++i) {
    store::KeyRecord r;
    r.key = key(i);
    r.state = {kT0 + i * kMillisecond, 0, 0};
    r.expires_at = kT0 + 2 * kSecond;
    r.version = 1000 + static_cast<uint64_t>(i);
    b.records.push_back(std::move(r));
  }
  return b;
}

PeerMessage message(int64_t kind) {
  return kind == 0 ? checks() : kind == 1 ? answers() : replicas();
}
const char* label(int64_t kind) {
  return kind == 0 ? "64 checks" : kind == 1 ? "64 answers" : "256 records";
}

// Out of line, so that callgrind counts each path per call (the reference is in this file and
// would otherwise be inlined): valgrind --tool=callgrind, then inclusive Ir / calls.
[[gnu::noinline]] std::string old_encode(const PeerMessage& m) {
  return reference::encode_peer_message(m);
}
[[gnu::noinline]] std::string new_encode(const PeerMessage& m) { return encode_peer_message(m); }
[[gnu::noinline]] std::string old_decode(std::string_view b, PeerMessage& out) {
  return reference::decode_peer_message(b, out);
}
[[gnu::noinline]] std::string new_decode(std::string_view b, PeerMessage& out) {
  return decode_peer_message(b, out);
}

template <bool kProtobuf>
void BM_Encode(benchmark::State& state) {
  const PeerMessage m = message(state.range(0));
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = kProtobuf ? old_encode(m) : new_encode(m);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetLabel(std::string(label(state.range(0))) + ", " + std::to_string(bytes) + " B");
  state.SetItemsProcessed(state.iterations());
}

template <bool kProtobuf>
void BM_Decode(benchmark::State& state) {
  const std::string bytes = encode_peer_message(message(state.range(0)));
  for (auto _ : state) {
    PeerMessage out;
    std::string error = kProtobuf ? old_decode(bytes, out) : new_decode(bytes, out);
    if (!error.empty()) state.SkipWithError(error.c_str());
    benchmark::DoNotOptimize(out);
  }
  state.SetLabel(label(state.range(0)));
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_Encode<true>)->Name("encode/protobuf")->DenseRange(0, 2);
BENCHMARK(BM_Encode<false>)->Name("encode/wire")->DenseRange(0, 2);
BENCHMARK(BM_Decode<true>)->Name("decode/protobuf")->DenseRange(0, 2);
BENCHMARK(BM_Decode<false>)->Name("decode/wire")->DenseRange(0, 2);

}  // namespace

BENCHMARK_MAIN();
