#include "net/io_pool.h"

#include <algorithm>
#include <chrono>

namespace drl::net {
namespace {

// The probe fires every millisecond while the loop lags, and every 10 ms while it keeps up:
// an idle or lightly loaded thread is not woken a thousand times a second to learn that it
// is on time (sessions date their input by the kernel's receive times first, and a late
// slow probe switches to the fast period at once).
constexpr auto kProbeLagging = std::chrono::milliseconds(1);
constexpr auto kProbeOnTime = std::chrono::milliseconds(10);
// Below this estimate the loop counts as on time.
constexpr Nanos kLagging = 250 * kMicrosecond;

// Written only by the probe of the pool thread that owns it, read by that thread's sessions.
thread_local Nanos t_loop_lag = 0;

}  // namespace

// One thread's lag probe: lives on that thread's context, re-armed after each firing.
struct IoPool::Probe {
  explicit Probe(asio::io_context& io) : timer(io) {}
  void arm(std::chrono::milliseconds every) {
    timer.expires_after(every);
    timer.async_wait([this, every](std::error_code ec) {
      if (ec) return;
      const Nanos late = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now() - timer.expiry())
                             .count();
      // A new peak counts at once; an old one halves each millisecond, so the estimate
      // follows a queue that drains within a few milliseconds.
      const auto halvings = std::min<int64_t>(every / kProbeLagging, 62);
      t_loop_lag = std::max(std::max<Nanos>(late, 0), t_loop_lag >> halvings);
      arm(t_loop_lag >= kLagging ? kProbeLagging : kProbeOnTime);
    });
  }
  asio::steady_timer timer;
};

IoPool::IoPool(size_t threads) {
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i) {
    // Concurrency hint 1: each context is run by exactly one thread.
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    probes_.push_back(std::make_unique<Probe>(*contexts_.back()));
  }
}

IoPool::~IoPool() { stop(); }

size_t IoPool::next_index() {
  const size_t i = next_;
  next_ = (next_ + 1) % contexts_.size();
  return i;
}

void IoPool::start() {
  for (auto& c : contexts_) guards_.emplace_back(asio::make_work_guard(*c));
  for (size_t i = 0; i < contexts_.size(); ++i) {
    threads_.emplace_back([ctx = contexts_[i].get(), probe = probes_[i].get()] {
      probe->arm(kProbeOnTime);
      ctx->run();
    });
  }
}

void IoPool::stop() {
  guards_.clear();
  for (auto& c : contexts_) c->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

Nanos IoPool::loop_lag() { return t_loop_lag; }

}  // namespace drl::net
