// Differential test of the hand-written peer codec (src/cluster/peer_codec.cpp) against the
// protobuf-based one it replaced (support/peer_codec_reference.*, built on the generated
// drl::v1 classes): random messages of every kind must encode to the same bytes, and bytes
// the generated classes accept (reordered fields, unknown fields, unpacked logs, repeated
// scalars and split sub-messages, truncations, random corruption) must decode to the same
// values or be refused by both. Randomised: prints the seed; DRL_SEED replays one.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "cluster/peer_codec.h"
#include "cluster/support/peer_codec_reference.h"
#include "common/random.h"

namespace drl::cluster {
namespace {

namespace io = google::protobuf::io;

uint64_t seed() {
  static const uint64_t s = [] {
    const char* env = std::getenv("DRL_SEED");
    const uint64_t v =
        env ? std::strtoull(env, nullptr, 10)
            : static_cast<uint64_t>(std::random_device{}()) << 32 | std::random_device{}();
    std::printf("peer codec diff test: DRL_SEED=%llu\n", static_cast<unsigned long long>(v));
    google::protobuf::SetLogHandler(nullptr);  // the reference logs invalid UTF-8 it meets
    return v;
  }();
  return s;
}

std::string hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s.substr(0, 400)) out += {d[c >> 4], d[c & 15]};
  return s.size() > 400 ? out + "..." : out;
}

// What a message is, readably, through the reference's generated message.
std::string show(const PeerMessage& m) {
  v1::PeerMessage pb;
  reference::to_proto(m, pb);
  return pb.ShortDebugString().substr(0, 2000);
}

// ---- Random values, biased towards the edges of each encoding.

class Gen {
 public:
  explicit Gen(uint64_t s) : rng_(s) {}
  Random& rng() { return rng_; }
  bool coin(int one_in = 2) { return rng_.below(static_cast<uint64_t>(one_in)) == 0; }

  uint64_t u64() {
    static constexpr uint64_t kEdges[] = {
        0, 1, 127, 128, 16383, 16384, UINT32_MAX, uint64_t{1} << 63, UINT64_MAX};
    switch (rng_.below(4)) {
      case 0:
        return kEdges[rng_.below(std::size(kEdges))];
      case 1:
        return rng_.below(300);
      case 2:
        return rng_() >> rng_.below(64);
      default:
        return rng_();
    }
  }
  uint32_t u32() { return static_cast<uint32_t>(coin(3) ? rng_.below(5) : u64()); }
  int64_t i64() {
    static constexpr int64_t kEdges[] = {0, -1, 1, INT64_MIN, INT64_MAX, -128};
    return coin(3) ? kEdges[rng_.below(std::size(kEdges))] : static_cast<int64_t>(u64());
  }
  bool boolean() { return coin(); }

  std::string bytes() {
    const size_t n = coin(10) ? 128 + rng_.below(5000) : rng_.below(coin(3) ? 0 : 40);
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng_.below(256));
    return s;
  }
  // proto3 `string` fields: valid UTF-8 (the reference refuses to parse anything else).
  std::string text() {
    static const char* kPieces[] = {
        "n", "3", ":", "window must be > 0", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", " "};
    std::string s;
    for (uint64_t i = rng_.below(coin(3) ? 1 : 12); i > 0; --i) s += kPieces[rng_.below(8)];
    return s;
  }
  template <typename E>
  E enumeration(uint32_t max) {  // rarely out of range, to reach the validation errors
    return static_cast<E>(coin(40) ? max + 1 + rng_.below(254 - max) : rng_.below(max + 1));
  }
  size_t count() {
    if (coin(8)) return 0;
    return coin(6) ? 200 + rng_.below(100) : rng_.below(8);
  }

  limits::Limit limit() {
    return {enumeration<limits::Algorithm>(4), u64(), i64(), u64(),
            enumeration<limits::Calendar>(4)};
  }
  ForwardedCheck check() {
    ForwardedCheck c;
    c.request_id = u64();
    c.hops = u32();
    c.must_decide = boolean();
    c.budget = i64();
    c.origin = coin() ? std::string() : text();
    c.origin_id = u64();
    c.key = bytes();
    c.limit = limit();
    c.request = {u64(), boolean(), boolean(), boolean(), boolean()};
    c.degrade = enumeration<DegradeMode>(2);
    c.memory_full = enumeration<limits::MemoryFullMode>(2);
    c.policy = coin() ? std::string() : text();
    c.client_shadow = boolean();
    return c;
  }
  CheckAnswer answer() {
    CheckAnswer a;
    a.request_id = u64();
    a.decision = {boolean(), boolean(), u64(), u64(), i64(), i64(), i64(), boolean(), boolean()};
    a.decided_by = text();
    a.degraded = boolean();
    a.hops = u32();
    a.error = text();
    if (coin()) a.limit = limit();
    return a;
  }
  store::KeyRecord record() {
    store::KeyRecord r;
    r.key = bytes();
    r.algorithm = enumeration<limits::Algorithm>(4);
    r.state = {i64(), u32(), u32()};
    for (uint64_t i = coin(2) ? 0 : rng_.below(coin(5) ? 300 : 5); i > 0; --i) {
      r.log.push_back(i64());
    }
    r.expires_at = i64();
    r.version = u64();
    return r;
  }
  PeerMessage message() {
    switch (rng_.below(7)) {
      case 0: {
        CheckBatch b;
        for (size_t n = count(); n > 0; --n) b.checks.push_back(check());
        return b;
      }
      case 1: {
        AnswerBatch b;
        for (size_t n = count(); n > 0; --n) b.answers.push_back(answer());
        return b;
      }
      case 2: {
        ReplicaBatch b;
        for (size_t n = count() / 4; n > 0; --n) b.records.push_back(record());
        return b;
      }
      case 3: {
        HandoffRequest h{u64(), {}};
        for (size_t n = count(); n > 0; --n) h.ranges.push_back({u64(), u64()});
        return h;
      }
      case 4: {
        HandoffChunk h{u64(), {}, boolean()};
        for (size_t n = count() / 4; n > 0; --n) h.records.push_back(record());
        return h;
      }
      case 5:
        return PolicyDigest{u64(), u64()};
      default:
        return PolicyOffer{u64(), u64(), bytes(), text(), coin() ? std::string() : bytes()};
    }
  }

 private:
  Random rng_;
};

// ---- Other bytes the generated parser accepts for the same message, written field by field
// with protobuf's own coded streams (not the reader under test).

enum class Kind {
  kMessage,
  kChecks,
  kAnswers,
  kRecords,
  kRequest,
  kChunk,
  kCheck,
  kAnswer,
  kRecord,
  kRange,
  kLeaf
};

// The message type of a length-delimited field, or kLeaf for bytes/strings/packed.
Kind child(Kind k, uint32_t number) {
  switch (k) {
    case Kind::kMessage: {
      // A policy digest or offer: scalars and bytes only, like a range.
      static constexpr Kind kBodies[] = {Kind::kChecks,  Kind::kAnswers, Kind::kRecords,
                                         Kind::kRequest, Kind::kChunk,   Kind::kRange,
                                         Kind::kRange};
      return number >= 1 && number <= 7 ? kBodies[number - 1] : Kind::kLeaf;
    }
    case Kind::kChecks:
      return number == 1 ? Kind::kCheck : Kind::kLeaf;
    case Kind::kAnswers:
      return number == 1 ? Kind::kAnswer : Kind::kLeaf;
    case Kind::kRecords:
      return number == 1 ? Kind::kRecord : Kind::kLeaf;
    case Kind::kRequest:
      return number == 2 || number == 7 ? Kind::kRange : Kind::kLeaf;
    case Kind::kChunk:
      return number == 2 ? Kind::kRecord : Kind::kLeaf;
    // limit, request, decision (and an answer's limit): scalars only, like a range
    case Kind::kCheck:
      return number == 5 || number == 6 ? Kind::kRange : Kind::kLeaf;
    case Kind::kAnswer:
      return number == 2 || number == 7 ? Kind::kRange : Kind::kLeaf;
    default:
      return Kind::kLeaf;
  }
}
bool repeated(Kind k, uint32_t number) {
  return (k != Kind::kMessage && k != Kind::kCheck && k != Kind::kAnswer &&
          child(k, number) != Kind::kLeaf && k != Kind::kRange) ||
         (k == Kind::kRecord && number == 6);
}

struct WireField {
  uint32_t tag;
  uint64_t value;       // varint
  std::string payload;  // length-delimited
};

std::vector<WireField> read_fields(const std::string& bytes) {
  io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  std::vector<WireField> fields;
  while (uint32_t tag = in.ReadTag()) {
    WireField f{tag, 0, {}};
    if ((tag & 7) == 0) {
      EXPECT_TRUE(in.ReadVarint64(&f.value));
    } else if ((tag & 7) == 1) {
      EXPECT_TRUE(in.ReadLittleEndian64(&f.value));
    } else if ((tag & 7) == 5) {
      uint32_t v = 0;
      EXPECT_TRUE(in.ReadLittleEndian32(&v));
      f.value = v;
    } else {
      uint32_t len = 0;
      EXPECT_TRUE(in.ReadVarint32(&len) && in.ReadString(&f.payload, static_cast<int>(len)));
    }
    fields.push_back(std::move(f));
  }
  return fields;
}

void write_field(io::CodedOutputStream& out, const WireField& f) {
  out.WriteTag(f.tag);
  if ((f.tag & 7) == 0) {
    out.WriteVarint64(f.value);
  } else if ((f.tag & 7) == 1) {
    out.WriteLittleEndian64(f.value);
  } else if ((f.tag & 7) == 5) {
    out.WriteLittleEndian32(static_cast<uint32_t>(f.value));
  } else {
    out.WriteVarint32(static_cast<uint32_t>(f.payload.size()));
    out.WriteString(f.payload);
  }
}

std::string scramble(const std::string& bytes, Kind kind, Gen& g) {
  std::vector<WireField> in = read_fields(bytes), fields;
  for (auto& f : in) {
    const uint32_t number = f.tag >> 3;
    if ((f.tag & 7) == 2 && child(kind, number) != Kind::kLeaf) {
      const Kind sub = child(kind, number);
      if (!repeated(kind, number) && g.coin(4)) {  // split: the two halves merge again
        std::vector<WireField> parts = read_fields(f.payload);
        const size_t cut = g.rng().below(parts.size() + 1);
        std::string first, second;
        {
          io::StringOutputStream s1(&first), s2(&second);
          io::CodedOutputStream o1(&s1), o2(&s2);
          for (size_t i = 0; i < parts.size(); ++i) write_field(i < cut ? o1 : o2, parts[i]);
        }
        fields.push_back({f.tag, 0, scramble(first, sub, g)});
        f.payload = second;
      }
      f.payload = scramble(f.payload, sub, g);
    } else if (kind == Kind::kRecord && number == 6 && g.coin()) {  // unpacked log
      io::CodedInputStream packed(reinterpret_cast<const uint8_t*>(f.payload.data()),
                                  static_cast<int>(f.payload.size()));
      uint64_t v = 0;
      while (packed.ReadVarint64(&v)) fields.push_back({6 << 3, v, {}});
      continue;
    } else if ((f.tag & 7) == 0 && !repeated(kind, number) && g.coin(6)) {
      fields.push_back({f.tag, g.u64(), {}});  // an earlier value the last one overrides
    } else if ((f.tag & 7) == 2 && g.coin(10) &&
               (kind == Kind::kCheck || kind == Kind::kAnswer ||
                (kind == Kind::kRecord && number == 1))) {
      // An earlier string/bytes value (UTF-8 where the field is a string).
      const bool text = (kind == Kind::kAnswer && number != 7) ||
                        (kind == Kind::kCheck && (number == 10 || number == 13));
      fields.push_back({f.tag, 0, text ? g.text() : g.bytes()});
    }
    fields.push_back(std::move(f));
  }
  for (int n = g.coin(3) ? 1 + static_cast<int>(g.rng().below(3)) : 0; n > 0; --n) {
    static constexpr uint32_t kTypes[] = {0, 1, 2, 5};
    const uint32_t type = kTypes[g.rng().below(4)];
    // Unknown to every message: drl's largest field number is 14 (PeerForwardedCheck).
    uint32_t number = 16 + static_cast<uint32_t>(g.rng().below(3000));
    if (type == 1 || type == 5) number = 1 + static_cast<uint32_t>(g.rng().below(8));  // wrong type
    fields.push_back({number << 3 | type, g.u64(), g.bytes()});
  }
  // Reorder, keeping the order among occurrences of one field number (it matters).
  std::map<uint32_t, uint64_t> rank;
  for (const auto& f : fields) rank.emplace(f.tag >> 3, g.rng()());
  if (g.coin(3)) {
    std::stable_sort(fields.begin(), fields.end(), [&](const WireField& a, const WireField& b) {
      return rank[a.tag >> 3] < rank[b.tag >> 3];
    });
  }
  std::string out;
  {
    io::StringOutputStream s(&out);
    io::CodedOutputStream o(&s);
    for (const auto& f : fields) write_field(o, f);
  }
  return out;
}

// Both decoders on the same bytes: the same values, or both refuse. A value error (unknown
// algorithm...) must be the same sentence; a parse error may say more than the reference.
void expect_same_decoding(std::string_view bytes, const std::string& context) {
  PeerMessage expected, actual;
  const std::string want = reference::decode_peer_message(bytes, expected);
  const std::string got = decode_peer_message(bytes, actual);
  const std::string where = context + " bytes=" + hex(bytes);
  if (want.empty()) {
    ASSERT_EQ(got, "") << where;
    ASSERT_EQ(reference::encode_peer_message(actual), reference::encode_peer_message(expected))
        << where << "\nwant " << show(expected) << "\ngot  " << show(actual);
  } else if (want == reference::kNotValid) {
    ASSERT_EQ(got.rfind(reference::kNotValid, 0), 0u) << where << " got: " << got;
  } else {
    ASSERT_EQ(got, want) << where;
  }
}

TEST(PeerCodecDiffTest, EncodesTheBytesOfTheGeneratedClasses) {
  Gen g(seed());
  for (int i = 0; i < 1500; ++i) {
    const PeerMessage m = g.message();
    const std::string want = reference::encode_peer_message(m);
    ASSERT_EQ(encode_peer_message(m), want)
        << "seed " << seed() << " message " << i << ": " << show(m);
  }
}

TEST(PeerCodecDiffTest, DecodesWhatTheGeneratedClassesWriteAndAccept) {
  Gen g(seed() + 1);
  for (int i = 0; i < 1500; ++i) {
    const PeerMessage m = g.message();
    const std::string canonical = reference::encode_peer_message(m);
    const std::string other = scramble(canonical, Kind::kMessage, g);
    // The scrambled bytes are the same message to protobuf itself.
    v1::PeerMessage a, b;
    ASSERT_TRUE(a.ParseFromString(canonical) && b.ParseFromString(other));
    ASSERT_TRUE(google::protobuf::util::MessageDifferencer::Equivalent(a, b))
        << a.ShortDebugString() << "\n"
        << b.ShortDebugString();
    const std::string context = "seed " + std::to_string(seed()) + " message " + std::to_string(i);
    expect_same_decoding(canonical, context + " (canonical)");
    expect_same_decoding(other, context + " (scrambled)");
    if (HasFatalFailure()) return;
  }
}

TEST(PeerCodecDiffTest, EveryPrefixIsRefusedOrAShorterMessageAsBefore) {
  Gen g(seed() + 2);
  for (int i = 0; i < 60; ++i) {
    const PeerMessage m = g.message();
    std::string bytes = encode_peer_message(m);
    if (bytes.size() > 3000) bytes.resize(3000);  // every prefix of a bounded message
    for (size_t n = 0; n <= bytes.size(); ++n) {
      // A copy of exactly n bytes, so that reading past the prefix is caught by ASan.
      const std::string prefix = bytes.substr(0, n);
      expect_same_decoding(prefix,
                           "seed " + std::to_string(seed()) + " prefix " + std::to_string(n));
      if (HasFatalFailure()) return;
    }
  }
}

TEST(PeerCodecDiffTest, CorruptedBytesAreDecodedAsTheGeneratedParserDoes) {
  Gen g(seed() + 3);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = encode_peer_message(g.message());
    if (bytes.size() > 2000) bytes.resize(2000);
    for (int k = 1 + static_cast<int>(g.rng().below(4)); k > 0; --k) {
      const size_t at = g.rng().below(bytes.size() + 1);
      switch (g.rng().below(4)) {
        case 0:
          if (at < bytes.size()) bytes[at] = static_cast<char>(g.rng().below(256));
          break;
        case 1:
          if (at < bytes.size()) bytes[at] ^= static_cast<char>(1 << g.rng().below(8));
          break;
        case 2:
          bytes.insert(at, 1, static_cast<char>(g.rng().below(256)));
          break;
        default:
          bytes.resize(at);
          break;
      }
    }
    expect_same_decoding(bytes,
                         "seed " + std::to_string(seed()) + " corruption " + std::to_string(i));
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace drl::cluster
