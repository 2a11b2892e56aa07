// Envoy's rate limit service on real `drl node --grpc` processes, driven by a gRPC client built
// from the same protos Envoy speaks (generated C++ stubs): statuses and limits of one node, the
// errors, health, SIGHUP reload of the envoyproxy/ratelimit configuration, and exact
// admissions for concurrent clients spread over the nodes of a 3-node cluster.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "envoy/service/ratelimit/v3/rls.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "integration/support/cluster_support.h"
#include "integration/support/node_process.h"
#include "rls/support/rls_request.h"

namespace drl {
namespace {

using envoy::service::ratelimit::v3::RateLimitRequest;
using envoy::service::ratelimit::v3::RateLimitResponse;
using envoy::service::ratelimit::v3::RateLimitService;
using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using testing::eventually;
using testing::LocalCluster;
using testing::NodeProcess;

// A year's window (epoch-aligned 365-day windows): no test here runs across its boundary.
constexpr const char* kConfig = R"(domain: shop
descriptors:
  - key: user
    rate_limit: {unit: year, requests_per_unit: 5}
  - key: api_key
    rate_limit: {unit: year, requests_per_unit: 50}
  - key: path
    value: /admin*
    rate_limit: {unit: year, requests_per_unit: 0}
  - key: ldap
    rate_limit: {unlimited: true}
)";

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("drl-rls-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
    return file(name);
  }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

RateLimitRequest request(const std::string& domain,
                         const std::vector<testing::DescriptorEntries>& descriptors,
                         uint32_t hits_addend = 0) {
  return testing::rls_request(domain, descriptors, hits_addend);
}

class RlsClient {
 public:
  explicit RlsClient(uint16_t port)
      : channel_(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                     grpc::InsecureChannelCredentials())),
        stub_(RateLimitService::NewStub(channel_)),
        health_(Health::NewStub(channel_)) {}

  grpc::Status call(const RateLimitRequest& req, RateLimitResponse& resp,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + timeout);
    return stub_->ShouldRateLimit(&context, req, &resp);
  }
  // A call without a gRPC deadline: the node gives it its --default-timeout-ms.
  grpc::Status call_without_deadline(const RateLimitRequest& req, RateLimitResponse& resp) {
    grpc::ClientContext context;
    return stub_->ShouldRateLimit(&context, req, &resp);
  }
  RateLimitResponse ok_call(const RateLimitRequest& req) {
    RateLimitResponse resp;
    const grpc::Status status = call(req, resp);
    EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
    return resp;
  }
  // The serving status of `service`, or -(gRPC status code) when the call fails.
  int health(const std::string& service) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    const grpc::Status status = health_->Check(&context, req, &resp);
    return status.ok() ? resp.status() : -status.error_code();
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<RateLimitService::Stub> stub_;
  std::unique_ptr<Health::Stub> health_;
};

constexpr char kRlsService[] = "envoy.service.ratelimit.v3.RateLimitService";

class RlsNode {
 public:
  explicit RlsNode(const TempDir& dir, std::vector<std::string> extra = {})
      : port_file_(dir.file("grpc-port-" + std::to_string(counter_++))) {
    config_ = dir.write("rls.yaml", kConfig);
    extra.insert(extra.end(), {"--grpc", "127.0.0.1:0", "--grpc-port-file", port_file_,
                               "--rls-config", config_});
    node_ = std::make_unique<NodeProcess>(extra);
    port_ = testing::read_port_file(port_file_);
  }
  uint16_t port() const { return port_; }
  NodeProcess& node() { return *node_; }
  const std::string& config() const { return config_; }

 private:
  static inline int counter_ = 0;
  std::string port_file_, config_;
  std::unique_ptr<NodeProcess> node_;
  uint16_t port_ = 0;
};

TEST(RlsGrpc, OneNodeAnswersAsEnvoyRatelimit) {
  TempDir dir;
  RlsNode n(dir);
  ASSERT_NE(n.port(), 0) << n.node().error() << n.node().log();
  RlsClient client(n.port());
  for (uint32_t remaining : {4u, 3u, 2u, 1u, 0u}) {
    const RateLimitResponse r = client.ok_call(request("shop", {{{"user", "alice"}}}));
    ASSERT_EQ(r.overall_code(), RateLimitResponse::OK);
    ASSERT_EQ(r.statuses_size(), 1);
    EXPECT_EQ(r.statuses(0).limit_remaining(), remaining);
    EXPECT_EQ(r.statuses(0).current_limit().requests_per_unit(), 5u);
    EXPECT_EQ(r.statuses(0).current_limit().unit(), RateLimitResponse::RateLimit::YEAR);
    EXPECT_GT(r.statuses(0).duration_until_reset().seconds(), 0);
    EXPECT_LE(r.statuses(0).duration_until_reset().seconds(), 365 * 86400);
  }
  const RateLimitResponse over = client.ok_call(request("shop", {{{"user", "alice"}}}));
  EXPECT_EQ(over.overall_code(), RateLimitResponse::OVER_LIMIT);
  EXPECT_EQ(over.statuses(0).code(), RateLimitResponse::OVER_LIMIT);

  // Several descriptors: one status each, in order.
  const RateLimitResponse mixed = client.ok_call(request(
      "shop",
      {{{"ldap", "x"}}, {{"nothing", "y"}}, {{"user", "bob"}}, {{"path", "/admin/users"}}}));
  ASSERT_EQ(mixed.statuses_size(), 4);
  EXPECT_EQ(mixed.statuses(0).limit_remaining(), 4294967295u);
  EXPECT_FALSE(mixed.statuses(1).has_current_limit());
  // The blocked path refuses the request, so (all or nothing) bob's descriptor is not charged.
  EXPECT_EQ(mixed.statuses(2).limit_remaining(), 5u);
  EXPECT_EQ(mixed.statuses(3).code(), RateLimitResponse::OVER_LIMIT);
  EXPECT_EQ(mixed.overall_code(), RateLimitResponse::OVER_LIMIT);

  // All or nothing: "user: gina" is spent after 5 requests; the later ones leave api_key's
  // count alone.
  for (int i = 0; i < 8; ++i) {
    client.ok_call(request("shop", {{{"api_key", "all-or-nothing"}}, {{"user", "gina"}}}));
  }
  RateLimitRequest peek_key = request("shop", {{{"api_key", "all-or-nothing"}}});
  peek_key.mutable_descriptors(0)->mutable_hits_addend()->set_value(0);
  EXPECT_EQ(client.ok_call(peek_key).statuses(0).limit_remaining(), 45u);
  // A blocked descriptor (requests_per_unit 0) charges nothing either.
  client.ok_call(request("shop", {{{"api_key", "all-or-nothing"}}, {{"path", "/admin/x"}}}));
  EXPECT_EQ(client.ok_call(peek_key).statuses(0).limit_remaining(), 45u);

  // hits_addend, request-level and per descriptor.
  EXPECT_EQ(client.ok_call(request("shop", {{{"user", "carol"}}}, 3)).statuses(0).limit_remaining(),
            2u);
  RateLimitRequest peek = request("shop", {{{"user", "carol"}}}, 3);
  peek.mutable_descriptors(0)->mutable_hits_addend()->set_value(0);
  EXPECT_EQ(client.ok_call(peek).statuses(0).limit_remaining(), 2u);

  // Invalid requests: INVALID_ARGUMENT with the reason.
  RateLimitResponse resp;
  grpc::Status s = client.call(request("", {{{"user", "a"}}}), resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "rate limit domain must not be empty");
  s = client.call(request("shop", {{{"user", "a"}}, {}}), resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "descriptor 1 has no entries");

  // Health: serving (a node without seeds has joined its own cluster at once).
  EXPECT_EQ(client.health(""), HealthCheckResponse::SERVING);
  EXPECT_EQ(client.health(kRlsService), HealthCheckResponse::SERVING);
  EXPECT_EQ(client.health("no.such.Service"), -grpc::StatusCode::NOT_FOUND);
}

TEST(RlsGrpc, ChargeEachDescriptorAsEnvoyRatelimit) {
  TempDir dir;
  RlsNode n(dir, {"--rls-charge-each"});
  ASSERT_NE(n.port(), 0) << n.node().error() << n.node().log();
  RlsClient client(n.port());
  for (int i = 0; i < 8; ++i) {
    client.ok_call(request("shop", {{{"api_key", "each"}}, {{"user", "hank"}}}));
  }
  RateLimitRequest peek_key = request("shop", {{{"api_key", "each"}}});
  peek_key.mutable_descriptors(0)->mutable_hits_addend()->set_value(0);
  EXPECT_EQ(client.ok_call(peek_key).statuses(0).limit_remaining(), 42u);
}

TEST(RlsGrpc, ResponseHeadersWhenEnabled) {
  TempDir dir;
  RlsNode n(dir, {"--rls-response-headers"});
  ASSERT_NE(n.port(), 0) << n.node().error() << n.node().log();
  RlsClient client(n.port());
  const RateLimitResponse r =
      client.ok_call(request("shop", {{{"api_key", "k"}}, {{"user", "dave"}}}));
  ASSERT_EQ(r.response_headers_to_add_size(), 3);
  EXPECT_EQ(r.response_headers_to_add(0).key(), "RateLimit-Limit");
  EXPECT_EQ(r.response_headers_to_add(0).value(), "5");
  EXPECT_EQ(r.response_headers_to_add(1).key(), "RateLimit-Remaining");
  EXPECT_EQ(r.response_headers_to_add(1).value(), "4");
  EXPECT_EQ(r.response_headers_to_add(2).key(), "RateLimit-Reset");
}

TEST(RlsGrpc, SighupReloadsTheConfigAndKeepsItWhenBad) {
  TempDir dir;
  RlsNode n(dir);
  ASSERT_NE(n.port(), 0) << n.node().error() << n.node().log();
  RlsClient client(n.port());
  EXPECT_EQ(client.ok_call(request("shop", {{{"user", "erin"}}}))
                .statuses(0)
                .current_limit()
                .requests_per_unit(),
            5u);
  // A bad file is refused: the current rules stay.
  dir.write("rls.yaml", "domain: shop\ndescriptors:\n  - key: user\n    rate_limit: {unit: eon}\n");
  n.node().signal(SIGHUP);
  ASSERT_TRUE(eventually([&] {
    return n.node().log().find("refused the new RLS configuration") != std::string::npos;
  })) << n.node().log();
  EXPECT_NE(n.node().log().find("rls.yaml:4: invalid rate limit unit 'eon'"), std::string::npos);
  EXPECT_EQ(client.ok_call(request("shop", {{{"user", "erin"}}}))
                .statuses(0)
                .current_limit()
                .requests_per_unit(),
            5u);
  // A good one replaces them.
  dir.write("rls.yaml",
            "domain: shop\ndescriptors:\n  - key: user\n    rate_limit: {unit: year, "
            "requests_per_unit: 7}\n");
  n.node().signal(SIGHUP);
  EXPECT_TRUE(eventually([&] {
    return client.ok_call(request("shop", {{{"user", "frank"}}}))
               .statuses(0)
               .current_limit()
               .requests_per_unit() == 7u;
  }));
}

TEST(RlsGrpc, NotServingUntilJoined) {
  TempDir dir;
  // A seed that never answers: the node waits for a view (about 5 s) before serving alone.
  RlsNode n(dir, {"--join", "127.0.0.1:1"});
  ASSERT_NE(n.port(), 0) << n.node().error() << n.node().log();
  RlsClient client(n.port());
  EXPECT_EQ(client.health(""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(client.health(kRlsService), HealthCheckResponse::NOT_SERVING);
  EXPECT_TRUE(eventually([&] { return client.health(kRlsService) == HealthCheckResponse::SERVING; },
                         std::chrono::seconds(30)));
}

// The RLS configuration of a cluster: a base of RlsCluster, so it is written before the nodes
// start and removed after they stop.
struct RlsConfigDir {
  TempDir dir;
  std::string config = dir.write("rls.yaml", kConfig);
};

std::vector<std::string> with_config(std::vector<std::string> extra, const std::string& config) {
  extra.insert(extra.end(), {"--rls-config", config});
  return extra;
}

// Three nodes n1..n3 serving RLS on ports of their own, joined and routing by one ring.
class RlsCluster : private RlsConfigDir, public testing::DoorCluster {
 public:
  explicit RlsCluster(std::vector<std::string> extra = {})
      : DoorCluster("--grpc", with_config(std::move(extra), config)) {}
};

// The user limit node `port` answers for a fresh user (0: no answer).
uint64_t user_limit(uint16_t port, const std::string& user) {
  RlsClient client(port);
  RateLimitResponse resp;
  if (!client.call(request("shop", {{{"user", user}}}), resp).ok() || resp.statuses_size() != 1) {
    return 0;
  }
  return resp.statuses(0).current_limit().requests_per_unit();
}

// The RLS configuration is part of the cluster's policy set: pushed through one node it is
// what every node's gRPC door answers by; a bad one is refused with the reason and changes
// nothing anywhere.
TEST(RlsGrpc, APushedRlsConfigReachesEveryNodeAndABadOneIsRefused) {
  RlsCluster cluster;
  ASSERT_EQ(cluster.ready(), "");
  const auto& ports = cluster.ports();
  for (size_t i = 0; i < ports.size(); ++i)
    EXPECT_EQ(user_limit(ports[i], "a" + std::to_string(i)), 5u);
  TempDir dir;
  const std::string seven =
      dir.write("seven.yaml",
                "domain: shop\ndescriptors:\n  - key: user\n    rate_limit: {unit: year, "
                "requests_per_unit: 7}\n");
  auto r = testing::run_drl_with_errors(
      {"policy", "push", "--rls", seven, "--server", cluster.addresses()[1]});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  ASSERT_TRUE(eventually([&] { return testing::all_hold_policy_version(cluster.addresses(), 1); },
                         std::chrono::seconds(10)));
  for (size_t i = 0; i < ports.size(); ++i) {
    EXPECT_EQ(user_limit(ports[i], "b" + std::to_string(i)), 7u) << "node " << i;
  }
  r = testing::run_drl({"policy", "show", "--server", cluster.addresses()[2], "--json"});
  EXPECT_NE(r.out.find("\"rls_domains\":1"), std::string::npos) << r.out;

  const std::string bad = dir.write(
      "bad.yaml", "domain: shop\ndescriptors:\n  - key: user\n    rate_limit: {unit: eon}\n");
  r = testing::run_drl_with_errors(
      {"policy", "push", "--rls", bad, "--server", cluster.addresses()[0]});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("invalid rate limit unit 'eon'"), std::string::npos) << r.out;
  EXPECT_TRUE(testing::all_hold_policy_version(cluster.addresses(), 1));
  for (size_t i = 0; i < ports.size(); ++i) {
    EXPECT_EQ(user_limit(ports[i], "c" + std::to_string(i)), 7u) << "node " << i;
  }
}

// N clients on every node of a 3-node cluster spend keys concurrently: every key admits exactly
// its limit, wherever its owner is.
TEST(RlsGrpc, ThreeNodesAdmitExactlyTheLimit) {
  RlsCluster cluster;
  ASSERT_EQ(cluster.ready(), "");
  const std::vector<uint16_t>& ports = cluster.ports();
  constexpr int kKeys = 12;
  constexpr int kClients = 6;
  constexpr int kCallsPerClient = 150;  // 900 calls for 12 keys x 50 = 600 admissions at most
  std::vector<std::atomic<int>> admitted(kKeys);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      RlsClient client(ports[c % ports.size()]);
      for (int i = 0; i < kCallsPerClient; ++i) {
        const int key = (c * 7 + i) % kKeys;
        RateLimitResponse resp;
        const grpc::Status s =
            client.call(request("shop", {{{"api_key", "k" + std::to_string(key)}}}), resp);
        if (!s.ok()) {
          ++failures;
          continue;
        }
        if (resp.overall_code() == RateLimitResponse::OK) ++admitted[key];
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  // Each key got 75 calls: exactly 50 admitted.
  for (int k = 0; k < kKeys; ++k) EXPECT_EQ(admitted[k].load(), 50) << "key k" << k;
  // Any node answers for any key: a spent key is over its limit everywhere.
  for (uint16_t port : ports) {
    RlsClient client(port);
    EXPECT_EQ(client.ok_call(request("shop", {{{"api_key", "k0"}}})).overall_code(),
              RateLimitResponse::OVER_LIMIT);
  }
}

// All or nothing across owners: every call carries a shared api_key (50) and one of 20 users (5
// each), whose keys live on different nodes. Whatever the interleaving, each key ends charged
// exactly by the calls that were admitted: a refused call leaves neither key charged.
TEST(RlsGrpc, ThreeNodesAllOrNothingAcrossOwners) {
  RlsCluster cluster;
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
      RlsClient client(ports[c % ports.size()]);
      for (int i = 0; i < kCallsPerClient; ++i) {
        const int user = (c * 3 + i) % kUsers;
        RateLimitResponse resp;
        const grpc::Status s = client.call(
            request("shop", {{{"api_key", "shared"}}, {{"user", "u" + std::to_string(user)}}}),
            resp);
        if (!s.ok()) {
          ++failures;
          continue;
        }
        if (resp.overall_code() == RateLimitResponse::OK) ++admitted[user];
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  RlsClient client(ports[0]);
  auto remaining = [&](const std::string& key, const std::string& value) {
    RateLimitRequest peek = request("shop", {{{key, value}}});
    peek.mutable_descriptors(0)->mutable_hits_addend()->set_value(0);
    return client.ok_call(peek).statuses(0).limit_remaining();
  };
  int total = 0;
  for (int u = 0; u < kUsers; ++u) {
    EXPECT_LE(admitted[u].load(), 5);
    EXPECT_EQ(remaining("user", "u" + std::to_string(u)), 5u - admitted[u].load()) << "u" << u;
    total += admitted[u].load();
  }
  EXPECT_LE(total, 50);
  EXPECT_GT(total, 0);
  EXPECT_EQ(remaining("api_key", "shared"), 50u - total);
}

// An owner that cannot be reached in time is UNAVAILABLE (so that Envoy's failure_mode_deny
// applies), answered by the node within the call's deadline, never a hang: n1's peer traffic is
// delayed by 20 s, so every check it forwards stays undecided past the call's budget (the node's
// --default-timeout-ms of 400 ms for a call without a gRPC deadline; the caller's deadline
// otherwise). Each key is asked both ways back to back, before membership could react.
TEST(RlsGrpc, UnreachableOwnerIsUnavailableWithinTheDeadline) {
  RlsCluster cluster({"--enable-test-hooks", "--default-timeout-ms", "400"});
  ASSERT_EQ(cluster.ready(), "");
  const auto fault =
      testing::run_drl({"test-fault", "--server", cluster.addresses()[0], "--delay", "*=20000"});
  ASSERT_EQ(fault.exit_code, 0) << fault.out;
  RlsClient client(cluster.ports()[0]);
  int unavailable = 0;
  for (int k = 0; k < 9 && unavailable < 2; ++k) {
    const RateLimitRequest req = request("shop", {{{"api_key", "far" + std::to_string(k)}}});
    RateLimitResponse resp;
    auto start = std::chrono::steady_clock::now();
    grpc::Status s = client.call_without_deadline(req, resp);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(5000)) << k;
    if (s.ok()) continue;  // a key n1 owns: decided here
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << k << ": " << s.error_message();
    ++unavailable;
    // With the caller's own deadline (Envoy's filter timeout), the call ends by it.
    start = std::chrono::steady_clock::now();
    s = client.call(req, resp, std::chrono::milliseconds(200));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(5000)) << k;
    EXPECT_TRUE(s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
        << k << ": " << s.error_code() << " " << s.error_message();
  }
  EXPECT_GT(unavailable, 0) << "no key of 9 was owned by another node";
}

}  // namespace
}  // namespace drl
