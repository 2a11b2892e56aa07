// A hand-written encoder and decoder of drl.v1.PeerMessage (proto/drl/peer.proto): the same
// bytes as the generated classes, without building a protobuf message per check, answer and
// record (docs/optimization.md, "A hand-written peer codec"). The encoder writes what
// protobuf's serializer writes: fields in number order, proto3 zero scalars omitted,
// sub-messages always present, `log` packed, minimal varints. The decoder accepts what
// protobuf's parser accepts (any field order, unknown fields of every wire type skipped,
// groups up to 64 deep included, `log` packed or not, the last occurrence of a scalar wins,
// a repeated occurrence of a sub-message merges into it, a later oneof body replaces an
// earlier one, proto3 strings must be UTF-8) and refuses the rest with a sentence.
// tests/cluster/peer_codec_diff_test.cpp checks both against the generated classes.
#include <cassert>
#include <cstring>
#include <string>

#include "cluster/peer_codec.h"
#include "common/wire_format.h"

namespace drl::cluster {
namespace {

namespace wire = protowire;

using wire::Field;
using wire::Reader;
using wire::varint_size;

constexpr uint32_t kMaxAlgorithm = static_cast<uint32_t>(limits::Algorithm::kSlidingWindow);
constexpr uint32_t kMaxCalendar = static_cast<uint32_t>(limits::Calendar::kMonth);
constexpr uint32_t kMaxDegrade = static_cast<uint32_t>(DegradeMode::kClosed);
constexpr uint32_t kMaxMemoryFull = static_cast<uint32_t>(limits::MemoryFullMode::kRefuse);

// ---- Sizes: exactly what the writers below write. Every field number is < 16, so every
// tag is one byte.

using wire::bool_field;
using wire::bytes_field;
using wire::message_field;
using wire::varint_field;
uint64_t u64(int64_t v) { return static_cast<uint64_t>(v); }

size_t limit_size(const limits::Limit& l) {
  return varint_field(static_cast<uint32_t>(l.algorithm)) + varint_field(l.limit) +
         varint_field(u64(l.window)) + varint_field(l.burst) +
         varint_field(static_cast<uint32_t>(l.calendar));
}

size_t request_size(const limits::Request& r) {
  return varint_field(r.cost) + bool_field(r.refund) + bool_field(r.reset) +
         bool_field(r.drain_on_deny) + bool_field(r.shadow);
}

size_t decision_size(const limits::Decision& d) {
  return bool_field(d.allowed) + bool_field(d.shadow_denied) + varint_field(d.limit) +
         varint_field(d.remaining) + varint_field(u64(d.reset_at)) +
         varint_field(u64(d.retry_after)) + varint_field(u64(d.delay)) + bool_field(d.untracked) +
         bool_field(d.reset_by_eviction);
}

size_t check_size(const ForwardedCheck& c) {
  return varint_field(c.request_id) + varint_field(c.hops) + bool_field(c.must_decide) +
         bytes_field(c.key) + message_field(limit_size(c.limit)) +
         message_field(request_size(c.request)) + varint_field(static_cast<uint32_t>(c.degrade)) +
         varint_field(u64(c.budget)) + bytes_field(c.origin) + varint_field(c.origin_id) +
         varint_field(static_cast<uint32_t>(c.memory_full)) + bytes_field(c.policy) +
         bool_field(c.client_shadow);
}

size_t answer_size(const CheckAnswer& a) {
  return varint_field(a.request_id) + message_field(decision_size(a.decision)) +
         bytes_field(a.decided_by) + bool_field(a.degraded) + varint_field(a.hops) +
         bytes_field(a.error) + (a.limit ? message_field(limit_size(*a.limit)) : 0);
}

size_t log_size(const limits::SlidingLog& log) {
  size_t n = 0;
  for (TimePoint t : log) n += varint_size(u64(t));
  return n;
}

size_t record_size(const store::KeyRecord& r) {
  return bytes_field(r.key) + varint_field(static_cast<uint32_t>(r.algorithm)) +
         varint_field(u64(r.state.t)) + varint_field(r.state.a) + varint_field(r.state.b) +
         (r.log.empty() ? 0 : message_field(log_size(r.log))) + varint_field(u64(r.expires_at)) +
         varint_field(r.version);
}

size_t range_size(const ring::HashRange& r) { return varint_field(r.lo) + varint_field(r.hi); }

// The size of each element of a repeated sub-message field, kept for the writer (computing
// it once halves the encoder's work), and the size of all of them with their headers.
template <typename T, typename SizeOf>
size_t element_sizes(const std::vector<T>& elements, SizeOf size_of, std::vector<size_t>& sizes) {
  sizes.resize(elements.size());
  size_t n = 0;
  for (size_t i = 0; i < elements.size(); ++i) n += message_field(sizes[i] = size_of(elements[i]));
  return n;
}

// The body's size; `sizes` gets its checks', answers' or records' sizes.
size_t body_size(const PeerMessage& message, std::vector<size_t>& sizes) {
  size_t n = 0;
  if (const auto* m = std::get_if<CheckBatch>(&message)) {
    n = element_sizes(m->checks, check_size, sizes);
  } else if (const auto* m = std::get_if<AnswerBatch>(&message)) {
    n = element_sizes(m->answers, answer_size, sizes);
  } else if (const auto* m = std::get_if<ReplicaBatch>(&message)) {
    n = element_sizes(m->records, record_size, sizes);
  } else if (const auto* m = std::get_if<HandoffRequest>(&message)) {
    n = varint_field(m->request_id);
    for (const auto& r : m->ranges) n += message_field(range_size(r));
  } else if (const auto* m = std::get_if<HandoffChunk>(&message)) {
    n = varint_field(m->request_id) + element_sizes(m->records, record_size, sizes) +
        bool_field(m->last);
  } else if (const auto* m = std::get_if<PolicyDigest>(&message)) {
    n = varint_field(m->version) + varint_field(m->hash);
  } else if (const auto* m = std::get_if<PolicyOffer>(&message)) {
    n = varint_field(m->version) + varint_field(m->hash) + bytes_field(m->yaml) +
        bytes_field(m->origin) + bytes_field(m->rls);
  }
  return n;
}

// ---- Writers: each takes the next free byte and returns the new one. The buffer was
// sized by the functions above.

class Writer : public wire::FieldWriter {
 public:
  using FieldWriter::FieldWriter;

  void limit(uint32_t field, const limits::Limit& l) {
    header(field, limit_size(l));
    varint(1, static_cast<uint32_t>(l.algorithm));
    varint(2, l.limit);
    varint(3, u64(l.window));
    varint(4, l.burst);
    varint(5, static_cast<uint32_t>(l.calendar));
  }
  void request(uint32_t field, const limits::Request& r) {
    header(field, request_size(r));
    varint(1, r.cost);
    boolean(2, r.refund);
    boolean(3, r.reset);
    boolean(4, r.drain_on_deny);
    boolean(5, r.shadow);
  }
  void decision(uint32_t field, const limits::Decision& d) {
    header(field, decision_size(d));
    boolean(1, d.allowed);
    boolean(2, d.shadow_denied);
    varint(3, d.limit);
    varint(4, d.remaining);
    varint(5, u64(d.reset_at));
    varint(6, u64(d.retry_after));
    varint(7, u64(d.delay));
    boolean(8, d.untracked);
    boolean(9, d.reset_by_eviction);
  }
  void check(uint32_t field, const ForwardedCheck& c, size_t size) {
    header(field, size);
    varint(1, c.request_id);
    varint(2, c.hops);
    boolean(3, c.must_decide);
    bytes(4, c.key);
    limit(5, c.limit);
    request(6, c.request);
    varint(7, static_cast<uint32_t>(c.degrade));
    // 8 (deadline_ns, a wall-clock instant) is no longer written.
    varint(9, u64(c.budget));
    bytes(10, c.origin);
    varint(11, c.origin_id);
    varint(12, static_cast<uint32_t>(c.memory_full));
    bytes(13, c.policy);
    boolean(14, c.client_shadow);
  }
  void answer(uint32_t field, const CheckAnswer& a, size_t size) {
    header(field, size);
    varint(1, a.request_id);
    decision(2, a.decision);
    bytes(3, a.decided_by);
    boolean(4, a.degraded);
    varint(5, a.hops);
    bytes(6, a.error);
    if (a.limit) limit(7, *a.limit);
  }
  void record(uint32_t field, const store::KeyRecord& r, size_t size) {
    header(field, size);
    bytes(1, r.key);
    varint(2, static_cast<uint32_t>(r.algorithm));
    varint(3, u64(r.state.t));
    varint(4, r.state.a);
    varint(5, r.state.b);
    if (!r.log.empty()) {
      header(6, log_size(r.log));
      for (TimePoint t : r.log) p_ = wire::put_varint(p_, u64(t));
    }
    varint(7, u64(r.expires_at));
    varint(8, r.version);
  }
  void range(uint32_t field, const ring::HashRange& r) {
    header(field, range_size(r));
    varint(1, r.lo);
    varint(2, r.hi);
  }
};

// ---- Decoding. Each parse_* reads one (sub-)message into a value that already holds what
// earlier occurrences set, so a repeated occurrence merges as in protobuf. Enum fields are
// kept raw and validated when the message is complete, so the last occurrence decides.

constexpr char kNotUtf8[] = "a string field is not valid UTF-8";

// proto3 `string` fields must be UTF-8 (the generated parser refuses them otherwise): no
// overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const auto* end = p + s.size();
  while (p != end) {
    const uint8_t c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0, min = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) < len) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[k] & 0xc0) != 0x80) return false;
      cp = cp << 6 | (p[k] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    p += len;
  }
  return true;
}

// How often `number` occurs as a length-delimited field in r: a pass over tags and lengths
// only, to size a vector once. Stops at malformed bytes, which the real pass reports. (Each
// occurrence takes 2 bytes or more, as each element would without the reservation.)
size_t count_messages(Reader r, uint32_t number) {
  size_t n = 0;
  Field f;
  while (!r.done() && r.next(f) == nullptr) n += f.number == number && f.type == wire::kLength;
  return n;
}

template <typename T>
void reserve_more(std::vector<T>& v, Reader r, uint32_t number) {
  v.reserve(v.size() + count_messages(r, number));
}

class Decoder {
 public:
  explicit Decoder(std::string_view bytes) : bytes_(bytes) {}

  std::string run(PeerMessage& out) {
    Reader r(bytes_);
    uint32_t body = 0;
    Field f;
    while (!r.done()) {
      if (!next(r, f)) return error();
      if (f.type != wire::kLength || f.number < 1 || f.number > 7) continue;
      if (f.number != body) {  // a oneof: a new body replaces the previous one
        body = f.number;
        invalid_.clear();
        reset(out, body);
      }
      if (!parse_body(Reader(f.bytes), out)) return error();
    }
    if (body == 0) return "peer message has no body";
    return invalid_;
  }

 private:
  static void reset(PeerMessage& out, uint32_t body) {
    switch (body) {
      case 1:
        out.emplace<CheckBatch>();
        break;
      case 2:
        out.emplace<AnswerBatch>();
        break;
      case 3:
        out.emplace<ReplicaBatch>();
        break;
      case 4:
        out.emplace<HandoffRequest>();
        break;
      case 5:
        out.emplace<HandoffChunk>();
        break;
      case 6:
        out.emplace<PolicyDigest>();
        break;
      default:
        out.emplace<PolicyOffer>();
        break;
    }
  }

  bool parse_body(Reader r, PeerMessage& out) {
    if (auto* m = std::get_if<CheckBatch>(&out)) return parse_checks(r, *m);
    if (auto* m = std::get_if<AnswerBatch>(&out)) return parse_answers(r, *m);
    if (auto* m = std::get_if<ReplicaBatch>(&out)) {
      return parse_records(r, 1, m->records, "replica batch: ", nullptr, nullptr);
    }
    if (auto* m = std::get_if<HandoffRequest>(&out)) return parse_handoff_request(r, *m);
    if (auto* m = std::get_if<PolicyDigest>(&out)) return parse_policy(r, m->version, m->hash);
    if (auto* m = std::get_if<PolicyOffer>(&out)) return parse_policy(r, m->version, m->hash, m);
    auto& m = std::get<HandoffChunk>(out);
    return parse_records(r, 2, m.records, "hand-off chunk: ", &m.request_id, &m.last);
  }

  // A policy digest (version 1, hash 2) or, with `offer`, an offer (also yaml 3, origin 4,
  // rls 5).
  bool parse_policy(Reader r, uint64_t& version, uint64_t& hash, PolicyOffer* offer = nullptr) {
    Field f;
    while (!r.done()) {
      if (!next(r, f)) return false;
      if (f.type == wire::kVarint) {
        if (f.number == 1) version = f.value;
        if (f.number == 2) hash = f.value;
      } else if (f.type == wire::kLength && offer != nullptr) {
        if (f.number == 3) offer->yaml.assign(f.bytes);
        if (f.number == 5) offer->rls.assign(f.bytes);
        if (f.number == 4) {
          if (!valid_utf8(f.bytes)) return fail(f.bytes.data(), kNotUtf8);
          offer->origin.assign(f.bytes);
        }
      }
    }
    return true;
  }

  bool parse_checks(Reader r, CheckBatch& batch) {
    reserve_more(batch.checks, r, 1);
    Field f;
    while (!r.done()) {
      if (!next(r, f)) return false;
      if (f.number != 1 || f.type != wire::kLength) continue;
      ForwardedCheck& c = batch.checks.emplace_back();
      c.hops = 0;  // absent fields are proto3 zeros, not the struct's defaults
      c.request.cost = 0;
      if (!parse_check(Reader(f.bytes), c)) return false;
    }
    return true;
  }

  bool parse_check(Reader r, ForwardedCheck& c) {
    uint32_t algorithm = 0, calendar = 0, degrade = 0, memory_full = 0;
    Field f;
    while (!r.done()) {
      if (!next(r, f)) return false;
      if (f.type == wire::kVarint) {
        switch (f.number) {
          case 1:
            c.request_id = f.value;
            break;
          case 2:
            c.hops = static_cast<uint32_t>(f.value);
            break;
          case 3:
            c.must_decide = f.value != 0;
            break;
          case 7:
            degrade = static_cast<uint32_t>(f.value);
            break;
          case 9:
            c.budget = static_cast<int64_t>(f.value);
            break;
          case 11:
            c.origin_id = f.value;
            break;
          case 12:
            memory_full = static_cast<uint32_t>(f.value);
            break;
          case 14:
            c.client_shadow = f.value != 0;
            break;
          default:
            break;
        }
      } else if (f.type == wire::kLength) {
        if (f.number == 4) {
          c.key.assign(f.bytes);
        } else if (f.number == 10 || f.number == 13) {
          if (!valid_utf8(f.bytes)) return fail(f.bytes.data(), kNotUtf8);
          (f.number == 10 ? c.origin : c.policy).assign(f.bytes);
        } else if (f.number == 5) {
          if (!parse_limit(Reader(f.bytes), c.limit, algorithm, calendar)) return false;
        } else if (f.number == 6) {
          if (!parse_request(Reader(f.bytes), c.request)) return false;
        }
      }
    }
    if (algorithm > kMaxAlgorithm) {
      invalid("check: unknown algorithm " + std::to_string(algorithm));
    } else if (calendar > kMaxCalendar) {
      invalid("check: unknown calendar " + std::to_string(calendar));
    } else if (degrade > kMaxDegrade) {
      invalid("check: unknown degrade mode " + std::to_string(degrade));
    } else if (memory_full > kMaxMemoryFull) {
      invalid("check: unknown memory-full mode " + std::to_string(memory_full));
    }
    c.limit.algorithm = static_cast<limits::Algorithm>(algorithm);
    c.limit.calendar = static_cast<limits::Calendar>(calendar);
    c.degrade = static_cast<DegradeMode>(degrade);
    c.memory_full = static_cast<limits::MemoryFullMode>(memory_full);
    return true;
  }

  bool parse_limit(Reader r, limits::Limit& l, uint32_t& algorithm, uint32_t& calendar) {
    Field f;
    while (!r.done()) {
      if (!next(r, f)) return false;
      if (f.type != wire::kVarint) continue;
      switch (f.number) {
        case 1:
          algorithm = static_cast<uint32_t>(f.value);
          break;
        case 2:
          l.limit = f.value;
          break;
        case 3:
          l.window = static_cast<int64_t>(f.value);
          break;
        case 4:
          l.burst = f.value;
          break;
        case 5:
          calendar = static_cast<uint32_t>(f.value);
          break;
        default:
          break;
      }
    }
    return true;
  }

  bool parse_request(Reader r, limits::Request& q) {
    Field f;
    while (!r.done()) {
      if (!next(r, f)) return false;
      if (f.type != wire::kVarint) continue;
      switch (f.number) {
        case 1:
          q.cost = f.value;
          break;
        case 2:
          q.refund = f.value != 0;
          break;
        case 3:
          q.reset = f.value != 0;
          break;
        case 4:
          q.drain_on_deny = f.value != 0;
          break;
        case 5:
          q.shadow = f.value != 0;
          break;
        default:
          break;
      }
    }
    return true;
  }

  bool parse_answers(Reader r, AnswerBatch& batch) {
    reserve_more(batch.answers, r, 1);
    Field f;
    while (!r.done()) {
      if (!next(r, f)) return false;
      if (f.number != 1 || f.type != wire::kLength) continue;
      if (!parse_answer(Reader(f.bytes), batch.answers.emplace_back())) return false;
    }
    return true;
  }

  bool parse_answer(Reader r, CheckAnswer& a) {
    uint32_t algorithm = 0, calendar = 0;
    Field f;
    while (!r.done()) {
      if (!next(r, f)) return false;
      if (f.type == wire::kVarint) {
        switch (f.number) {
          case 1:
            a.request_id = f.value;
            break;
          case 4:
            a.degraded = f.value != 0;
            break;
          case 5:
            a.hops = static_cast<uint32_t>(f.value);
            break;
          default:
            break;
        }
      } else if (f.type == wire::kLength) {
        if (f.number == 2) {
          if (!parse_decision(Reader(f.bytes), a.decision)) return false;
        } else if (f.number == 3 || f.number == 6) {
          if (!valid_utf8(f.bytes)) return fail(f.bytes.data(), kNotUtf8);
          (f.number == 3 ? a.decided_by : a.error).assign(f.bytes);
        } else if (f.number == 7) {
          if (!a.limit) a.limit.emplace();
          if (!parse_limit(Reader(f.bytes), *a.limit, algorithm, calendar)) return false;
        }
      }
    }
    if (a.limit) {
      if (algorithm > kMaxAlgorithm) {
        invalid("answer: unknown algorithm " + std::to_string(algorithm));
      } else if (calendar > kMaxCalendar) {
        invalid("answer: unknown calendar " + std::to_string(calendar));
      }
      a.limit->algorithm = static_cast<limits::Algorithm>(algorithm);
      a.limit->calendar = static_cast<limits::Calendar>(calendar);
    }
    return true;
  }

  bool parse_decision(Reader r, limits::Decision& d) {
    Field f;
    while (!r.done()) {
      if (!next(r, f)) return false;
      if (f.type != wire::kVarint) continue;
      switch (f.number) {
        case 1:
          d.allowed = f.value != 0;
          break;
        case 2:
          d.shadow_denied = f.value != 0;
          break;
        case 3:
          d.limit = f.value;
          break;
        case 4:
          d.remaining = f.value;
          break;
        case 5:
          d.reset_at = static_cast<int64_t>(f.value);
          break;
        case 6:
          d.retry_after = static_cast<int64_t>(f.value);
          break;
        case 7:
          d.delay = static_cast<int64_t>(f.value);
          break;
        case 8:
          d.untracked = f.value != 0;
          break;
        case 9:
          d.reset_by_eviction = f.value != 0;
          break;
        default:
          break;
      }
    }
    return true;
  }

  // The records of a ReplicaBatch (field 1) or a HandoffChunk (field 2, with request_id 1
  // and last 3; null for a ReplicaBatch).
  bool parse_records(Reader r, uint32_t records_field, std::vector<store::KeyRecord>& records,
                     const char* context, uint64_t* request_id, bool* last) {
    reserve_more(records, r, records_field);
    Field f;
    while (!r.done()) {
      if (!next(r, f)) return false;
      if (f.type == wire::kLength && f.number == records_field) {
        uint32_t algorithm = 0;
        if (!parse_record(Reader(f.bytes), records.emplace_back(), algorithm)) return false;
        if (algorithm > kMaxAlgorithm) {
          invalid(context + ("record " + std::to_string(records.size() - 1)) +
                  ": unknown algorithm " + std::to_string(algorithm));
        }
      } else if (f.type == wire::kVarint && request_id != nullptr) {
        if (f.number == 1) *request_id = f.value;
        if (f.number == 3) *last = f.value != 0;
      }
    }
    return true;
  }

  bool parse_record(Reader r, store::KeyRecord& k, uint32_t& algorithm) {
    Field f;
    while (!r.done()) {
      if (!next(r, f)) return false;
      if (f.type == wire::kVarint) {
        switch (f.number) {
          case 2:
            algorithm = static_cast<uint32_t>(f.value);
            break;
          case 3:
            k.state.t = static_cast<int64_t>(f.value);
            break;
          case 4:
            k.state.a = static_cast<uint32_t>(f.value);
            break;
          case 5:
            k.state.b = static_cast<uint32_t>(f.value);
            break;
          case 6:
            k.log.push_back(static_cast<int64_t>(f.value));
            break;  // unpacked
          case 7:
            k.expires_at = static_cast<int64_t>(f.value);
            break;
          case 8:
            k.version = f.value;
            break;
          default:
            break;
        }
      } else if (f.type == wire::kLength) {
        if (f.number == 1) {
          k.key.assign(f.bytes);
        } else if (f.number == 6) {  // packed
          Reader packed(f.bytes);
          uint64_t v = 0;
          while (!packed.done()) {
            if (!packed.varint(v)) return fail(packed.position(), "a packed log is truncated");
            k.log.push_back(static_cast<int64_t>(v));
          }
        }
      }
    }
    k.algorithm = static_cast<limits::Algorithm>(algorithm);
    return true;
  }

  bool parse_handoff_request(Reader r, HandoffRequest& m) {
    Field f;
    while (!r.done()) {
      if (!next(r, f)) return false;
      if (f.type == wire::kVarint && f.number == 1) {
        m.request_id = f.value;
      } else if (f.type == wire::kLength && f.number == 2) {
        ring::HashRange& range = m.ranges.emplace_back();
        range = {0, 0};
        Reader rr(f.bytes);
        Field g;
        while (!rr.done()) {
          if (!next(rr, g)) return false;
          if (g.type != wire::kVarint) continue;
          if (g.number == 1) range.lo = g.value;
          if (g.number == 2) range.hi = g.value;
        }
      }
    }
    return true;
  }

  bool next(Reader& r, Field& f) {
    const char* what = r.next(f);
    return what == nullptr || fail(r.position(), what);
  }
  bool fail(const char* at, const char* what) {
    error_ = what;
    error_at_ = static_cast<size_t>(at - bytes_.data());
    return false;
  }
  std::string error() const {
    return "peer message is not a valid drl.v1.PeerMessage: " + error_ + " (at byte " +
           std::to_string(error_at_) + " of " + std::to_string(bytes_.size()) + ")";
  }
  // Keeps the first invalid value of the current body: it is reported once the whole
  // message parsed, as a malformed byte anywhere takes precedence (as in the old codec).
  void invalid(std::string what) {
    if (invalid_.empty()) invalid_ = std::move(what);
  }

  std::string_view bytes_;
  std::string error_;
  size_t error_at_ = 0;
  std::string invalid_;
};

}  // namespace

std::string encode_peer_message(const PeerMessage& message) {
  std::vector<size_t> sizes;
  const size_t body = body_size(message, sizes);
  std::string out(message_field(body), '\0');
  Writer w(out.data());
  const auto field = static_cast<uint32_t>(message.index() + 1);  // oneof body numbers 1..7
  w.header(field, body);
  if (const auto* m = std::get_if<CheckBatch>(&message)) {
    for (size_t i = 0; i < m->checks.size(); ++i) w.check(1, m->checks[i], sizes[i]);
  } else if (const auto* m = std::get_if<AnswerBatch>(&message)) {
    for (size_t i = 0; i < m->answers.size(); ++i) w.answer(1, m->answers[i], sizes[i]);
  } else if (const auto* m = std::get_if<ReplicaBatch>(&message)) {
    for (size_t i = 0; i < m->records.size(); ++i) w.record(1, m->records[i], sizes[i]);
  } else if (const auto* m = std::get_if<HandoffRequest>(&message)) {
    w.varint(1, m->request_id);
    for (const auto& r : m->ranges) w.range(2, r);
  } else if (const auto* m = std::get_if<HandoffChunk>(&message)) {
    w.varint(1, m->request_id);
    for (size_t i = 0; i < m->records.size(); ++i) w.record(2, m->records[i], sizes[i]);
    w.boolean(3, m->last);
  } else if (const auto* m = std::get_if<PolicyDigest>(&message)) {
    w.varint(1, m->version);
    w.varint(2, m->hash);
  } else if (const auto* m = std::get_if<PolicyOffer>(&message)) {
    w.varint(1, m->version);
    w.varint(2, m->hash);
    w.bytes(3, m->yaml);
    w.bytes(4, m->origin);
    w.bytes(5, m->rls);
  }
  assert(w.end() == out.data() + out.size());
  return out;
}

std::string decode_peer_message(std::string_view bytes, PeerMessage& out) {
  return Decoder(bytes).run(out);
}

}  // namespace drl::cluster
