// Tells the operator when the seeds of --join cannot be used: a name that does not resolve
// (seed_unresolvable), an address where nothing accepts a connection (seed_unreachable).
// Gossip retries the join on its own; this only looks, and says so in the log, at start and
// then every 1, 2, 4 ... 30 s until the node has joined (`joined()` true; checked on the
// control thread). Without it a node whose seeds are all wrong silently runs alone.
// Control thread only; the owner must outlive io.run().
#pragma once
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace drl::node {

class SeedWatch {
 public:
  SeedWatch(asio::io_context& io, std::vector<std::string> seeds, std::function<bool()> joined);
  void start();

 private:
  void round();
  void check(const std::string& seed);

  asio::io_context& io_;
  std::vector<std::string> seeds_;
  std::function<bool()> joined_;
  asio::steady_timer timer_;
  std::chrono::seconds next_{1};
  int attempt_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // handlers check it still exists
};

}  // namespace drl::node
