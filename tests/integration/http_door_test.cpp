// The HTTP/JSON door on real `drl node --http` processes (docs/protocol.md, "The HTTP/JSON
// API"): answers, all or nothing, every whole-request error as a JSON body (the node keeps
// serving), client tokens, the metrics and health paths on the same port, and exact admissions
// for concurrent clients spread over the nodes of a 3-node cluster.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "integration/support/abuse_support.h"
#include "integration/support/cluster_support.h"
#include "integration/support/node_process.h"

namespace drl {
namespace {

using testing::eventually;
using testing::http_body;
using testing::http_request;
using testing::http_status;
using testing::LocalCluster;
using testing::NodeProcess;
using testing::TempFile;

// A check of `key` under `limit` per year (fixed window: no test runs across its edge).
std::string check_json(const std::string& key, uint64_t limit, uint64_t cost = 1) {
  return "{\"key\":\"" + key + "\",\"cost\":" + std::to_string(cost) +
         ",\"limit\":{\"algorithm\":\"FIXED_WINDOW\",\"limit\":" + std::to_string(limit) +
         ",\"window_ms\":31536000000}}";
}

std::string body_of(const std::vector<std::string>& checks, bool all_or_nothing = false) {
  std::string b = "{\"checks\":[";
  for (size_t i = 0; i < checks.size(); ++i) b += (i ? "," : "") + checks[i];
  return b + "]" + (all_or_nothing ? ",\"all_or_nothing\":true" : "") + "}";
}

// The value of the `n`-th occurrence of "field": in a JSON answer, as text.
std::string field(const std::string& json, const std::string& name, size_t n = 0) {
  size_t at = 0;
  const std::string marker = "\"" + name + "\":";
  for (size_t i = 0; i <= n; ++i) {
    at = json.find(marker, i == 0 ? 0 : at + 1);
    if (at == std::string::npos) return "";
  }
  at += marker.size();
  const size_t end = json.find_first_of(",}", json[at] == '"' ? json.find('"', at + 1) : at);
  return json.substr(at, end - at);
}

class HttpNode {
 public:
  explicit HttpNode(std::vector<std::string> extra = {})
      : port_file_("/tmp/drl-http-" + std::to_string(::getpid()) + "-" +
                   std::to_string(counter_++)) {
    extra.insert(extra.end(), {"--http", "127.0.0.1:0", "--http-port-file", port_file_});
    node_ = std::make_unique<NodeProcess>(extra);
    port_ = testing::read_port_file(port_file_);
  }
  ~HttpNode() { std::remove(port_file_.c_str()); }
  uint16_t port() const { return port_; }
  NodeProcess& node() { return *node_; }
  std::string post(const std::string& body, const std::string& headers = {}) const {
    return http_request(port_, "POST", "/v1/check", body, headers);
  }
  // The answer's body, expecting 200.
  std::string check(const std::string& body) const {
    const std::string r = post(body);
    EXPECT_EQ(http_status(r), 200) << r;
    return http_body(r);
  }
  uint64_t remaining(const std::string& key, uint64_t limit) const {
    return std::stoull(field(check(body_of({check_json(key, limit, 0)})), "remaining"));
  }

 private:
  static inline int counter_ = 0;
  std::string port_file_;
  std::unique_ptr<NodeProcess> node_;
  uint16_t port_ = 0;
};

TEST(HttpDoor, OneNodeAnswersChecks) {
  HttpNode n;
  ASSERT_NE(n.port(), 0) << n.node().error() << n.node().log();
  for (int i = 0; i < 3; ++i) {
    const std::string a = n.check(body_of({check_json("user:42", 3)}));
    EXPECT_EQ(field(a, "allowed"), "true") << a;
    EXPECT_EQ(field(a, "code"), "\"OK\"") << a;
    EXPECT_EQ(field(a, "limit"), "3") << a;
    EXPECT_EQ(field(a, "remaining"), std::to_string(2 - i)) << a;
  }
  const std::string denied = n.check(body_of({check_json("user:42", 3)}));
  EXPECT_EQ(field(denied, "allowed"), "false") << denied;
  EXPECT_NE(field(denied, "message").find("exceeded 3 per"), std::string::npos) << denied;
  EXPECT_NE(field(denied, "retry_after_ms"), "0") << denied;
  EXPECT_NE(field(denied, "decided_by"), "\"\"") << denied;
  // A check the decoder refuses is answered in its result, as in the native protocol.
  const std::string bad = n.check(body_of({"{\"key\":\"\",\"policy\":\"none\"}"}));
  EXPECT_EQ(field(bad, "code"), "\"INVALID_KEY\"") << bad;
  const std::string unknown = n.check(body_of({"{\"key\":\"k\",\"policy\":\"none\"}"}));
  EXPECT_EQ(field(unknown, "code"), "\"UNKNOWN_POLICY\"") << unknown;
}

// When one check of an all-or-nothing request is denied, none stays charged; without the flag
// the others are charged as usual.
TEST(HttpDoor, AllOrNothingChargesNoneWhenOneIsDenied) {
  HttpNode n;
  ASSERT_NE(n.port(), 0) << n.node().error() << n.node().log();
  n.check(body_of({check_json("spent", 1)}));
  const std::string a =
      n.check(body_of({check_json("fresh", 5), check_json("spent", 1)}, /*all_or_nothing=*/true));
  EXPECT_EQ(field(a, "allowed", 1), "false") << a;
  EXPECT_EQ(n.remaining("fresh", 5), 5u);
  const std::string each = n.check(body_of({check_json("fresh", 5), check_json("spent", 1)}));
  EXPECT_EQ(field(each, "allowed", 0), "true") << each;
  EXPECT_EQ(n.remaining("fresh", 5), 4u);
}

TEST(HttpDoor, BadRequestsGetJsonErrorsAndTheNodeKeepsServing) {
  HttpNode n;
  ASSERT_NE(n.port(), 0) << n.node().error() << n.node().log();
  struct Case {
    std::string method, path, body;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"POST", "/v1/check", "not json", 400, "MALFORMED_FRAME"},
      {"POST", "/v1/check", "{\"checks\":[{\"key\":\"a\",", 400, "MALFORMED_FRAME"},
      {"POST", "/v1/check", "{\"checks\":[{\"key\":\"a\",\"colour\":1}]}", 400, "MALFORMED_FRAME"},
      {"POST", "/v1/check", "{\"checks\":[{\"key\":\"a\",\"cost\":-1}]}", 400, "MALFORMED_FRAME"},
      {"POST", "/v1/check", "[1,2]", 400, "MALFORMED_FRAME"},
      {"POST", "/v1/check", "{}", 400, "EMPTY_REQUEST"},
      {"POST", "/v1/check", "", 400, "EMPTY_REQUEST"},
      {"POST", "/v1/check", std::string(2 << 20, 'x'), 413, "FRAME_TOO_LARGE"},
      {"GET", "/v1/check", "", 405, "METHOD_NOT_ALLOWED"},
      {"POST", "/metrics", "", 405, "METHOD_NOT_ALLOWED"},
      {"GET", "/nope", "", 404, "NOT_FOUND"},
  };
  std::string many = "{\"checks\":[";
  for (int i = 0; i < 4097; ++i) many += (i ? "," : "") + std::string("{\"key\":\"k\"}");
  many += "]}";
  std::vector<Case> all = cases;
  all.push_back({"POST", "/v1/check", many, 400, "TOO_MANY_CHECKS"});
  for (const Case& c : all) {
    const std::string r = http_request(n.port(), c.method, c.path, c.body);
    EXPECT_EQ(http_status(r), c.status)
        << c.method << " " << c.path << " " << c.body.substr(0, 60) << "\n"
        << r.substr(0, 400);
    EXPECT_EQ(field(http_body(r), "code"), "\"" + c.code + "\"") << r.substr(0, 400);
    EXPECT_NE(field(http_body(r), "message"), "") << r.substr(0, 400);
  }
  EXPECT_TRUE(n.node().alive());
  EXPECT_EQ(field(n.check(body_of({check_json("after", 2)})), "allowed"), "true");
}

TEST(HttpDoor, MetricsAndHealthOnTheSamePort) {
  HttpNode n;
  ASSERT_NE(n.port(), 0) << n.node().error() << n.node().log();
  EXPECT_EQ(http_status(testing::http_get(n.port(), "/healthz")), 200);
  EXPECT_TRUE(
      eventually([&] { return http_status(testing::http_get(n.port(), "/readyz")) == 200; }));
  n.check(body_of({check_json("counted", 2)}));
  const std::string page = testing::http_get(n.port(), "/metrics");
  EXPECT_EQ(http_status(page), 200);
  EXPECT_NE(page.find("drl_build_info{"), std::string::npos) << page.substr(0, 400);
}

TEST(HttpDoor, ClientTokensAreRequiredWhenTheNodeHasThem) {
  TempFile tokens("alice alice-7d5f0c3b9a8e4d21\n");
  HttpNode n({"--client-tokens-file", tokens.path()});
  ASSERT_NE(n.port(), 0) << n.node().error() << n.node().log();
  const std::string body = body_of({check_json("k", 5)});
  for (const std::string& headers :
       {std::string(), std::string("Authorization: Bearer wrong\r\n")}) {
    const std::string r = n.post(body, headers);
    EXPECT_EQ(http_status(r), 401) << r;
    EXPECT_EQ(field(http_body(r), "code"), "\"UNAUTHENTICATED\"") << r;
  }
  const std::string ok = n.post(body, "Authorization: Bearer alice-7d5f0c3b9a8e4d21\r\n");
  EXPECT_EQ(http_status(ok), 200) << ok;
  EXPECT_EQ(field(http_body(ok), "allowed"), "true") << ok;
}

// Three nodes n1..n3 serving HTTP on ports of their own, joined and routing by one ring.
class HttpCluster : public testing::DoorCluster {
 public:
  // About admissions, not shedding: no overload control or deadline in the way on a slow host.
  HttpCluster()
      : DoorCluster("--http", {"--queue-target-ms", "60000", "--default-timeout-ms", "10000"}) {}
};

// N clients on every node spend keys concurrently: every key admits exactly its limit, wherever
// its owner is, and a spent key is over its limit through every node.
TEST(HttpDoor, ThreeNodesAdmitExactlyTheLimit) {
  HttpCluster cluster;
  ASSERT_EQ(cluster.ready(), "");
  const std::vector<uint16_t>& ports = cluster.ports();
  constexpr int kKeys = 12;
  constexpr int kClients = 6;
  constexpr int kCallsPerClient = 150;  // 75 calls per key, 50 admitted
  std::vector<std::atomic<int>> admitted(kKeys);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      const uint16_t port = ports[c % ports.size()];
      for (int i = 0; i < kCallsPerClient; ++i) {
        const int key = (c * 7 + i) % kKeys;
        const std::string r = http_request(port, "POST", "/v1/check",
                                           body_of({check_json("k" + std::to_string(key), 50)}));
        const std::string b = http_body(r);
        if (http_status(r) != 200 || field(b, "code") != "\"OK\"") {
          ++failures;
          continue;
        }
        if (field(b, "allowed") == "true") ++admitted[key];
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (int k = 0; k < kKeys; ++k) EXPECT_EQ(admitted[k].load(), 50) << "key k" << k;
  for (uint16_t port : ports) {
    const std::string b =
        http_body(http_request(port, "POST", "/v1/check", body_of({check_json("k0", 50)})));
    EXPECT_EQ(field(b, "allowed"), "false") << b;
  }
}

// All or nothing across owners through every node: each request spends a shared key (50) and
// one of 20 users (5 each). Every key ends charged exactly by the requests that were admitted.
TEST(HttpDoor, ThreeNodesAllOrNothingAcrossOwners) {
  HttpCluster cluster;
  ASSERT_EQ(cluster.ready(), "");
  const std::vector<uint16_t>& ports = cluster.ports();
  constexpr int kUsers = 20;
  constexpr int kClients = 6;
  constexpr int kCallsPerClient = 50;
  std::vector<std::atomic<int>> admitted(kUsers);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      const uint16_t port = ports[c % ports.size()];
      for (int i = 0; i < kCallsPerClient; ++i) {
        const int user = (c * 3 + i) % kUsers;
        const std::string r = http_request(
            port, "POST", "/v1/check",
            body_of({check_json("shared", 50), check_json("u" + std::to_string(user), 5)}, true));
        const std::string b = http_body(r);
        if (http_status(r) != 200) {
          ++failures;
          continue;
        }
        if (field(b, "allowed", 0) == "true" && field(b, "allowed", 1) == "true") ++admitted[user];
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto remaining = [&](const std::string& key, uint64_t limit) {
    const std::string b = http_body(
        http_request(ports[0], "POST", "/v1/check", body_of({check_json(key, limit, 0)})));
    return std::stoull(field(b, "remaining"));
  };
  int total = 0;
  for (int u = 0; u < kUsers; ++u) {
    EXPECT_LE(admitted[u].load(), 5);
    EXPECT_EQ(remaining("u" + std::to_string(u), 5), 5u - admitted[u].load()) << "u" << u;
    total += admitted[u].load();
  }
  EXPECT_GT(total, 0);
  EXPECT_LE(total, 50);
  EXPECT_EQ(remaining("shared", 50), 50u - total);
}

}  // namespace
}  // namespace drl
