#include "store/durable/replay.h"

namespace drl::store::durable {
namespace {

FileReplay replay(std::string_view file, FileKind kind, TimePoint now, Store& table,
                  ReplayCounts& counts) {
  FileReplay out;
  out.refused = check_header(file, kind);
  if (!out.refused.empty()) return out;
  // A snapshot comes in its table's order: without room for all of it first, loading would
  // take quadratic time (Store::reserve).
  if (kind == FileKind::kSnapshot) table.reserve(snapshot_key_count(file));
  uint64_t puts_seen = 0;
  bool ended = false;
  bool after_end = false;
  std::string end_problem;
  out.scan = scan_frames(file.substr(kHeaderBytes), kHeaderBytes, [&](const LogEntry& e) {
    if (ended) {
      after_end = true;
      return;
    }
    switch (e.op) {
      case LogOp::kPut:
        ++puts_seen;
        if (e.record.expires_at > now && table.install(e.record)) {
          ++counts.puts;
        } else {
          ++counts.skipped;
        }
        break;
      case LogOp::kErase:
        table.erase(e.record.key);
        ++counts.erases;
        break;
      case LogOp::kEnd:
        ended = kind == FileKind::kSnapshot && e.count == puts_seen;
        if (!ended && end_problem.empty()) {
          end_problem = kind == FileKind::kLog
                            ? "an end frame in a log"
                            : "end frame counts " + std::to_string(e.count) + " records, " +
                                  std::to_string(puts_seen) + " came before it";
        }
        break;
    }
  });
  if (out.scan.problem.empty()) out.scan.problem = end_problem;
  if (after_end && out.scan.problem.empty()) out.scan.problem = "frames after the end frame";
  out.complete = ended;
  if (kind == FileKind::kSnapshot && !ended && out.scan.problem.empty()) {
    out.scan.problem = "no end frame (the snapshot was not written completely)";
  }
  return out;
}

}  // namespace

FileReplay replay_snapshot(std::string_view file, TimePoint now, Store& table,
                           ReplayCounts& counts) {
  return replay(file, FileKind::kSnapshot, now, table, counts);
}

FileReplay replay_log(std::string_view file, TimePoint now, Store& table, ReplayCounts& counts) {
  return replay(file, FileKind::kLog, now, table, counts);
}

}  // namespace drl::store::durable
