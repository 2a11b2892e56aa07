// The first request-level error a node answered a load generator with (a drl.wire.Error:
// UNAUTHENTICATED, MALFORMED_FRAME, ...), kept so that `drl bench` can say why its requests
// failed instead of only counting them. Per-check results (OVERLOADED, denials) are not
// request-level errors and are not kept. Thread-safe: every generator thread notes into one.
#pragma once
#include <atomic>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>

namespace drl::cli {

class ErrorSample {
 public:
  // `payload` is a Response the light scan found not to be a check response. Keeps
  // "CODE: message" from the first Error seen; cheap once one is kept.
  void note(std::span<const uint8_t> payload);
  // "" when no error answer was seen.
  std::string text() const;

 private:
  std::atomic<bool> kept_{false};
  mutable std::mutex mutex_;
  std::string text_;  // guarded by mutex_
};

}  // namespace drl::cli
