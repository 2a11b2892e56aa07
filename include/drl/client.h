// The drl C++ client library: ask drl nodes whether a key may spend a cost under a limit.
//
//   drl::Client client({.nodes = {"127.0.0.1:7000"}});
//   drl::CheckResult r = client.check({.key = "user:42", .limit = drl::InlineLimit{
//       .limit = 10, .window = std::chrono::seconds(1)}});
//   if (!r.allowed) reject(r.message, r.retry_after_ms);
//
// Ownership and threads: a Client owns one background I/O thread and at most one TCP
// connection, to the node it currently uses. Nodes are tried in turn: when the connection
// to one fails, the next request goes to the next node of the list. With route_to_owner it
// also owns one connection per cluster member it sends checks to. All methods are
// thread-safe and may be called concurrently from any thread, EXCEPT that the blocking
// methods must not be called from inside an asynchronous callback (callbacks run on the
// client's I/O thread, which the blocking call would then wait for). Destroying the Client
// fails every request still in flight (their callbacks run, with code kUnavailable).
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace drl {

enum class Algorithm : uint8_t {
  kTokenBucket = 0,
  kLeakyBucket = 1,
  kFixedWindow = 2,
  kSlidingLog = 3,
  kSlidingWindow = 4,
};

// The result code of one check. The first values mirror the wire (docs/protocol.md).
enum class ResultCode : uint8_t {
  kOk = 0,  // decided: see CheckResult::allowed
  kUnknownPolicy = 1,
  kInvalidLimit = 2,
  kInvalidKey = 3,
  kInvalidCost = 4,
  kMissingLimit = 5,
  kOverloaded = 6,
  kUnavailable = 7,  // also: no node could be reached, or the connection was lost
  kInternal = 8,
  kRequestError = 9,  // the node refused the whole request (message says why)
  kTimeout = 10,      // no answer within ClientOptions::request_timeout
  // Decided by the policy's degrade mode (see `allowed`): the owner's store is full and
  // refuses to track a new key (wire MEMORY_FULL, "memory full: key not tracked").
  kMemoryFull = 11,
};
const char* result_code_name(ResultCode code);

struct InlineLimit {
  Algorithm algorithm = Algorithm::kTokenBucket;
  uint64_t limit = 0;                   // admissions per window
  std::chrono::milliseconds window{0};  // > 0
  uint64_t burst = 0;                   // token bucket capacity (0 = limit)
};

struct CheckSpec {
  std::string key;
  uint64_t cost = 1;                 // 0 peeks without spending
  std::string policy;                // a policy of the node's policy file, or
  std::optional<InlineLimit> limit;  // an inline limit (wins over `policy`)
  bool reset = false;
  bool refund = false;
  bool drain_on_deny = false;
  bool shadow = false;
};

struct CheckResult {
  ResultCode code = ResultCode::kOk;
  bool allowed = false;
  uint64_t limit = 0;
  uint64_t remaining = 0;
  int64_t reset_at_ms = 0;     // wall clock, ms since the Unix epoch
  int64_t retry_after_ms = 0;  // 0 when allowed; -1: the cost can never pass
  int64_t delay_ms = 0;        // leaky bucket: hold the request this long
  std::string message;         // human sentence on denial or error
  bool degraded = false;
  bool shadow_denied = false;
  // The key's state was evicted for memory earlier: this decision came from a fresh budget.
  bool reset_by_eviction = false;
  std::string decided_by;  // id of the node that decided
};

struct NodeStatus {
  std::string node_id, version, listen;
  int64_t uptime_ms = 0;
  uint64_t keys = 0, memory_bytes = 0, max_memory_bytes = 0, evicted = 0, expired = 0;
  uint64_t connections = 0;
  uint64_t checks = 0;          // received from this node's clients, whoever decided them
  uint64_t checks_decided = 0;  // decided by this node: its clients' and those forwarded to it
  std::vector<std::string> policies;
};

struct ClientOptions {
  std::vector<std::string> nodes;  // "host:port", tried in turn
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{5000};  // 90% is sent as the node's deadline
  uint32_t max_frame_bytes = 1u << 20;
  // Overload: a batch with a check answered kOverloaded is sent again (whole) up to this many
  // times, after a random wait between the node's retry-after and twice the last wait
  // (exponential backoff with jitter, so shed clients do not return in step), each time to
  // another node of `nodes` picked at random (the same one, over the same connection, only
  // when it is the only one), so the load a shed node refuses spreads over the others.
  // 0 = never: the kOverloaded result is returned as is.
  uint32_t overload_retries = 2;
  std::chrono::milliseconds overload_backoff{10};  // first wait when no retry-after is given
  // Sent with every request when the nodes require client tokens (--client-tokens-file);
  // empty = none. A node refusing it answers kRequestError and closes the connection.
  std::string auth_token{};
  // Smart client: learn the cluster's members from a node's status, build the ring the nodes
  // build, and send each check (a batch is split per owner) straight to its key's owner, so
  // no node forwards it. The first checks, and any whose owner cannot be reached, go to
  // `nodes` (which forward); the view is read again every ring_refresh, and at once when an
  // owner fails or a check was decided elsewhere (the ring changed). Results are the same
  // either way: routing only saves the forwarding hop.
  bool route_to_owner = false;
  std::chrono::milliseconds ring_refresh{1000};
};

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Blocking: one check, or a batch answered in the same order.
  CheckResult check(const CheckSpec& spec);
  std::vector<CheckResult> check(const std::vector<CheckSpec>& batch);

  // Pipelined: returns at once; `done` runs later on the client's I/O thread with one result
  // per spec, in order. Many calls may be in flight on the one connection; the node may
  // answer them in any order.
  using BatchCallback = std::function<void(std::vector<CheckResult> results)>;
  void check_async(const std::vector<CheckSpec>& batch, BatchCallback done);

  // Blocking status of the node in use. Returns false and sets `error` when it fails.
  bool status(NodeStatus& out, std::string& error);

  // The node the client currently talks to ("" before the first request).
  std::string current_node() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace drl
