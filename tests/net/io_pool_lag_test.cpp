// The I/O pool's loop-lag probe, which admission control adds to a request's queueing delay:
// a handler that holds a pool thread busy shows up as lag on that thread, and only there.
#include <gtest/gtest.h>

#include <asio/post.hpp>
#include <atomic>
#include <chrono>
#include <thread>

#include "net/io_pool.h"

namespace drl::net {
namespace {

// On the pool thread: reads loop_lag() each round (re-posting itself) until it reaches
// `want` or `give_up` passes; the largest value seen goes to `seen`, then `done` is set.
// Reading from the pool thread itself means a probe firing is never missed for want of a
// reader, however the OS schedules the test's main thread.
void watch_lag(asio::io_context& io, Nanos want, std::chrono::steady_clock::time_point give_up,
               std::atomic<Nanos>& seen, std::atomic<bool>& done) {
  seen = std::max(seen.load(), IoPool::loop_lag());
  if (seen >= want || std::chrono::steady_clock::now() >= give_up) {
    done = true;
    return;
  }
  asio::post(io, [&io, want, give_up, &seen, &done] { watch_lag(io, want, give_up, seen, done); });
}

TEST(IoPoolLag, ABusyHandlerShowsAsLagOnItsThread) {
  IoPool pool(1);
  pool.start();
  std::atomic<Nanos> seen{0};
  std::atomic<bool> done{false};
  auto& io = pool.context(0);
  asio::post(io, [&] {
    // Holds the thread: the probe due meanwhile runs late by about 30 ms.
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(30);
    while (std::chrono::steady_clock::now() < until) {
    }
    watch_lag(io, 10 * kMillisecond, std::chrono::steady_clock::now() + std::chrono::seconds(10),
              seen, done);
  });
  while (!done) std::this_thread::yield();
  EXPECT_GE(seen.load(), 10 * kMillisecond) << "a 30 ms busy handler must show as lag";
  pool.stop();
}

TEST(IoPoolLag, NotAPoolThreadHasNoLag) { EXPECT_EQ(IoPool::loop_lag(), 0); }

}  // namespace
}  // namespace drl::net
