// The slow-loris guard of one client session (native or RESP): bytes left over after a
// session has taken every whole frame (or command) from its input begin one still
// incomplete, which must be whole within the frame timeout of its first byte's arrival, or
// the session is closed and counted as a frame timeout. Only bytes the client owes count:
// while the session holds back reading (outstanding requests, full output), the clock starts
// again.
//
// Owned by the session and used on its thread only. The session implements Session; the
// timer's wait holds the keep-alive given to note() (the session's own shared_ptr), so the
// session outlives every wait. cancel() when the session closes.
#pragma once
#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <memory>

namespace drl::net {

class FrameWatchdog {
 public:
  class Session {
   public:
    virtual bool watchdog_closed() const = 0;     // closed: nothing left to guard
    virtual bool watchdog_has_input() const = 0;  // unprocessed bytes in the buffer
    virtual bool watchdog_reading() const = 0;    // a read is pending (the client owes bytes)
    virtual void watchdog_expired() = 0;          // count and close
   protected:
    ~Session() = default;
  };

  // timeout 0 = no limit.
  FrameWatchdog(const asio::any_io_executor& executor, std::chrono::milliseconds timeout,
                Session& session);

  // After the session processed its input: `leftover` bytes remain, `consumed` says whether
  // a whole frame was taken (so any leftover begins a new one), `arrived` is when the latest
  // bytes arrived.
  void note(const std::shared_ptr<void>& keep_alive, size_t leftover, bool consumed,
            std::chrono::steady_clock::time_point arrived);
  void cancel();

 private:
  void arm(std::shared_ptr<void> keep_alive);

  asio::steady_timer timer_;
  std::chrono::milliseconds timeout_;
  Session& session_;
  std::chrono::steady_clock::time_point partial_since_{};  // first byte of the frame
  bool armed_ = false;
};

}  // namespace drl::net
