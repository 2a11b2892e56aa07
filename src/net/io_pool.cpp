#include "net/io_pool.h"

namespace drl::net {

IoPool::IoPool(size_t threads) {
  if (threads == 0) threads = 1;
  for (size_t i = 0; i < threads; ++i) {
    // Concurrency hint 1: each context is run by exactly one thread.
    contexts_.push_back(std::make_unique<asio::io_context>(1));
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
  for (auto& c : contexts_) {
    threads_.emplace_back([ctx = c.get()] { ctx->run(); });
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

}  // namespace drl::net
