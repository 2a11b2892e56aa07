// A fixed set of I/O threads, each running its own asio::io_context, so a connection lives
// on one thread for its whole life and needs no strand or lock. Owns the contexts and the
// threads. start() and stop() from one controlling thread; context(i) from any thread.
#pragma once
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <memory>
#include <thread>
#include <vector>

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

 private:
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  size_t next_ = 0;
};

}  // namespace drl::net
