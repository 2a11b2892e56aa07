// One key's slot in a shard's table: 40 bytes, trivially copyable, so ten million keys fit
// in about half a gigabyte. Keys of up to kInlineKeyMax bytes live inside the entry; longer
// keys are copied to a block of the shard's KeyArena that the entry owns (freed by free_key).
// Not thread-safe: the owning shard's lock guards every entry.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <type_traits>

#include "common/time.h"
#include "limits/limit.h"
#include "limits/state.h"
#include "store/key_arena.h"

namespace drl::store {

inline constexpr size_t kInlineKeyMax = 14;
// What a heap key costs beyond its bytes, for accounting: an upper bound of its KeyArena
// block's rounding to 16 bytes.
inline constexpr size_t kHeapKeyOverhead = 16;

struct Entry {
  limits::State state;  // the algorithm's state, verbatim
  uint32_t expiry_s;    // expires_at rounded UP to whole seconds since the epoch
  uint32_t version;     // per-key version, compared modulo 2^32 (serial-number arithmetic)
  uint8_t key_len;      // 0..kInlineKeyMax: inline length; kHeapKey: see heap_key_*
  uint8_t meta;         // bits 0-2: algorithm; bit 3: dirty (changed since last harvest);
                        // bit 4: pinned (stored under kRefuse: never evicted while live)
  char key[14];         // inline bytes, or [2..5] = uint32 length, [6..13] = char* block
};
static_assert(sizeof(Entry) == 40 && std::is_trivially_copyable_v<Entry> &&
              std::is_trivially_destructible_v<Entry>);

// A table's entries, left uninitialised: a slot's control byte says whether it holds a key,
// and insert() writes an entry before anything reads it, so zeroing 40 bytes a slot on every
// rebuild would be wasted work (Entry is trivially copyable and trivially destructible).
struct FreeEntries {
  void operator()(Entry* p) const { ::operator delete(p); }
};
using EntryArray = std::unique_ptr<Entry[], FreeEntries>;
inline EntryArray allocate_entries(size_t n) {
  return EntryArray(static_cast<Entry*>(::operator new(n * sizeof(Entry))));
}

inline constexpr uint8_t kHeapKey = 0xFF;
inline constexpr uint8_t kAlgorithmMask = 0x07;
inline constexpr uint8_t kDirtyBit = 0x08;
inline constexpr uint8_t kPinnedBit = 0x10;

inline limits::Algorithm algorithm_of(const Entry& e) {
  return static_cast<limits::Algorithm>(e.meta & kAlgorithmMask);
}
inline void set_algorithm(Entry& e, limits::Algorithm a) {
  e.meta = static_cast<uint8_t>((e.meta & ~kAlgorithmMask) | static_cast<uint8_t>(a));
}
inline bool is_dirty(const Entry& e) { return (e.meta & kDirtyBit) != 0; }

inline std::string_view key_of(const Entry& e) {
  if (e.key_len != kHeapKey) return {e.key, e.key_len};
  uint32_t len;
  const char* data;
  std::memcpy(&len, e.key + 2, sizeof len);
  std::memcpy(&data, e.key + 6, sizeof data);
  return {data, len};
}

// Stores `key` in a fresh entry; returns the heap bytes it took (0 when inline).
inline size_t set_key(Entry& e, std::string_view key, KeyArena& arena) {
  if (key.size() <= kInlineKeyMax) {
    e.key_len = static_cast<uint8_t>(key.size());
    if (!key.empty()) std::memcpy(e.key, key.data(), key.size());
    return 0;
  }
  char* data = arena.allocate(key.size());
  std::memcpy(data, key.data(), key.size());
  const auto len = static_cast<uint32_t>(key.size());
  e.key_len = kHeapKey;
  std::memcpy(e.key + 2, &len, sizeof len);
  std::memcpy(e.key + 6, &data, sizeof data);
  return key.size() + kHeapKeyOverhead;
}

// Releases the key's heap block, if any; returns the bytes given back.
inline size_t free_key(Entry& e, KeyArena& arena) {
  if (e.key_len != kHeapKey) return 0;
  const std::string_view key = key_of(e);
  arena.deallocate(const_cast<char*>(key.data()), key.size());
  e.key_len = 0;
  return key.size() + kHeapKeyOverhead;
}

inline bool key_equals(const Entry& e, std::string_view key) {
  if (e.key_len != kHeapKey) {
    return e.key_len == key.size() &&
           (key.empty() || std::memcmp(e.key, key.data(), key.size()) == 0);
  }
  const std::string_view held = key_of(e);
  return held.size() == key.size() && std::memcmp(held.data(), key.data(), key.size()) == 0;
}

// Expiry in whole seconds, rounded up so a key is never dropped while it still matters.
inline uint32_t expiry_seconds(TimePoint expires_at) {
  if (expires_at <= 0) return 0;
  const int64_t s = expires_at / kSecond + (expires_at % kSecond != 0 ? 1 : 0);
  return s >= int64_t{UINT32_MAX} ? UINT32_MAX : static_cast<uint32_t>(s);
}
inline TimePoint expiry_time(const Entry& e) { return TimePoint{e.expiry_s} * kSecond; }
inline bool is_expired(const Entry& e, TimePoint now) { return expiry_time(e) <= now; }

}  // namespace drl::store
