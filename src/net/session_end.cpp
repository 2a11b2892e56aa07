#include "net/session_end.h"

namespace drl::net {

SessionEnd::SessionEnd(tls::Stream& stream, FrameWatchdog& watchdog,
                       service::ServerStatsShard& stats, std::chrono::milliseconds idle_timeout)
    : stream_(stream),
      watchdog_(watchdog),
      stats_(stats),
      idle_timer_(stream.get_executor()),
      idle_timeout_(idle_timeout) {}

void SessionEnd::shut() {
  if (closed_) return;
  closed_ = true;
  stream_.close();
  idle_timer_.cancel();
  watchdog_.cancel();
}

bool SessionEnd::write_failed(const std::error_code& ec) {
  if (!ec) return false;
  if (ec != asio::error::operation_aborted) stats_.error(service::ServerError::kIo);
  shut();
  return true;
}

void SessionEnd::arm_idle(std::shared_ptr<Session> session) {
  if (idle_timeout_.count() <= 0) return;
  idle_timer_.expires_at(session->last_activity() + idle_timeout_);
  idle_timer_.async_wait([this, session = std::move(session)](std::error_code ec) {
    if (ec || closed_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - session->last_activity() >= idle_timeout_ && !session->in_flight()) {
      stats_.error(service::ServerError::kIdleTimeout);
      shut();
      return;
    }
    arm_idle(session);
  });
}

}  // namespace drl::net
