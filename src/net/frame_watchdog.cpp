#include "net/frame_watchdog.h"

namespace drl::net {

FrameWatchdog::FrameWatchdog(const asio::any_io_executor& executor,
                             std::chrono::milliseconds timeout, Session& session)
    : timer_(executor), timeout_(timeout), session_(session) {}

void FrameWatchdog::note(const std::shared_ptr<void>& keep_alive, size_t leftover, bool consumed,
                         std::chrono::steady_clock::time_point arrived) {
  if (leftover == 0) {
    partial_since_ = {};
    return;
  }
  if (consumed || partial_since_ == std::chrono::steady_clock::time_point{}) {
    partial_since_ = arrived;
  }
  if (!armed_) arm(keep_alive);
}

void FrameWatchdog::cancel() { timer_.cancel(); }

void FrameWatchdog::arm(std::shared_ptr<void> keep_alive) {
  if (timeout_.count() <= 0 || session_.watchdog_closed()) return;
  armed_ = true;
  timer_.expires_at(partial_since_ + timeout_);
  timer_.async_wait([this, keep_alive = std::move(keep_alive)](std::error_code ec) mutable {
    armed_ = false;
    if (ec || session_.watchdog_closed() || !session_.watchdog_has_input()) return;
    const auto now = std::chrono::steady_clock::now();
    if (!session_.watchdog_reading()) {
      partial_since_ = now;  // held back by the node: the client's time starts again
    } else if (now - partial_since_ >= timeout_) {
      session_.watchdog_expired();
      return;
    }
    arm(std::move(keep_alive));
  });
}

}  // namespace drl::net
