// Where the durable backend sends the changes it must keep: the log writer of the node's
// storage shell (node/storage/durable_log_writer.h) in a daemon, a vector in tests.
// Implementations are thread-safe: every I/O thread and the cluster thread append.
#pragma once
#include <string_view>

#include "store/store.h"

namespace drl::store::durable {

class ChangeLog {
 public:
  virtual ~ChangeLog() = default;
  // Whether a check's answer waits for the change: a decision's change does (with
  // --fsync-interval always the call returns once it is synced); a replica's record does not.
  enum class Answer { kWaits, kDoesNotWait };
  // The key's state after a change (it is kept until the record expires).
  virtual void put(const KeyRecord& record, Answer answer) = 0;
  // The key was forgotten (reset, hand-off done): replay must drop what came before.
  virtual void erase(std::string_view key, Answer answer) = 0;
};

}  // namespace drl::store::durable
