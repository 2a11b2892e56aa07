// The durable backend's readers (store/durable/record_codec.h, replay.h): a data dir's files
// are read back after crashes, bad disks and operators' copies, so any bytes must give intact
// frames or a sentence, never a crash. The input is read as a log's and a snapshot's frames
// (after a valid header, so the fuzzer reaches them) and as a whole file (header included).
//
// Oracles: the scan ends inside the input, with a problem exactly when it stopped early;
// every visited frame re-encodes to exactly the input's bytes at its place (so nothing is
// read that was not written whole); replay installs only what the scan visited.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "store/durable/record_codec.h"
#include "store/durable/replay.h"

namespace {

namespace durable = drl::store::durable;

void check_frames(std::string_view frames) {
  size_t at = 0;
  const durable::ScanResult r =
      durable::scan_frames(frames, durable::kHeaderBytes, [&](const durable::LogEntry& e) {
        std::string again;
        if (e.op == durable::LogOp::kPut) durable::append_put(again, e.record);
        if (e.op == durable::LogOp::kErase) durable::append_erase(again, e.record.key);
        if (e.op == durable::LogOp::kEnd) durable::append_end(again, e.count);
        DRL_FUZZ_CHECK(frames.substr(at, again.size()) == again);
        at += again.size();
      });
  DRL_FUZZ_CHECK(r.valid_bytes == durable::kHeaderBytes + at);
  DRL_FUZZ_CHECK(r.valid_bytes <= durable::kHeaderBytes + frames.size());
  DRL_FUZZ_CHECK(r.problem.empty() == (at == frames.size()));
}

void check_replay(const std::string& file, durable::FileKind kind) {
  drl::store::Store table({.shards = 1, .max_memory_bytes = 0});
  durable::ReplayCounts counts;
  const auto r = kind == durable::FileKind::kLog ? durable::replay_log(file, 0, table, counts)
                                                 : durable::replay_snapshot(file, 0, table, counts);
  if (!r.refused.empty()) {
    DRL_FUZZ_CHECK(table.stats().keys == 0);
    return;
  }
  DRL_FUZZ_CHECK(counts.puts + counts.erases + counts.skipped <= r.scan.frames);
  DRL_FUZZ_CHECK(table.stats().keys <= counts.puts);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_frames(bytes);
  for (const auto kind : {durable::FileKind::kLog, durable::FileKind::kSnapshot}) {
    std::string file;
    durable::append_header(file, kind);
    file.append(bytes);
    check_replay(file, kind);
    check_replay(std::string(bytes), kind);
  }
  return 0;
}
