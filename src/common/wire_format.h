// Protobuf wire-format primitives, the one helper of every hand-written codec (the peer codec
// cluster/peer_codec.cpp, the native door's check requests and responses
// service/check_request_scan.cpp and check_response_writer.cpp and its frame envelope
// net/client_session.cpp, the bench's requests and response_scan, the store key): sizes and
// writers of varints, tags and proto3 fields, and a bounds-checked reader of fields. Write tags from the generated kXxxFieldNumber constants.
// Header-only, stateless apart from the reader's position; not thread-safe per Reader.
#pragma once
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace drl::protowire {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLength = 2, kFixed32 = 5 };

inline size_t varint_size(uint64_t v) {
  return (static_cast<size_t>(std::bit_width(v | 1)) + 6) / 7;
}

// Writes v at p, which must have varint_size(v) bytes of room; returns the end.
inline char* put_varint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

inline void append_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline constexpr uint64_t tag_of(uint32_t field, WireType type) {
  return (uint64_t{field} << 3) | type;
}
// The tag of a field below 16 fits one byte: codecs that count a tag as one byte say so
// with static_assert(one_byte_tag(Msg::kXxxFieldNumber)).
inline constexpr bool one_byte_tag(uint32_t field) { return field < 16; }

inline void append_tag(std::string& out, uint32_t field, WireType type) {
  append_varint(out, tag_of(field, type));
}

// A length-delimited field: its tag, the length, the bytes.
inline void append_length_delimited(std::string& out, uint32_t field, std::string_view bytes) {
  append_tag(out, field, kLength);
  append_varint(out, bytes.size());
  out.append(bytes);
}

// A double field (fixed64, little-endian).
inline void append_double(std::string& out, uint32_t field, double value) {
  append_tag(out, field, kFixed64);
  const auto bits = std::bit_cast<uint64_t>(value);
  for (int shift = 0; shift < 64; shift += 8) out.push_back(static_cast<char>(bits >> shift));
}

// One field's size and its writing, proto3 style: a field at its default (0, false, empty) is
// not written. For fields below 16, whose tag is one byte (callers assert it with
// one_byte_tag): a codec sizes a message with these, then writes it with a FieldWriter into a
// buffer of exactly that size (the peer codec, the native door's check responses).
inline size_t varint_field(uint64_t v) { return v == 0 ? 0 : 1 + varint_size(v); }
inline size_t bool_field(bool b) { return b ? 2 : 0; }
inline size_t bytes_field(std::string_view s) {
  return s.empty() ? 0 : 1 + varint_size(s.size()) + s.size();
}
inline size_t message_field(size_t size) { return 1 + varint_size(size) + size; }

class FieldWriter {
 public:
  explicit FieldWriter(char* p) : p_(p) {}
  char* end() const { return p_; }

  void varint(uint32_t field, uint64_t v) {
    if (v == 0) return;
    tag(field, kVarint);
    p_ = put_varint(p_, v);
  }
  void boolean(uint32_t field, bool b) {
    if (!b) return;
    tag(field, kVarint);
    *p_++ = 1;
  }
  void bytes(uint32_t field, std::string_view s) {
    if (s.empty()) return;
    header(field, s.size());
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  // The tag and length of a length-delimited field whose payload the caller writes next.
  void header(uint32_t field, size_t size) {
    tag(field, kLength);
    p_ = put_varint(p_, size);
  }

 protected:
  void tag(uint32_t field, uint32_t type) { *p_++ = static_cast<char>(field << 3 | type); }
  char* p_;
};

// One field as read: the varint value (kVarint), or the payload bytes (kLength).
struct Field {
  uint32_t number = 0;
  uint32_t type = 0;
  uint64_t value = 0;
  std::string_view bytes;
};

// Reads fields from [begin, end) and never past it. After an error the reader stays where
// the malformed field starts. The bytes are owned by the caller and must outlive the reader.
class Reader {
 public:
  Reader(const char* begin, const char* end) : p_(begin), end_(end) {}
  explicit Reader(std::string_view bytes) : Reader(bytes.data(), bytes.data() + bytes.size()) {}
  bool done() const { return p_ == end_; }
  const char* position() const { return p_; }

  // Base-128 varint of at most max_bytes (10 for values; protobuf reads tags and lengths in
  // at most 5); bits past the 64th are dropped, as protobuf does.
  bool varint(uint64_t& v, int max_bytes = 10) {
    const char* p = p_;
    if (p != end_ && static_cast<uint8_t>(*p) < 0x80) {  // most tags, lengths and values
      v = static_cast<uint8_t>(*p);
      p_ = p + 1;
      return true;
    }
    return varint_slow(v, max_bytes);
  }

  // A tag: at most 5 bytes, of which protobuf keeps the low 32 bits.
  bool tag(uint32_t& tag) {
    uint64_t v = 0;
    if (!varint(v, 5)) return false;
    tag = static_cast<uint32_t>(v);
    return true;
  }

  // Reads the next field. Returns nullptr, or what is malformed. No drl message has groups
  // (wire type 3): like protobuf, the reader skips one as an unknown field (type 3, no value),
  // up to kMaxGroupDepth nested; an end-group tag outside a group is malformed.
  const char* next(Field& f) { return next(f, 0); }

 private:
  static constexpr int kMaxGroupDepth = 64;

  // Locals only: stores through v would make the compiler reload p_ and end_ (char aliasing).
  bool varint_slow(uint64_t& v, int max_bytes) {
    const auto* p = reinterpret_cast<const uint8_t*>(p_);
    const size_t n = std::min(static_cast<size_t>(end_ - p_), static_cast<size_t>(max_bytes));
    uint64_t r = 0;
    for (size_t i = 0; i < n; ++i) {
      r |= uint64_t{p[i] & 0x7fu} << (7 * i);
      if (p[i] < 0x80) {
        v = r;
        p_ += i + 1;
        return true;
      }
    }
    return false;
  }

  const char* next(Field& f, int depth) {
    const char* start = p_;
    uint32_t t = 0;
    if (!tag(t)) return "a field tag is truncated or longer than 5 bytes";
    if ((t >> 3) == 0) return fail(start, "a field number is 0");
    f.number = t >> 3;
    f.type = t & 7;
    switch (f.type) {
      case kVarint:
        if (!varint(f.value)) return fail(start, "a varint is truncated or longer than 10 bytes");
        return nullptr;
      case kFixed64:
        return skip(start, 8);
      case kFixed32:
        return skip(start, 4);
      case kLength: {
        uint64_t len = 0;
        if (!varint(len, 5)) return fail(start, "a length is truncated or longer than 5 bytes");
        if (len > static_cast<uint64_t>(end_ - p_))
          return fail(start, "a length runs past the end");
        f.bytes = std::string_view(p_, static_cast<size_t>(len));
        p_ += len;
        return nullptr;
      }
      case 3:
        if (depth == kMaxGroupDepth) return fail(start, "groups nest too deeply");
        return skip_group(start, f.number, depth + 1);
      default:
        return fail(start, "a field has an end-group or unknown wire type");
    }
  }

  [[gnu::noinline]] const char* skip_group(const char* start, uint32_t number, int depth) {
    Field inner;
    while (p_ != end_) {
      const char* at = p_;
      uint32_t t = 0;
      if (!tag(t)) return fail(start, "a field tag is truncated or longer than 5 bytes");
      if ((t & 7) == 4) {
        if (t == (number << 3 | 4)) return nullptr;
        return fail(start, "a group ends with another field's end-group tag");
      }
      p_ = at;
      if (const char* what = next(inner, depth)) return fail(start, what);
    }
    return fail(start, "a group is not closed");
  }
  const char* fail(const char* start, const char* what) {
    p_ = start;
    return what;
  }
  const char* skip(const char* start, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return fail(start, "a fixed-size field is truncated");
    p_ += n;
    return nullptr;
  }

  const char* p_;
  const char* end_;
};

}  // namespace drl::protowire
