// The client library against a scripted in-process server, so the test controls the order
// and content of answers: out-of-order answers, refusals, dropped connections.
#include "drl/client.h"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include "drl/client.pb.h"
#include "ring/ring.h"
#include "service/frame.h"

namespace drl {
namespace {

// Reads one request frame from `s`; false when the connection ended or failed.
bool read_request(asio::ip::tcp::socket& s, wire::Request& request) {
  std::error_code ec;
  uint8_t header[4];
  asio::read(s, asio::buffer(header), ec);
  if (ec) return false;
  std::string body(service::read_be32(header), '\0');
  asio::read(s, asio::buffer(body), ec);
  if (ec) return false;
  request.ParseFromString(body);
  return true;
}

// Accepts one connection, reads `expect` requests, then calls `script` with them; whatever
// frames `script` appends to `out` are sent back, then the connection closes.
class ScriptedServer {
 public:
  using Script = std::function<void(std::vector<wire::Request>&, std::string& out)>;
  ScriptedServer(size_t expect, Script script)
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this, expect, script] {
      std::error_code ec;
      asio::ip::tcp::socket s(io_);
      acceptor_.accept(s, ec);
      if (ec) return;
      std::vector<wire::Request> requests;
      while (requests.size() < expect) {
        if (!read_request(s, requests.emplace_back())) return;
      }
      std::string out;
      script(requests, out);
      asio::write(s, asio::buffer(out), ec);
      s.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    });
  }
  ~ScriptedServer() {
    std::error_code ec;
    acceptor_.close(ec);
    thread_.join();
  }
  std::string address() const {
    return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }

 private:
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
};

// Answers each request as it arrives on the one connection it accepts, with whatever
// `answer` makes of it; counts any further connection the client opens.
class ConversationServer {
 public:
  using Answer = std::function<wire::Response(const wire::Request&, size_t nth)>;
  explicit ConversationServer(Answer answer)
      : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this, answer] {
      std::error_code ec;
      asio::ip::tcp::socket s(io_);
      acceptor_.accept(s, ec);
      if (ec) return;
      acceptor_.non_blocking(true, ec);
      for (size_t nth = 0;; ++nth) {
        wire::Request request;
        if (!read_request(s, request)) return;
        // A connection the client opened beside this one, by now, is in the accept queue.
        asio::ip::tcp::socket extra(io_);
        acceptor_.accept(extra, ec);
        if (!ec) ++extra_connections_;
        std::string out;
        service::append_frame(out, answer(request, nth));
        asio::write(s, asio::buffer(out), ec);
        if (ec) return;
      }
    });
  }
  ~ConversationServer() {
    std::error_code ec;
    acceptor_.close(ec);
    thread_.join();
  }
  std::string address() const {
    return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  size_t extra_connections() const { return extra_connections_; }

 private:
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<size_t> extra_connections_{0};
};

// Serves every connection it accepts (a thread each), answering each request with whatever
// `answer` makes of it; `nth` counts the requests of all connections together.
class ManyConnectionServer {
 public:
  using Answer = std::function<wire::Response(const wire::Request&, size_t nth)>;
  explicit ManyConnectionServer(Answer answer)
      : answer_(std::move(answer)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] {
      for (;;) {
        std::error_code ec;
        auto s = std::make_shared<asio::ip::tcp::socket>(io_);
        acceptor_.accept(*s, ec);
        if (ec || stopping_) return;
        ++connections_;
        sockets_.push_back(s);
        serving_.emplace_back([this, s] { serve(*s); });
      }
    });
  }
  ~ManyConnectionServer() {
    std::error_code ec;
    stopping_ = true;
    asio::ip::tcp::socket wake(io_);  // a blocking accept does not see a close: connect
    wake.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
    acceptor_.close(ec);
    for (auto& s : sockets_) s->shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    for (auto& t : serving_) t.join();
  }
  std::string address() const {
    return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  size_t connections() const { return connections_; }

 private:
  void serve(asio::ip::tcp::socket& s) {
    std::error_code ec;
    for (;;) {
      wire::Request request;
      if (!read_request(s, request)) return;
      std::string out;
      service::append_frame(out, answer_(request, nth_++));
      asio::write(s, asio::buffer(out), ec);
      if (ec) return;
    }
  }

  Answer answer_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::vector<std::shared_ptr<asio::ip::tcp::socket>> sockets_;  // accept thread only
  std::vector<std::thread> serving_;                             // accept thread only
  std::atomic<size_t> connections_{0};
  std::atomic<size_t> nth_{0};
  std::atomic<bool> stopping_{false};
};

// An address nothing listens on (a port bound, then let go).
std::string dead_address() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return "127.0.0.1:" + std::to_string(a.local_endpoint().port());
}

CheckSpec spec(std::string key) {
  CheckSpec s;
  s.key = std::move(key);
  s.limit = InlineLimit{Algorithm::kTokenBucket, 10, std::chrono::seconds(1), 0};
  return s;
}

TEST(Client, MatchesOutOfOrderAnswersByRequestId) {
  constexpr size_t kRequests = 8;
  ScriptedServer server(kRequests, [](std::vector<wire::Request>& requests, std::string& out) {
    // Answer last request first; each answer's remaining = the key's number.
    for (auto it = requests.rbegin(); it != requests.rend(); ++it) {
      wire::Response r;
      r.set_id(it->id());
      auto* result = r.mutable_check()->add_results();
      result->set_allowed(true);
      result->set_remaining(std::stoull(it->check().checks(0).key()));
      service::append_frame(out, r);
    }
  });
  Client client({.nodes = {server.address()}});
  std::mutex mutex;
  std::vector<std::pair<uint64_t, uint64_t>> got;  // (asked, answered)
  std::atomic<size_t> done{0};
  for (uint64_t i = 0; i < kRequests; ++i) {
    client.check_async({spec(std::to_string(i))}, [&, i](std::vector<CheckResult> r) {
      std::lock_guard lock(mutex);
      got.emplace_back(i, r.at(0).remaining);
      ++done;
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (done < kRequests && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  ASSERT_EQ(done.load(), kRequests);
  for (auto [asked, answered] : got) EXPECT_EQ(asked, answered);
  EXPECT_EQ(got.front().first, kRequests - 1) << "answers arrived last-first";
}

TEST(Client, RequestRefusalFailsEveryCheckOfTheBatch) {
  ScriptedServer server(1, [](std::vector<wire::Request>& requests, std::string& out) {
    wire::Response r;
    r.set_id(requests[0].id());
    r.mutable_error()->set_code(wire::TOO_MANY_CHECKS);
    r.mutable_error()->set_message("too many");
    service::append_frame(out, r);
  });
  Client client({.nodes = {server.address()}});
  const auto results = client.check(std::vector<CheckSpec>{spec("a"), spec("b")});
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) {
    EXPECT_EQ(r.code, ResultCode::kRequestError);
    EXPECT_EQ(r.message, "too many");
  }
}

TEST(Client, ConnectionLostBeforeTheAnswerIsUnavailable) {
  ScriptedServer server(1, [](std::vector<wire::Request>&, std::string&) {});
  Client client({.nodes = {server.address()}});
  const auto r = client.check(spec("a"));
  EXPECT_EQ(r.code, ResultCode::kUnavailable);
  EXPECT_FALSE(r.message.empty());
}

// A server's answers: OVERLOADED (retry after 1 ms) to its `shed`-th request (counted from
// 0), allowed to every other.
auto shed_the_nth(size_t shed) {
  return [shed](const wire::Request& request, size_t nth) {
    wire::Response r;
    r.set_id(request.id());
    auto* result = r.mutable_check()->add_results();
    if (nth == shed) {
      result->set_code(wire::OVERLOADED);
      result->set_retry_after_ms(1);
    } else {
      result->set_allowed(true);
    }
    return r;
  };
}

// With one node, a retry after OVERLOADED goes back over the connection already open: a second
// connection would cost a node that is shedding load one more descriptor and, at its
// --max-connections, be refused (seen as "connection reset" by the caller).
TEST(Client, RetryOnTheSameNodeReusesItsConnection) {
  ConversationServer server(shed_the_nth(0));
  Client client({.nodes = {server.address()}, .request_timeout = std::chrono::seconds(2)});
  const auto r = client.check(spec("a"));
  EXPECT_EQ(r.code, ResultCode::kOk) << r.message;
  EXPECT_TRUE(r.allowed);
  EXPECT_EQ(server.extra_connections(), 0u);
}

// A retry after OVERLOADED goes to another node; when that node cannot be reached (it died),
// it goes to the next one of the list instead of failing the check.
TEST(Client, ARetryWhoseNodeIsDeadGoesToTheNextNode) {
  ManyConnectionServer live(shed_the_nth(1));
  // Two nodes: the retry's "another node" is the dead one. The first check connects the
  // client to the live node (the list's first); the second is shed there and retried.
  Client client(
      {.nodes = {live.address(), dead_address()}, .request_timeout = std::chrono::seconds(5)});
  ASSERT_EQ(client.check(spec("a")).code, ResultCode::kOk);
  const auto r = client.check(spec("b"));
  EXPECT_EQ(r.code, ResultCode::kOk) << r.message;
  EXPECT_TRUE(r.allowed);
  EXPECT_EQ(live.connections(), 2u) << "the retry came back to the live node";
}

TEST(Client, BadAddressIsAnErrorNotACrash) {
  Client client({.nodes = {"not-an-address"}});
  EXPECT_EQ(client.check(spec("a")).code, ResultCode::kUnavailable);
  NodeStatus s;
  std::string error;
  EXPECT_FALSE(client.status(s, error));
  EXPECT_FALSE(error.empty());
}

// The smart client learns the ring with a RingRequest that carries the epoch it holds (an
// unchanged ring then costs a few bytes; a status request cost the node a pass over its
// store), and routes checks by the ring it got: to the owner over a connection of its own.
TEST(Client, TheSmartClientRefreshesItsRingWithTheEpochItHolds) {
  std::mutex mu;
  std::string address;              // the server's, once it listens; guarded by mu
  std::vector<uint64_t> known;      // known_epoch of each ring request; guarded by mu
  std::atomic<size_t> statuses{0};  // status requests seen
  uint64_t epoch = 0;               // guarded by mu
  ManyConnectionServer server([&](const wire::Request& request, size_t) {
    wire::Response r;
    r.set_id(request.id());
    if (request.has_ring()) {
      std::lock_guard lock(mu);
      const ring::Ring ring({{"s", address}});
      epoch = ring.epoch();
      known.push_back(request.ring().known_epoch());
      auto* out = r.mutable_ring();
      out->set_epoch(ring.epoch());
      out->set_replicas(1);
      out->set_vnodes(ring.vnodes());
      if (request.ring().known_epoch() == ring.epoch()) {
        out->set_unchanged(true);
      } else {
        auto* m = out->add_members();
        m->set_id("s");
        m->set_address(address);
        m->set_state("alive");
      }
    } else if (request.has_status()) {
      ++statuses;
      r.mutable_status();
    } else {
      for (int i = 0; i < request.check().checks_size(); ++i) {
        auto* result = r.mutable_check()->add_results();
        result->set_allowed(true);
        result->set_decided_by("s");
      }
    }
    return r;
  });
  {
    std::lock_guard lock(mu);
    address = server.address();
  }
  ClientOptions options;
  options.nodes = {server.address()};
  options.route_to_owner = true;
  options.ring_refresh = std::chrono::milliseconds(5);
  Client client(options);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto refreshed_with_epoch = [&] {
    std::lock_guard lock(mu);
    return epoch != 0 && std::count(known.begin(), known.end(), epoch) > 0;
  };
  for (int i = 0; std::chrono::steady_clock::now() < give_up; ++i) {
    const auto r = client.check(spec("k" + std::to_string(i)));
    ASSERT_EQ(r.code, ResultCode::kOk) << r.message;
    if (refreshed_with_epoch() && server.connections() >= 2) break;
  }
  std::lock_guard lock(mu);
  ASSERT_FALSE(known.empty());
  EXPECT_EQ(known.front(), 0u) << "the first ring request holds no ring";
  EXPECT_GT(std::count(known.begin(), known.end(), epoch), 0)
      << "later ring requests carry the epoch the client holds";
  EXPECT_GE(server.connections(), 2u) << "checks go to the owner over a connection of its own";
  EXPECT_EQ(statuses.load(), 0u) << "the ring is not read from a status";
}

}  // namespace
}  // namespace drl
