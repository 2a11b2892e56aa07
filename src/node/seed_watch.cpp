#include "node/seed_watch.h"

#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>

#include "node/event_log.h"

namespace drl::node {
namespace {

constexpr auto kMaxInterval = std::chrono::seconds(30);
constexpr auto kConnectTimeout = std::chrono::seconds(2);

// Splits "host:port" (IPv6 in brackets); false when malformed (the CLI refused those).
bool split(const std::string& seed, std::string& host, std::string& port) {
  const size_t colon = seed.rfind(':');
  if (colon == std::string::npos) return false;
  host = seed.substr(0, colon);
  port = seed.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return true;
}

}  // namespace

SeedWatch::SeedWatch(asio::io_context& io, std::vector<std::string> seeds,
                     std::function<bool()> joined)
    : io_(io), seeds_(std::move(seeds)), joined_(std::move(joined)), timer_(io) {}

void SeedWatch::start() {
  if (!seeds_.empty()) round();
}

void SeedWatch::round() {
  if (joined_()) return;
  ++attempt_;
  for (const auto& seed : seeds_) check(seed);
  timer_.expires_after(next_);
  next_ = std::min(next_ * 2, std::chrono::duration_cast<std::chrono::seconds>(kMaxInterval));
  timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](std::error_code ec) {
    if (!ec && !alive.expired()) round();
  });
}

void SeedWatch::check(const std::string& seed) {
  std::string host, port;
  if (!split(seed, host, port)) return;
  struct Attempt {
    explicit Attempt(asio::io_context& io) : resolver(io), socket(io), deadline(io) {}
    asio::ip::tcp::resolver resolver;
    asio::ip::tcp::socket socket;
    asio::steady_timer deadline;
  };
  auto a = std::make_shared<Attempt>(io_);
  const std::string attempt = std::to_string(attempt_);
  const std::string retry = std::to_string(next_.count()) + " s";
  std::weak_ptr<int> alive = alive_;
  a->resolver.async_resolve(
      host, port,
      [this, a, seed, attempt, retry, alive](std::error_code ec,
                                             asio::ip::tcp::resolver::results_type results) {
        if (alive.expired() || joined_()) return;
        if (ec) {
          log_event(spdlog::level::warn, "seed_unresolvable",
                    {{"seed", seed}, {"error", ec.message()}, {"attempt", attempt}},
                    "seed " + seed + " cannot be resolved (" + ec.message() +
                        "); gossip keeps trying to join, next look in " + retry);
          return;
        }
        a->deadline.expires_after(kConnectTimeout);
        a->deadline.async_wait([a](std::error_code e) {
          if (!e) a->socket.close();
        });
        asio::async_connect(a->socket, results,
                            [this, a, seed, attempt, retry, alive](std::error_code e,
                                                                   const asio::ip::tcp::endpoint&) {
                              a->deadline.cancel();
                              if (alive.expired() || joined_() || !e) return;
                              const std::string why = e == asio::error::operation_aborted
                                                          ? std::string("no answer in 2 s")
                                                          : e.message();
                              log_event(spdlog::level::warn, "seed_unreachable",
                                        {{"seed", seed}, {"error", why}, {"attempt", attempt}},
                                        "seed " + seed + " is unreachable (" + why +
                                            "); gossip keeps trying to join, next look in " +
                                            retry);
                            });
      });
}

}  // namespace drl::node
