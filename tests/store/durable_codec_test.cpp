// The durable backend's bytes (store/durable/record_codec.h) and their replay
// (store/durable/replay.h): round trips, and what a reader does with torn, corrupt or foreign
// bytes: it keeps every intact frame before the damage and says what it found.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/crc32c.h"
#include "store/durable/record_codec.h"
#include "store/durable/replay.h"
#include "store/store.h"

namespace drl::store::durable {
namespace {

KeyRecord sample(const std::string& key, uint64_t version, TimePoint expires = 1000 * kSecond) {
  KeyRecord r;
  r.key = key;
  r.algorithm = limits::Algorithm::kFixedWindow;
  r.state = limits::State{.t = 7 * kSecond, .a = static_cast<uint32_t>(version), .b = 3};
  r.expires_at = expires;
  r.version = version;
  return r;
}

std::vector<LogEntry> scan_all(const std::string& file, ScanResult* result = nullptr) {
  std::vector<LogEntry> out;
  const ScanResult r = scan_frames(std::string_view(file).substr(kHeaderBytes), kHeaderBytes,
                                   [&](const LogEntry& e) { out.push_back(e); });
  if (result != nullptr) *result = r;
  return out;
}

TEST(Crc32c, KnownVector) {
  // RFC 3720's check value for "123456789".
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c("6789", crc32c("12345")), 0xE3069283u);
  // Lengths around the 8-byte steps of the hardware path, against a bitwise reference.
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    uint32_t reference = ~0u;
    for (const char ch : bytes) {
      reference ^= static_cast<uint8_t>(ch);
      for (int k = 0; k < 8; ++k)
        reference = (reference & 1) ? (reference >> 1) ^ 0x82F63B78 : reference >> 1;
    }
    EXPECT_EQ(crc32c(bytes), ~reference) << n << " bytes";
    bytes.push_back(static_cast<char>(n * 37 + 11));
  }
}

TEST(RecordCodec, RoundTripsEveryField) {
  std::string file;
  append_header(file, FileKind::kLog);
  KeyRecord log_key = sample(std::string(300, 'k'), 42);
  log_key.algorithm = limits::Algorithm::kSlidingLog;
  log_key.log = {1, 2, -3, 1'700'000'000'000'000'000};
  append_put(file, sample("a", 1));
  append_put(file, log_key);
  append_erase(file, "a");
  ScanResult r;
  const auto entries = scan_all(file, &r);
  EXPECT_EQ(r.problem, "");
  EXPECT_EQ(r.valid_bytes, file.size());
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].op, LogOp::kPut);
  EXPECT_EQ(entries[0].record.key, "a");
  EXPECT_EQ(entries[0].record.state, sample("a", 1).state);
  EXPECT_EQ(entries[0].record.expires_at, 1000 * kSecond);
  EXPECT_EQ(entries[1].record.key, log_key.key);
  EXPECT_EQ(entries[1].record.algorithm, limits::Algorithm::kSlidingLog);
  EXPECT_EQ(entries[1].record.log, log_key.log);
  EXPECT_EQ(entries[1].record.version, 42u);
  EXPECT_EQ(entries[2].op, LogOp::kErase);
  EXPECT_EQ(entries[2].record.key, "a");
}

// A crash mid-write leaves any prefix of the last frame: every cut keeps exactly the frames
// before it and names the damage.
TEST(RecordCodec, TornTailAtEveryCutKeepsTheFramesBeforeIt) {
  std::string file;
  append_header(file, FileKind::kLog);
  append_put(file, sample("first", 1));
  const size_t intact = file.size();
  append_put(file, sample("second", 2));
  for (size_t cut = intact + 1; cut < file.size(); ++cut) {
    ScanResult r;
    const auto entries = scan_all(file.substr(0, cut), &r);
    ASSERT_EQ(entries.size(), 1u) << "cut at " << cut;
    EXPECT_EQ(entries[0].record.key, "first");
    EXPECT_EQ(r.valid_bytes, intact);
    EXPECT_NE(r.problem.find("torn frame"), std::string::npos) << r.problem;
  }
}

TEST(RecordCodec, AFlippedBitStopsTheScanAtThatFrame) {
  std::string file;
  append_header(file, FileKind::kLog);
  append_put(file, sample("first", 1));
  const size_t intact = file.size();
  append_put(file, sample("second", 2));
  const size_t second_end = file.size();
  append_put(file, sample("third", 3));
  for (size_t at = intact; at < file.size(); at += 3) {
    std::string bad = file;
    bad[at] = static_cast<char>(bad[at] ^ 0x10);
    ScanResult r;
    const auto entries = scan_all(bad, &r);
    ASSERT_GE(entries.size(), 1u);
    EXPECT_EQ(entries[0].record.key, "first");
    if (at < second_end) {
      // Inside the second frame: nothing after it is trusted.
      EXPECT_EQ(entries.size(), 1u) << "flip at " << at;
      EXPECT_EQ(r.valid_bytes, intact);
    }
    EXPECT_NE(r.problem, "") << "flip at " << at;
  }
}

TEST(RecordCodec, AnAbsurdLengthIsRefusedWithoutReadingOn) {
  std::string file;
  append_header(file, FileKind::kLog);
  file.append("\xff\xff\xff\x7f\0\0\0\0", 8);
  ScanResult r;
  EXPECT_TRUE(scan_all(file, &r).empty());
  EXPECT_NE(r.problem.find("bad frame length"), std::string::npos) << r.problem;
  EXPECT_EQ(r.valid_bytes, kHeaderBytes);
}

TEST(RecordCodec, HeadersNameWhatTheyFound) {
  std::string log;
  append_header(log, FileKind::kLog);
  std::string snapshot;
  append_header(snapshot, FileKind::kSnapshot);
  EXPECT_EQ(check_header(log, FileKind::kLog), "");
  EXPECT_EQ(check_header(snapshot, FileKind::kSnapshot), "");
  EXPECT_EQ(check_header(snapshot, FileKind::kLog), "holds a snapshot, not a log");
  EXPECT_EQ(check_header("hello world!", FileKind::kLog), "is not a drl log file");
  EXPECT_NE(check_header("DRL", FileKind::kLog).find("shorter than"), std::string::npos);
  std::string future = log;
  future[8] = 2;  // format version 2
  EXPECT_EQ(check_header(future, FileKind::kLog), "has format version 2; this drl reads version 1");
}

TEST(Replay, NewestVersionWinsWhateverTheOrderAndErasuresApply) {
  std::string log;
  append_header(log, FileKind::kLog);
  append_put(log, sample("k", 5));
  append_put(log, sample("k", 4));  // an older record written late (a concurrent change)
  append_put(log, sample("gone", 1));
  append_erase(log, "gone");
  append_put(log, sample("old", 1, 10 * kSecond));  // expired by the time of the replay
  Store table;
  ReplayCounts counts;
  const FileReplay r = replay_log(log, 20 * kSecond, table, counts);
  EXPECT_EQ(r.refused, "");
  EXPECT_EQ(r.scan.problem, "");
  KeyRecord k;
  ASSERT_TRUE(table.record("k", k));
  EXPECT_EQ(k.version, 5u);
  EXPECT_EQ(k.state.a, 5u);
  EXPECT_FALSE(table.record("gone", k));
  EXPECT_FALSE(table.record("old", k));
  EXPECT_EQ(counts.puts, 2u);
  EXPECT_EQ(counts.erases, 1u);
  EXPECT_EQ(counts.skipped, 2u);
}

TEST(Replay, ASnapshotWithoutItsEndFrameKeepsItsRecordsAndSaysSo) {
  std::string snapshot;
  append_header(snapshot, FileKind::kSnapshot);
  append_put(snapshot, sample("a", 1));
  append_put(snapshot, sample("b", 1));
  std::string complete = snapshot;
  append_end(complete, 2);
  {
    Store table;
    ReplayCounts counts;
    const FileReplay r = replay_snapshot(complete, 0, table, counts);
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.scan.problem, "");
    EXPECT_EQ(table.stats().keys, 2u);
  }
  {
    Store table;
    ReplayCounts counts;
    const FileReplay r = replay_snapshot(snapshot, 0, table, counts);
    EXPECT_FALSE(r.complete);
    EXPECT_NE(r.scan.problem.find("no end frame"), std::string::npos) << r.scan.problem;
    EXPECT_EQ(table.stats().keys, 2u);
  }
  {
    std::string miscounted = snapshot;
    append_end(miscounted, 3);
    Store table;
    ReplayCounts counts;
    const FileReplay r = replay_snapshot(miscounted, 0, table, counts);
    EXPECT_FALSE(r.complete);
    EXPECT_NE(r.scan.problem.find("counts 3 records"), std::string::npos) << r.scan.problem;
  }
}

// A snapshot lists its table's keys in slot order, which is the order of the bits that pick a
// key's home slot: loaded into tables that grow as they fill, each key would land at the end
// of one long run of full slots (quadratic time). Replay sizes the tables from the end frame's
// count first, so loading rebuilds nothing.
TEST(Replay, ASnapshotSizesTheTableFromItsEndFrameBeforeLoading) {
  constexpr int kKeys = 5'000;
  Store source;
  for (int i = 0; i < kKeys; ++i) source.install(sample("key" + std::to_string(i), 1));
  std::string snapshot;
  append_header(snapshot, FileKind::kSnapshot);
  source.for_each_in_hash_range(0, ~uint64_t{0},
                                [&](const KeyRecord& r) { append_put(snapshot, r); });
  append_end(snapshot, kKeys);
  EXPECT_EQ(snapshot_key_count(snapshot), uint64_t{kKeys});

  Store sized;
  sized.reserve(kKeys);
  Store table;
  ReplayCounts counts;
  const FileReplay r = replay_snapshot(snapshot, 0, table, counts);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(table.stats().keys, uint64_t{kKeys});
  // The keys are inline (under 15 bytes): only the tables take memory, sized once.
  EXPECT_EQ(table.stats().memory_bytes, sized.stats().memory_bytes);

  // No end frame, or a damaged one: no hint. A forged count is held to what the file can hold.
  EXPECT_EQ(snapshot_key_count(snapshot.substr(0, snapshot.size() - 1)), 0u);
  std::string forged;
  append_header(forged, FileKind::kSnapshot);
  append_put(forged, sample("a", 1));
  append_end(forged, uint64_t{1} << 60);
  EXPECT_EQ(snapshot_key_count(forged), 1u);
  Store guarded;
  const FileReplay g = replay_snapshot(forged, 0, guarded, counts);
  EXPECT_FALSE(g.complete);
  EXPECT_EQ(guarded.stats().keys, 1u);
}

TEST(Replay, AFileOfAnotherKindOrVersionIsRefusedAndNothingIsInstalled) {
  std::string snapshot;
  append_header(snapshot, FileKind::kSnapshot);
  append_put(snapshot, sample("a", 1));
  Store table;
  ReplayCounts counts;
  const FileReplay r = replay_log(snapshot, 0, table, counts);
  EXPECT_EQ(r.refused, "holds a snapshot, not a log");
  EXPECT_EQ(table.stats().keys, 0u);
}

// Untrusted bytes never crash the reader nor install anything that was not a whole, checksummed
// frame: every prefix of a log and random bytes after a valid header.
TEST(Replay, GarbageNeverCrashesAndInstallsOnlyIntactFrames) {
  std::string log;
  append_header(log, FileKind::kLog);
  for (uint64_t v = 1; v <= 20; ++v) append_put(log, sample("k" + std::to_string(v % 5), v));
  uint64_t seed = 12345;
  for (int round = 0; round < 300; ++round) {
    std::string bad = log;
    for (int i = 0; i < 3; ++i) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      const size_t at = kHeaderBytes + (seed >> 33) % (bad.size() - kHeaderBytes);
      bad[at] = static_cast<char>(seed >> 13);
    }
    bad.resize(kHeaderBytes + (seed >> 40) % (bad.size() - kHeaderBytes + 1));
    Store table;
    ReplayCounts counts;
    const FileReplay r = replay_log(bad, 0, table, counts);
    EXPECT_LE(r.scan.valid_bytes, bad.size());
    table.for_each_in_hash_range(0, ~uint64_t{0}, [&](const KeyRecord& rec) {
      // Every installed record is one that was written.
      EXPECT_EQ(rec.state.a, rec.version);
      EXPECT_EQ(rec.key, "k" + std::to_string(rec.version % 5));
    });
  }
}

}  // namespace
}  // namespace drl::store::durable
