// A client session over real loopback sockets, with a decider of the test's own: how a
// session shares its I/O thread between connections, and how it resumes requests held back
// by its limit of requests in flight.
#include "net/client_session.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/io_pool.h"
#include "net/listener.h"
#include "service/frame.h"
#include "service/server_stats.h"

namespace drl::net {
namespace {

std::string check_frame(uint64_t id) {
  wire::Request request;
  request.set_id(id);
  auto* check = request.mutable_check()->add_checks();
  check->set_key("k" + std::to_string(id));
  check->set_policy("p");
  const std::string body = request.SerializeAsString();
  std::string frame(service::kFrameHeaderBytes, '\0');
  service::write_be32(reinterpret_cast<uint8_t*>(frame.data()), static_cast<uint32_t>(body.size()));
  return frame + body;
}

// Completes every decide() later, from a thread of its own (as a forward to another node
// does).
class LaterDecider final : public service::CheckDecider {
 public:
  LaterDecider() : guard_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~LaterDecider() override {
    guard_.reset();
    thread_.join();
  }
  void decide(std::span<const service::CheckCall> calls, service::CheckCompletion done) override {
    asio::post(io_, [n = calls.size(), done = std::move(done)] {
      std::vector<service::CheckOutcome> outcomes(n);
      for (auto& o : outcomes) o.decision.allowed = true;
      done(outcomes);
    });
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
};

// Decides at once, after spinning for `cost` (deciding made slow on purpose).
class SlowDecider final : public service::CheckDecider {
 public:
  explicit SlowDecider(std::chrono::microseconds cost) : cost_(cost) {}
  void decide(std::span<const service::CheckCall> calls, service::CheckCompletion done) override {
    const auto until = std::chrono::steady_clock::now() + cost_;
    while (std::chrono::steady_clock::now() < until) {
    }
    std::vector<service::CheckOutcome> outcomes(calls.size());
    for (auto& o : outcomes) o.decision.allowed = true;
    decided.fetch_add(1);
    done(outcomes);
  }
  std::atomic<uint64_t> decided{0};

 private:
  std::chrono::microseconds cost_;
};

// One node port with one I/O thread and the given decider.
struct Server {
  Server(service::CheckDecider& decider, SessionLimits limits) : stats(1), pool(1) {
    ListenerOptions options;
    options.session = limits;
    SessionServices services;
    services.decider = &decider;
    listener = std::make_unique<Listener>(pool, options, services, stats);
    EXPECT_FALSE(listener->listen("127.0.0.1", 0));
    listener->start();
    pool.start();
  }
  ~Server() {
    pool.stop();
    listener->stop();
  }
  // Declared before the pool: sessions still queued in the pool's contexts count into it
  // when the pool destroys them.
  service::ServerStats stats;
  IoPool pool;
  std::unique_ptr<Listener> listener;
};

// A blocking client whose reads give up after 20 s (a test fails rather than hangs).
struct Client {
  explicit Client(const Server& server) : socket(io) {
    socket.connect(server.listener->local_endpoint());
    timeval tv{20, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void send(const std::string& bytes) { asio::write(socket, asio::buffer(bytes)); }
  // The id of the next response; 0 when none came in time or it could not be read.
  uint64_t read_response_id() {
    uint8_t header[service::kFrameHeaderBytes];
    std::error_code ec;
    asio::read(socket, asio::buffer(header), ec);
    if (ec) return 0;
    std::string payload(service::read_be32(header), '\0');
    asio::read(socket, asio::buffer(payload), ec);
    wire::Response response;
    if (ec || !response.ParseFromString(payload) || !response.has_check()) return 0;
    return response.id();
  }
  asio::io_context io;
  asio::ip::tcp::socket socket;
};

// A client pipelines far past the session's limit of requests in flight, all in one write,
// then only waits: each answer that comes back must let a held-back request go on, though
// the client sends nothing more.
TEST(ClientSession, RequestsHeldBackByTheInFlightLimitResumeAsAnswersComeBack) {
  LaterDecider decider;
  SessionLimits limits;
  limits.max_outstanding = 4;
  Server server(decider, limits);
  Client client(server);
  constexpr uint64_t kRequests = 40;
  std::string all;
  for (uint64_t id = 1; id <= kRequests; ++id) all += check_frame(id);
  client.send(all);
  std::vector<bool> seen(kRequests + 1, false);
  for (uint64_t n = 0; n < kRequests; ++n) {
    const uint64_t id = client.read_response_id();
    ASSERT_NE(id, 0u) << "no answer after " << n << " of " << kRequests;
    ASSERT_LE(id, kRequests);
    EXPECT_FALSE(seen[id]) << id;
    seen[id] = true;
  }
}

// One connection's backlog does not hold up another connection on the same I/O thread: the
// session works in turns of at most SessionLimits::turn_budget, so a request sent after a
// long backlog is answered long before the backlog is through.
TEST(ClientSession, ALongBacklogOnOneConnectionDoesNotHoldUpAnother) {
  SlowDecider decider(std::chrono::microseconds(1000));
  SessionLimits limits;  // default turn budget (250 us): one slow check per turn
  Server server(decider, limits);
  Client busy(server), quick(server);
  constexpr uint64_t kBacklog = 200;  // 200 ms of deciding
  std::string all;
  for (uint64_t id = 1; id <= kBacklog; ++id) all += check_frame(id);
  busy.send(all);
  // The backlog has begun: its first answer is back.
  ASSERT_NE(busy.read_response_id(), 0u);
  quick.send(check_frame(7));
  ASSERT_EQ(quick.read_response_id(), 7u);
  // Deciding the whole backlog first would have made this 200.
  EXPECT_LT(decider.decided.load(), kBacklog / 4);
  // And the backlog is still answered in full.
  uint64_t answered = 1;
  while (answered < kBacklog && busy.read_response_id() != 0) ++answered;
  EXPECT_EQ(answered, kBacklog);
}

}  // namespace
}  // namespace drl::net
