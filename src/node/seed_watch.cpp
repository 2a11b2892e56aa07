#include "node/seed_watch.h"

#include <algorithm>
#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>

#include "node/event_log.h"

namespace drl::node {
namespace {

constexpr auto kMaxInterval = std::chrono::seconds(30);
constexpr auto kConnectTimeout = std::chrono::seconds(2);

// IP:PORT as members name themselves (an IPv6 address without brackets, as a bound endpoint
// prints; parse_host_port reads both).
std::string address_of(const asio::ip::tcp::endpoint& e) {
  return e.address().to_string() + ":" + std::to_string(e.port());
}

std::string joined_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

// The dns+ seeds still being resolved in one round, and the addresses found so far.
struct SeedWatch::Round {
  size_t pending = 0;
  std::set<std::string> addresses;
};

SeedWatch::SeedWatch(asio::io_context& io, std::vector<Seed> seeds, std::string self,
                     LiveAddresses live, Found found)
    : io_(io),
      seeds_(std::move(seeds)),
      self_(std::move(self)),
      live_(std::move(live)),
      found_(std::move(found)),
      timer_(io) {}

std::vector<std::string> SeedWatch::resolve_now() {
  ++attempt_;
  std::set<std::string> addresses;
  for (const auto& seed : seeds_) {
    if (!seed.dns) {
      addresses.insert(seed.text);
      continue;
    }
    asio::ip::tcp::resolver resolver(io_);
    std::error_code ec;
    const auto results = resolver.resolve(seed.at.host, std::to_string(seed.at.port),
                                          asio::ip::resolver_base::flags(), ec);
    std::vector<std::string> found;
    if (!ec) {
      for (const auto& r : results) found.push_back(address_of(r.endpoint()));
    }
    resolved(seed, found, ec ? ec.message() : std::string());
    addresses.insert(found.begin(), found.end());
  }
  addresses.erase(self_);
  return {addresses.begin(), addresses.end()};
}

void SeedWatch::start() {
  if (!seeds_.empty()) schedule(backoff_);
}

void SeedWatch::schedule(std::chrono::seconds after) {
  timer_.expires_after(after);
  timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](std::error_code ec) {
    if (!ec && !alive.expired()) round();
  });
}

void SeedWatch::round() {
  ++attempt_;
  auto r = std::make_shared<Round>();
  for (const auto& seed : seeds_) {
    if (seed.dns) {
      ++r->pending;
    } else {
      r->addresses.insert(seed.text);
    }
  }
  if (r->pending == 0) return finish(r->addresses);
  std::weak_ptr<int> alive = alive_;
  for (const auto& seed : seeds_) {
    if (!seed.dns) continue;
    auto resolver = std::make_shared<asio::ip::tcp::resolver>(io_);
    resolver->async_resolve(seed.at.host, std::to_string(seed.at.port),
                            asio::ip::resolver_base::flags(),
                            [this, r, resolver, seed, alive](
                                std::error_code ec, asio::ip::tcp::resolver::results_type results) {
                              if (alive.expired()) return;
                              std::vector<std::string> found;
                              if (!ec) {
                                for (const auto& e : results)
                                  found.push_back(address_of(e.endpoint()));
                              }
                              resolved(seed, found, ec ? ec.message() : std::string());
                              r->addresses.insert(found.begin(), found.end());
                              if (--r->pending == 0) finish(r->addresses);
                            });
  }
}

void SeedWatch::resolved(const Seed& seed, const std::vector<std::string>& addresses,
                         const std::string& error) {
  if (addresses.empty()) {
    const std::string why = error.empty() ? std::string("no A or AAAA record") : error;
    log_event(
        spdlog::level::warn, "seed_unresolvable",
        {{"seed", seed.text}, {"error", why}, {"attempt", std::to_string(attempt_)}},
        "seed " + seed.text + " cannot be resolved (" + why + "); resolving it again within 30 s");
    return;
  }
  std::vector<std::string> sorted = addresses;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  auto& before = records_[seed.text];
  if (before == sorted) return;
  before = sorted;
  const std::string list = joined_list(sorted);
  log_event(spdlog::level::info, "seed_resolved", {{"seed", seed.text}, {"addresses", list}},
            "seed " + seed.text + " resolves to " + list);
}

void SeedWatch::finish(const std::set<std::string>& all) {
  std::set<std::string> addresses = all;
  addresses.erase(self_);
  found_({addresses.begin(), addresses.end()});
  const auto live = live_();
  bool whole = !live.empty();
  for (const auto& a : addresses) {
    if (live.count(a)) continue;
    whole = false;
    std::string seed = a;
    for (const auto& [text, records] : records_) {
      if (std::find(records.begin(), records.end(), a) != records.end()) seed = text;
    }
    check(a, seed);
  }
  if (whole) {
    backoff_ = std::chrono::seconds(1);
    next_ = kMaxInterval;
  } else {
    next_ = backoff_;
    backoff_ =
        std::min(backoff_ * 2, std::chrono::duration_cast<std::chrono::seconds>(kMaxInterval));
  }
  schedule(next_);
}

std::string SeedWatch::next_look() const { return std::to_string(next_.count()) + " s"; }

void SeedWatch::check(const std::string& address, const std::string& seed) {
  auto hp = parse_host_port(address);
  if (!hp) return;
  struct Attempt {
    explicit Attempt(asio::io_context& io) : resolver(io), socket(io), deadline(io) {}
    asio::ip::tcp::resolver resolver;
    asio::ip::tcp::socket socket;
    asio::steady_timer deadline;
  };
  auto a = std::make_shared<Attempt>(io_);
  const std::string attempt = std::to_string(attempt_);
  std::weak_ptr<int> alive = alive_;
  a->resolver.async_resolve(
      hp->host, std::to_string(hp->port),
      [this, a, address, seed, attempt, alive](std::error_code ec,
                                               asio::ip::tcp::resolver::results_type results) {
        if (alive.expired() || live_().count(address)) return;
        if (ec) {
          log_event(spdlog::level::warn, "seed_unresolvable",
                    {{"seed", seed}, {"error", ec.message()}, {"attempt", attempt}},
                    "seed " + seed + " cannot be resolved (" + ec.message() +
                        "); gossip keeps trying to join, next look in " + next_look());
          return;
        }
        a->deadline.expires_after(kConnectTimeout);
        a->deadline.async_wait([a](std::error_code e) {
          if (!e) a->socket.close();
        });
        asio::async_connect(
            a->socket, results,
            [this, a, address, seed, attempt, alive](std::error_code e,
                                                     const asio::ip::tcp::endpoint&) {
              a->deadline.cancel();
              if (alive.expired() || !e || live_().count(address)) return;
              const std::string why = e == asio::error::operation_aborted
                                          ? std::string("no answer in 2 s")
                                          : e.message();
              const std::string where = seed == address ? seed : seed + " (" + address + ")";
              log_event(
                  spdlog::level::warn, "seed_unreachable",
                  {{"seed", seed}, {"address", address}, {"error", why}, {"attempt", attempt}},
                  "seed " + where + " is unreachable (" + why +
                      "); gossip keeps trying to join, next look in " + next_look());
            });
      });
}

}  // namespace drl::node
