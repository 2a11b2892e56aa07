#include "cli/bench_error_sample.h"

#include "drl/client.pb.h"

namespace drl::cli {

void ErrorSample::note(std::span<const uint8_t> payload) {
  if (kept_.load(std::memory_order_relaxed)) return;
  wire::Response response;
  if (!response.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
      !response.has_error()) {
    return;
  }
  std::lock_guard lock(mutex_);
  if (!text_.empty()) return;
  text_ = wire::ErrorCode_Name(response.error().code()) + ": " + response.error().message();
  kept_.store(true, std::memory_order_relaxed);
}

std::string ErrorSample::text() const {
  std::lock_guard lock(mutex_);
  return text_;
}

}  // namespace drl::cli
