#include "store/durable/record_codec.h"

#include <algorithm>
#include <cstring>

#include "common/crc32c.h"

namespace drl::store::durable {
namespace {

constexpr char kLogMagic[8] = {'D', 'R', 'L', 'L', 'O', 'G', '\0', '\1'};
constexpr char kSnapshotMagic[8] = {'D', 'R', 'L', 'S', 'N', 'A', 'P', '\1'};

template <typename T>
void put_le(std::string& out, T v) {
  using U = std::make_unsigned_t<T>;
  auto u = static_cast<U>(v);
  for (size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<char>(u & 0xFF));
    u = static_cast<U>(u >> 8);
  }
}

// Reads little-endian integers off a payload; any read past its end sets `bad`.
struct Reader {
  std::string_view bytes;
  bool bad = false;

  template <typename T>
  T get() {
    using U = std::make_unsigned_t<T>;
    if (bytes.size() < sizeof(T)) {
      bad = true;
      bytes = {};
      return T{};
    }
    U u = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      u = static_cast<U>(u | (static_cast<U>(static_cast<uint8_t>(bytes[i])) << (8 * i)));
    }
    bytes.remove_prefix(sizeof(T));
    return static_cast<T>(u);
  }
  std::string_view take(size_t n) {
    if (bytes.size() < n) {
      bad = true;
      bytes = {};
      return {};
    }
    const std::string_view out = bytes.substr(0, n);
    bytes.remove_prefix(n);
    return out;
  }
};

// Wraps the payload appended at out[start..] in a frame header.
void seal(std::string& out, size_t start) {
  const std::string_view payload(out.data() + start + kFrameHeaderBytes,
                                 out.size() - start - kFrameHeaderBytes);
  std::string head;
  put_le<uint32_t>(head, static_cast<uint32_t>(payload.size()));
  put_le<uint32_t>(head, crc32c(payload));
  std::memcpy(out.data() + start, head.data(), kFrameHeaderBytes);
}

size_t open_frame(std::string& out) {
  const size_t start = out.size();
  out.append(kFrameHeaderBytes, '\0');
  return start;
}

bool decode(std::string_view payload, LogEntry& e) {
  Reader r{payload};
  const auto op = r.get<uint8_t>();
  if (op == static_cast<uint8_t>(LogOp::kEnd)) {
    e.op = LogOp::kEnd;
    e.count = r.get<uint64_t>();
    return !r.bad && r.bytes.empty();
  }
  if (op != static_cast<uint8_t>(LogOp::kPut) && op != static_cast<uint8_t>(LogOp::kErase)) {
    return false;
  }
  e.op = static_cast<LogOp>(op);
  const auto key_len = r.get<uint32_t>();
  e.record.key.assign(r.take(key_len));
  if (e.op == LogOp::kErase) return !r.bad && r.bytes.empty();
  const auto algorithm = r.get<uint8_t>();
  if (algorithm > static_cast<uint8_t>(limits::Algorithm::kSlidingWindow)) return false;
  e.record.algorithm = static_cast<limits::Algorithm>(algorithm);
  e.record.state.t = r.get<int64_t>();
  e.record.state.a = r.get<uint32_t>();
  e.record.state.b = r.get<uint32_t>();
  e.record.expires_at = r.get<int64_t>();
  e.record.version = r.get<uint64_t>();
  const auto log_count = r.get<uint32_t>();
  if (r.bad || log_count > r.bytes.size() / sizeof(int64_t)) return false;
  e.record.log.clear();
  e.record.log.reserve(log_count);
  for (uint32_t i = 0; i < log_count; ++i) e.record.log.push_back(r.get<int64_t>());
  return !r.bad && r.bytes.empty();
}

}  // namespace

void append_header(std::string& out, FileKind kind) {
  out.append(kind == FileKind::kLog ? kLogMagic : kSnapshotMagic, 8);
  put_le<uint32_t>(out, kFormatVersion);
}

std::string check_header(std::string_view bytes, FileKind kind) {
  const char* want = kind == FileKind::kLog ? kLogMagic : kSnapshotMagic;
  const char* other = kind == FileKind::kLog ? kSnapshotMagic : kLogMagic;
  const char* name = kind == FileKind::kLog ? "log" : "snapshot";
  if (bytes.size() < kHeaderBytes) {
    return "shorter than a " + std::string(name) + " header (" + std::to_string(bytes.size()) +
           " of " + std::to_string(kHeaderBytes) + " bytes)";
  }
  if (std::memcmp(bytes.data(), other, 8) == 0) {
    return "holds a " + std::string(kind == FileKind::kLog ? "snapshot" : "log") + ", not a " +
           name;
  }
  if (std::memcmp(bytes.data(), want, 8) != 0) return "is not a drl " + std::string(name) + " file";
  Reader r{bytes.substr(8, 4)};
  const auto version = r.get<uint32_t>();
  if (version != kFormatVersion) {
    return "has format version " + std::to_string(version) + "; this drl reads version " +
           std::to_string(kFormatVersion);
  }
  return "";
}

void append_put(std::string& out, const KeyRecord& record) {
  const size_t start = open_frame(out);
  put_le<uint8_t>(out, static_cast<uint8_t>(LogOp::kPut));
  put_le<uint32_t>(out, static_cast<uint32_t>(record.key.size()));
  out.append(record.key);
  put_le<uint8_t>(out, static_cast<uint8_t>(record.algorithm));
  put_le<int64_t>(out, record.state.t);
  put_le<uint32_t>(out, record.state.a);
  put_le<uint32_t>(out, record.state.b);
  put_le<int64_t>(out, record.expires_at);
  put_le<uint64_t>(out, record.version);
  put_le<uint32_t>(out, static_cast<uint32_t>(record.log.size()));
  for (const TimePoint t : record.log) put_le<int64_t>(out, t);
  seal(out, start);
}

void append_erase(std::string& out, std::string_view key) {
  const size_t start = open_frame(out);
  put_le<uint8_t>(out, static_cast<uint8_t>(LogOp::kErase));
  put_le<uint32_t>(out, static_cast<uint32_t>(key.size()));
  out.append(key);
  seal(out, start);
}

void append_end(std::string& out, uint64_t count) {
  const size_t start = open_frame(out);
  put_le<uint8_t>(out, static_cast<uint8_t>(LogOp::kEnd));
  put_le<uint64_t>(out, count);
  seal(out, start);
}

uint64_t snapshot_key_count(std::string_view file) {
  // An end frame: the frame header, then op 3 and the count.
  constexpr size_t kEndPayload = 1 + sizeof(uint64_t);
  constexpr size_t kEndFrame = kFrameHeaderBytes + kEndPayload;
  // The smallest put: frame header, op, key length, algorithm, state, expiry, version, log count.
  constexpr size_t kMinPutFrame = kFrameHeaderBytes + 1 + 4 + 1 + 16 + 8 + 8 + 4;
  if (file.size() < kHeaderBytes + kEndFrame) return 0;
  Reader r{file.substr(file.size() - kEndFrame)};
  const auto length = r.get<uint32_t>();
  const auto crc = r.get<uint32_t>();
  const std::string_view payload = r.bytes;
  LogEntry e;
  if (length != kEndPayload || crc32c(payload) != crc || !decode(payload, e) ||
      e.op != LogOp::kEnd) {
    return 0;
  }
  return std::min<uint64_t>(e.count, (file.size() - kHeaderBytes - kEndFrame) / kMinPutFrame);
}

ScanResult scan_frames(std::string_view bytes, size_t base,
                       const std::function<void(const LogEntry&)>& visit) {
  ScanResult result;
  size_t at = 0;
  LogEntry entry;
  while (at < bytes.size()) {
    const size_t left = bytes.size() - at;
    // Built only for a message, not for every frame.
    const auto where = [&] { return " at offset " + std::to_string(base + at); };
    if (left < kFrameHeaderBytes) {
      result.problem = "torn frame: " + std::to_string(left) + " bytes of an " +
                       std::to_string(kFrameHeaderBytes) + "-byte frame header" + where();
      break;
    }
    Reader head{bytes.substr(at, kFrameHeaderBytes)};
    const auto length = head.get<uint32_t>();
    const auto crc = head.get<uint32_t>();
    if (length == 0 || length > kMaxPayload) {
      result.problem = "bad frame length " + std::to_string(length) + where();
      break;
    }
    if (left - kFrameHeaderBytes < length) {
      result.problem = "torn frame: " + std::to_string(left - kFrameHeaderBytes) + " of its " +
                       std::to_string(length) + " payload bytes" + where();
      break;
    }
    const std::string_view payload = bytes.substr(at + kFrameHeaderBytes, length);
    if (crc32c(payload) != crc) {
      result.problem = "checksum mismatch" + where();
      break;
    }
    if (!decode(payload, entry)) {
      result.problem = "undecodable frame (checksum intact)" + where();
      break;
    }
    visit(entry);
    ++result.frames;
    at += kFrameHeaderBytes + length;
  }
  result.valid_bytes = base + at;
  return result;
}

}  // namespace drl::store::durable
