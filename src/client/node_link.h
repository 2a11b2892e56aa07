// One pipelined connection from the client library to a list of nodes: sends Request
// frames, matches Response frames to their callbacks by id, reconnects to the next node of
// the list when the connection fails. Every member runs on the io_context given (one
// thread); callers post to it. Owned by the Client; shared_ptr keeps it alive across
// pending operations.
#pragma once
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "drl/client.pb.h"
#include "drl/status.h"
#include "tls/stream.h"

namespace drl::client {

// Called exactly once: with the response, or with null and a sentence saying what failed.
using ResponseHandler =
    std::function<void(const wire::Response* response, std::string_view error, bool timed_out)>;

struct Endpoint {
  std::string host;
  uint16_t port = 0;
  std::string text;  // "host:port"
};

// `text` through the one HOST:PORT parser (common/host_port.h); the port must not be 0.
Result<Endpoint> parse_endpoint(const std::string& text);

class NodeLink : public std::enable_shared_from_this<NodeLink> {
 public:
  // `tls`: the client context every connection runs TLS with (the server's certificate must
  // name the node's host); null: plain.
  NodeLink(asio::io_context& io, std::vector<Endpoint> nodes,
           std::chrono::milliseconds connect_timeout, std::chrono::milliseconds request_timeout,
           uint32_t max_frame_bytes, std::shared_ptr<tls::Context> tls = nullptr);
  // On the io thread. `request.id` is overwritten.
  void send(wire::Request& request, ResponseHandler handler);
  // On the io thread: fails everything pending and closes.
  void close(std::string_view why);
  std::string current_node() const;  // any thread (copy under no lock: set before use)
  // On the io thread: whether a request sent now goes over a connection (made or being
  // made) to `node` ("host:port"), so that a caller need not open another one.
  bool connected_to(std::string_view node) const {
    return state_ != State::kIdle && current_ == node;
  }

 private:
  enum class State { kIdle, kConnecting, kConnected };
  struct Pending {
    ResponseHandler handler;
    std::chrono::steady_clock::time_point deadline;
  };
  void connect(size_t attempts_left);
  void on_connected();
  void start_tls(const Endpoint& node, uint64_t gen, std::function<void()> next);
  void fail_all(std::string_view why);
  void read_more();
  void process_input();
  void flush();
  void arm_sweep();

  asio::io_context& io_;
  std::vector<Endpoint> nodes_;
  size_t node_index_ = 0;
  std::chrono::milliseconds connect_timeout_, request_timeout_;
  uint32_t max_frame_bytes_;
  State state_ = State::kIdle;
  std::shared_ptr<tls::Context> tls_;
  tls::Stream stream_;
  std::string last_failure_;  // why the last connection attempt failed, for "cannot reach"
  asio::steady_timer connect_timer_;
  asio::steady_timer sweep_timer_;
  bool sweeping_ = false;
  uint64_t generation_ = 0;  // bumped on every (re)connect; stale callbacks compare it
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Pending> pending_;
  std::string out_pending_, out_inflight_;
  bool writing_ = false;
  std::vector<uint8_t> in_;
  size_t in_len_ = 0;
  bool reading_ = false;
  wire::Response response_;
  std::string current_;
};

}  // namespace drl::client
