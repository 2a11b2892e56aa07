// How a client session (native frames or RESP) ends, once: shut() closes its stream and stops
// its frame watchdog and idle timer, whichever path asked (an error, a frame timeout, the end
// of its input, the idle timer). The idle timer closes a connection that read nothing for
// `idle_timeout` while nothing was in flight, counted as an idle_timeout error. Both doors'
// sessions own one. I/O shell; on the session's thread only.
#pragma once
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "net/frame_watchdog.h"
#include "service/server_stats.h"
#include "tls/stream.h"

namespace drl::net {

class SessionEnd {
 public:
  // What the idle timer asks the session.
  class Session {
   public:
    virtual std::chrono::steady_clock::time_point last_activity() const = 0;  // last read
    virtual bool in_flight() const = 0;  // answers owed or a write pending: not idle
   protected:
    ~Session() = default;
  };

  // Keeps references to the session's stream, watchdog and stats (they outlive it);
  // idle_timeout 0: no idle timer.
  SessionEnd(tls::Stream& stream, FrameWatchdog& watchdog, service::ServerStatsShard& stats,
             std::chrono::milliseconds idle_timeout);

  bool closed() const { return closed_; }
  // Closes the stream and stops the timers; later calls do nothing.
  void shut();
  // After a write: false when it succeeded; else counts an I/O error (unless the write was
  // aborted by a close), shuts and returns true.
  bool write_failed(const std::error_code& ec);
  // Arms the idle timer for idle_timeout after session->last_activity(); the session lives
  // until it fires. When it fires on a session still quiet and not in flight, it shuts it;
  // otherwise it arms again.
  void arm_idle(std::shared_ptr<Session> session);

 private:
  tls::Stream& stream_;
  FrameWatchdog& watchdog_;
  service::ServerStatsShard& stats_;
  asio::steady_timer idle_timer_;
  std::chrono::milliseconds idle_timeout_;
  bool closed_ = false;
};

}  // namespace drl::net
