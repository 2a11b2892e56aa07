// Finds the cluster through the seeds of --join, and keeps looking while it is not whole.
// Each round resolves every dns+NAME:PORT seed (getaddrinfo: every A and AAAA record),
// hands gossip the seed addresses (literal seeds as written, records as IP:PORT; gossip syncs
// with those no live member holds, so clusters formed apart merge), and tries a TCP connection
// to each address no live member holds. It logs what it cannot use: a name that does not
// resolve (seed_unresolvable), an address where nothing accepts (seed_unreachable); and, at
// info, a name's records when they change (seed_resolved). Rounds come 1, 2, 4 ... 30 s apart
// while a seed address is not a live member (the node is alone, or a seed's node is missing),
// and every 30 s once every one is (to see new records). Without it a node whose seeds are
// all wrong would silently run alone, and two clusters formed apart would never merge.
// Control thread only; the owner must outlive io.run().
#pragma once
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "node/seed.h"

namespace drl::node {

class SeedWatch {
 public:
  // The addresses of the live members other than this node.
  using LiveAddresses = std::function<std::set<std::string>()>;
  // Every seed address found by a round (this node's own `self` address left out).
  using Found = std::function<void(std::vector<std::string>)>;

  SeedWatch(asio::io_context& io, std::vector<Seed> seeds, std::string self, LiveAddresses live,
            Found found);
  // The seed addresses now, resolving the dns+ seeds with a blocking getaddrinfo: the join
  // list given to gossip at start, before io.run(). Failures are logged.
  std::vector<std::string> resolve_now();
  // The rounds, from now on (the first one after 1 s).
  void start();

 private:
  struct Round;
  void schedule(std::chrono::seconds after);
  void round();
  void resolved(const Seed& seed, const std::vector<std::string>& addresses,
                const std::string& error);
  void finish(const std::set<std::string>& addresses);
  void check(const std::string& address, const std::string& seed);
  std::string next_look() const;

  asio::io_context& io_;
  std::vector<Seed> seeds_;
  std::string self_;
  LiveAddresses live_;
  Found found_;
  asio::steady_timer timer_;
  std::chrono::seconds backoff_{1};
  std::chrono::seconds next_{1};  // until the round after this one
  int attempt_ = 0;
  std::map<std::string, std::vector<std::string>> records_;  // dns seed text -> its last records
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);    // handlers check it still exists
};

}  // namespace drl::node
