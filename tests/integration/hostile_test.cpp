// Broken and hostile clients against a real node: it answers what it can, closes the
// offender, and keeps serving everyone else.
#include <gtest/gtest.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <memory>

#include "drl/client.h"
#include "drl/client.pb.h"
#include "integration/support/node_process.h"
#include "service/frame.h"

namespace drl {
namespace {

using testing::NodeProcess;

class RawConnection {
 public:
  explicit RawConnection(uint16_t port) : socket_(io_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
  }
  void send(std::string_view bytes) { asio::write(socket_, asio::buffer(bytes)); }
  // Reads one response frame; false when the node closed the connection first.
  bool read(wire::Response& out) {
    uint8_t header[4];
    std::error_code ec;
    asio::read(socket_, asio::buffer(header), ec);
    if (ec) return false;
    std::string body(service::read_be32(header), '\0');
    asio::read(socket_, asio::buffer(body), ec);
    return !ec && out.ParseFromString(body);
  }
  // True once the node has closed the connection (reads return EOF).
  bool closed_by_peer() {
    char c;
    std::error_code ec;
    socket_.read_some(asio::buffer(&c, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
  asio::ip::tcp::socket& socket() { return socket_; }

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
};

std::string frame(const std::string& payload) {
  std::string out(4, '\0');
  service::write_be32(reinterpret_cast<uint8_t*>(out.data()),
                      static_cast<uint32_t>(payload.size()));
  return out + payload;
}

bool node_still_serves(const NodeProcess& node) {
  Client client({.nodes = {node.address()}});
  CheckSpec spec;
  spec.key = "well-behaved";
  spec.limit = InlineLimit{Algorithm::kTokenBucket, 1000000, std::chrono::seconds(1), 0};
  const auto r = client.check(spec);
  return r.code == ResultCode::kOk && r.allowed;
}

TEST(Hostile, GarbageGetsAnErrorAndTheConnectionCloses) {
  NodeProcess node;
  ASSERT_NE(node.port(), 0) << node.error();
  RawConnection raw(node.port());
  raw.send(frame("\xff\xff\xff\xff garbage that is not protobuf"));
  wire::Response response;
  ASSERT_TRUE(raw.read(response));
  ASSERT_TRUE(response.has_error());
  EXPECT_EQ(response.error().code(), wire::MALFORMED_FRAME);
  EXPECT_TRUE(response.error().closing());
  EXPECT_TRUE(raw.closed_by_peer());
  EXPECT_TRUE(node_still_serves(node));
}

TEST(Hostile, HugeLengthIsRefusedWithoutReadingIt) {
  NodeProcess node;
  ASSERT_NE(node.port(), 0) << node.error();
  RawConnection raw(node.port());
  raw.send("GET / HTTP/1.1\r\n\r\n");  // "GET " read as a length: ~1.2 GB
  wire::Response response;
  ASSERT_TRUE(raw.read(response));
  EXPECT_EQ(response.error().code(), wire::FRAME_TOO_LARGE);
  EXPECT_TRUE(raw.closed_by_peer());
  RawConnection raw2(node.port());
  raw2.send(std::string("\x00\x10\x00\x01", 4));  // 1 MiB + 1
  ASSERT_TRUE(raw2.read(response));
  EXPECT_EQ(response.error().code(), wire::FRAME_TOO_LARGE);
  EXPECT_TRUE(node_still_serves(node));
}

TEST(Hostile, TruncatedFramesAndAbruptClosesDoNotHurt) {
  NodeProcess node;
  ASSERT_NE(node.port(), 0) << node.error();
  for (int i = 0; i < 50; ++i) {
    RawConnection raw(node.port());
    raw.send(std::string("\x00\x00\x01\x00partial", 11));  // announces 256, sends 7
  }                                                        // closed mid-frame
  EXPECT_TRUE(node_still_serves(node));
  EXPECT_TRUE(node.alive());
}

TEST(Hostile, EmptyAndBodilessRequestsAreRefusedButTheConnectionStays) {
  NodeProcess node;
  ASSERT_NE(node.port(), 0) << node.error();
  RawConnection raw(node.port());
  wire::Request request;
  request.set_id(7);
  raw.send(frame(request.SerializeAsString()));
  wire::Response response;
  ASSERT_TRUE(raw.read(response));
  EXPECT_EQ(response.id(), 7u);
  EXPECT_EQ(response.error().code(), wire::EMPTY_REQUEST);
  request.mutable_check();  // a check request with no checks
  request.set_id(8);
  raw.send(frame(request.SerializeAsString()));
  ASSERT_TRUE(raw.read(response));
  EXPECT_EQ(response.id(), 8u);
  EXPECT_EQ(response.error().code(), wire::EMPTY_REQUEST);
  EXPECT_FALSE(response.error().closing());
  request.set_id(9);
  auto* check = request.mutable_check()->add_checks();
  check->set_key("k");
  check->mutable_limit()->set_limit(1);
  check->mutable_limit()->set_window_ms(1000);
  raw.send(frame(request.SerializeAsString()));
  ASSERT_TRUE(raw.read(response));
  EXPECT_EQ(response.id(), 9u);
  ASSERT_EQ(response.check().results_size(), 1);
  EXPECT_TRUE(response.check().results(0).allowed());
}

TEST(Hostile, ManyIdleConnectionsDoNotStopService) {
  NodeProcess node;
  ASSERT_NE(node.port(), 0) << node.error();
  asio::io_context io;
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> idle;
  constexpr int kIdle = 1500;
  for (int i = 0; i < kIdle; ++i) {
    auto s = std::make_unique<asio::ip::tcp::socket>(io);
    std::error_code ec;
    s->connect({asio::ip::make_address("127.0.0.1"), node.port()}, ec);
    ASSERT_FALSE(ec) << "connection " << i << ": " << ec.message();
    if (i % 2 == 1) asio::write(*s, asio::buffer(std::string("\x00\x00", 2)));  // half a word
    idle.push_back(std::move(s));
  }
  EXPECT_TRUE(node_still_serves(node));
  EXPECT_TRUE(node.alive());
}

TEST(Hostile, IdleConnectionsAreClosedAfterTheTimeout) {
  NodeProcess node({"--idle-timeout-ms", "200"});
  ASSERT_NE(node.port(), 0) << node.error();
  RawConnection silent(node.port());
  EXPECT_TRUE(silent.closed_by_peer());  // blocks until the node closes it
  RawConnection talker(node.port());
  talker.send(std::string("\x00\x00", 2));
  EXPECT_TRUE(talker.closed_by_peer());
}

}  // namespace
}  // namespace drl
