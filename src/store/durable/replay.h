// Loading a durable data dir's files into a table: pure over the files' bytes (the node's
// storage shell reads the files and truncates a torn log tail; node/storage/).
// Records are installed with Store::install's rule, so a key's newest state wins whatever
// order its records come in; records expired at `now` are skipped. Thread-safe as the Store.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "store/durable/record_codec.h"
#include "store/store.h"

namespace drl::store::durable {

struct ReplayCounts {
  uint64_t puts = 0;     // records installed
  uint64_t erases = 0;   // erase records applied
  uint64_t skipped = 0;  // records already expired, or older than what the table held
};

struct FileReplay {
  // "" when the header is right; else why the file cannot be read at all (nothing replayed).
  std::string refused;
  // The frames: `problem` non-empty when a torn or corrupt frame ended the scan early (the
  // frames before it were replayed; valid_bytes is where to truncate a log).
  ScanResult scan;
  // Snapshot only: its end frame was found and counts the puts before it.
  bool complete = false;
};

// Replays a whole snapshot file (header, puts, end frame), first sizing the table for the
// keys its end frame counts (Store::reserve).
FileReplay replay_snapshot(std::string_view file, TimePoint now, Store& table,
                           ReplayCounts& counts);
// Replays a whole log segment (header, puts and erases).
FileReplay replay_log(std::string_view file, TimePoint now, Store& table, ReplayCounts& counts);

}  // namespace drl::store::durable
