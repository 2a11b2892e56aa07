// A fixed set of I/O threads, each running its own asio::io_context, so a connection lives
// on one thread for its whole life and needs no strand or lock. Owns the contexts and the
// threads. start() and stop() from one controlling thread; context(i) from any thread.
//
// Each thread also measures its own event-loop lag: a probe timer due every millisecond
// records how late it ran. That lateness is how long a ready socket waits on this thread
// before its handler runs — queueing a session cannot see in its own read times — so
// admission control adds it to a request's sojourn (loop_lag()).
#pragma once
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "common/time.h"

namespace drl::net {

class IoPool {
 public:
  explicit IoPool(size_t threads);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  size_t size() const { return contexts_.size(); }
  asio::io_context& context(size_t i) { return *contexts_[i]; }
  // Round-robin choice for a new connection; returns its index.
  size_t next_index();

  void start();
  // Stops every context and joins the threads. Idempotent.
  void stop();

  // The calling thread's recent event-loop lag: the largest lateness of its probe over the
  // last few probes (decaying), in nanoseconds. 0 on a thread that is not a pool thread.
  static Nanos loop_lag();

 private:
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
  struct Probe;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<std::unique_ptr<Probe>> probes_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  size_t next_ = 0;
};

}  // namespace drl::net
