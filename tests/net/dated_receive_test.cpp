// Reads dated by the kernel (SO_TIMESTAMPNS) over real loopback sockets: the date is when
// the bytes arrived, not when the reader got round to them; an empty socket, a closed one
// and the asynchronous form behave as a reader needs.
#include "net/dated_receive.h"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace drl::net {
namespace {

using std::chrono::steady_clock;

// A connected pair of loopback sockets on one io_context.
struct Pair {
  Pair() : acceptor(io, {asio::ip::make_address("127.0.0.1"), 0}), writer(io), reader(io) {
    writer.connect(acceptor.local_endpoint());
    acceptor.accept(reader);
  }
  // Waits (bounded) until `reader` has bytes to read, without reading them.
  bool await_bytes() {
    for (int i = 0; i < 20000; ++i) {
      if (reader.available() > 0) return true;
      std::this_thread::yield();
    }
    return reader.available() > 0;
  }
  // The kernel turns dating on for the whole machine a moment after the first socket asks
  // (deferred work), and leaves undated what arrived before: exchange bytes until one read
  // comes dated (bounded).
  bool dates_flowing() {
    std::vector<uint8_t> buffer(16);
    const auto give_up = steady_clock::now() + std::chrono::seconds(5);
    while (steady_clock::now() < give_up) {
      asio::write(writer, asio::buffer(std::string("x")));
      if (!await_bytes()) return false;
      if (receive_dated(reader, buffer, steady_clock::now()).newest_arrival) return true;
    }
    return false;
  }
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor;
  asio::ip::tcp::socket writer, reader;
};

TEST(DatedReceive, DatesBytesByTheirArrivalNotByTheRead) {
  Pair p;
  ASSERT_TRUE(enable_receive_dates(p.reader));
  ASSERT_TRUE(p.dates_flowing()) << "the kernel never dated a read";
  const auto sent = steady_clock::now();
  asio::write(p.writer, asio::buffer(std::string("hello")));
  ASSERT_TRUE(p.await_bytes());
  // The reader is late by 30 ms (a busy or descheduled thread).
  const auto late_until = sent + std::chrono::milliseconds(30);
  while (steady_clock::now() < late_until) {
  }
  std::vector<uint8_t> buffer(64);
  const auto r = receive_dated(p.reader, buffer, steady_clock::now());
  ASSERT_FALSE(r.error) << r.error.message();
  EXPECT_EQ(r.bytes, 5u);
  ASSERT_TRUE(r.newest_arrival.has_value()) << "the kernel gave no date";
  EXPECT_LE(*r.newest_arrival, r.read_at);
  EXPECT_GE(r.read_at - *r.newest_arrival, std::chrono::milliseconds(25))
      << "dated by the read, not by the arrival";
  EXPECT_GE(*r.newest_arrival, sent - std::chrono::milliseconds(5));
}

TEST(DatedReceive, SaysWhenThereIsNothingToReadAndWhenThePeerClosed) {
  Pair p;
  std::vector<uint8_t> buffer(64);
  const auto empty = receive_dated(p.reader, buffer, steady_clock::now());
  EXPECT_TRUE(empty.would_block);
  EXPECT_EQ(empty.bytes, 0u);
  p.writer.close();
  DatedReceive closed;
  for (int i = 0; i < 20000; ++i) {
    closed = receive_dated(p.reader, buffer, steady_clock::now());
    if (!closed.would_block) break;
    std::this_thread::yield();
  }
  EXPECT_TRUE(closed.eof);
  EXPECT_FALSE(closed.error);
}

// The asynchronous form never completes inside the call, reads bytes already there, and
// otherwise waits for them.
TEST(DatedReceive, AsyncFormReadsNowOrOnceBytesCome) {
  Pair p;
  enable_receive_dates(p.reader);
  std::vector<uint8_t> buffer(64);
  std::vector<size_t> reads;
  auto read_once = [&] {
    async_receive_dated(p.reader, buffer,
                        [&](const DatedReceive& r) { reads.push_back(r.error ? 0 : r.bytes); });
  };
  // Nothing there yet: it waits.
  read_once();
  EXPECT_TRUE(reads.empty());
  p.io.poll();
  EXPECT_TRUE(reads.empty());
  asio::write(p.writer, asio::buffer(std::string("abc")));
  p.io.run_for(std::chrono::seconds(5));
  p.io.restart();
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0], 3u);
  // Bytes already there: read at once, completed later, from the context.
  asio::write(p.writer, asio::buffer(std::string("defg")));
  ASSERT_TRUE(p.await_bytes());
  read_once();
  EXPECT_EQ(reads.size(), 1u);
  p.io.poll();
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[1], 4u);
}

}  // namespace
}  // namespace drl::net
