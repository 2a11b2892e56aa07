// The durable backend's bytes: one frame per change of a key, the same frames in the log and
// in a snapshot. Pure functions over byte strings (no files); thread-safe.
//
// A file (log segment or snapshot) is a 12-byte header, then frames:
//   header: 8-byte magic ("DRLLOG\0\1" for a log, "DRLSNAP\1" for a snapshot), then the
//           format version, uint32 little-endian (kFormatVersion)
//   frame:  payload length (uint32 LE, 1..kMaxPayload), CRC-32C of the payload (uint32 LE),
//           payload
//   payload of a put:   op 1, key length (uint32 LE), key, algorithm (1 byte),
//                       state.t (int64 LE), state.a, state.b (uint32 LE), expires_at (int64 LE),
//                       version (uint64 LE), sliding-log count (uint32 LE), its timestamps
//                       (int64 LE each)
//   payload of an erase: op 2, key length, key
//   payload of a snapshot's end: op 3, the number of puts before it (uint64 LE)
// All integers are little-endian whatever the host, so a data dir moves between machines.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "store/store.h"

namespace drl::store::durable {

inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kHeaderBytes = 12;
inline constexpr size_t kFrameHeaderBytes = 8;
// The largest payload a reader accepts: a 64 KiB key plus a sliding log of 1 M timestamps.
inline constexpr uint32_t kMaxPayload = (64u << 10) + 32 + (8u << 20);

enum class FileKind : uint8_t { kLog, kSnapshot };
enum class LogOp : uint8_t { kPut = 1, kErase = 2, kEnd = 3 };

// One decoded frame. For kErase only record.key is set; for kEnd only `count`.
struct LogEntry {
  LogOp op = LogOp::kPut;
  KeyRecord record;
  uint64_t count = 0;
};

void append_header(std::string& out, FileKind kind);
// "" when `bytes` starts with the header of a `kind` file of this format version, else a
// sentence naming what is there instead (another kind, another version, not a drl file).
std::string check_header(std::string_view bytes, FileKind kind);

void append_put(std::string& out, const KeyRecord& record);
void append_erase(std::string& out, std::string_view key);
void append_end(std::string& out, uint64_t count);

// The count of the end frame `file` (a whole snapshot, header included) ends with, when its
// last frame is an intact end frame; else 0. At most what the file's size can hold, so a
// forged count cannot ask for more memory than the file took. A hint for sizing the table
// before the scan, which still checks every frame and the count.
uint64_t snapshot_key_count(std::string_view file);

// What a scan of frames found. `valid_bytes` is the file offset where the intact frames end
// (the header included): everything before it was visited, nothing after it was. `problem` is ""
// when the scan reached the end of the bytes exactly, else what stopped it ("torn frame: 5 bytes of
// a 20-byte header at offset 96", "checksum mismatch at offset 96", ...).
struct ScanResult {
  uint64_t frames = 0;
  size_t valid_bytes = 0;
  std::string problem;
};

// Visits the frames of `bytes` (which start right after a file's header: offsets are
// relative to `base`, the header's size, so messages name the file offset) until the end or
// the first frame that is torn, fails its checksum or does not decode.
ScanResult scan_frames(std::string_view bytes, size_t base,
                       const std::function<void(const LogEntry&)>& visit);

}  // namespace drl::store::durable
