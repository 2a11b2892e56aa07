// What docs/protocol.md promises a client written from it alone, checked against real nodes:
// owner routing through the ring request (a Python client, tests/integration/
// python_owner_client.py, with no drl code), the epoch in every response, half-close, which
// node decided, the status counters, the documented default deadline and `drl check`'s output.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "drl/client.pb.h"
#include "integration/support/cluster_support.h"
#include "integration/support/node_process.h"

namespace drl {
namespace {

using testing::eventually;
using testing::LocalCluster;
using testing::shell;

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

wire::Request check_request(uint64_t id, const std::string& key) {
  wire::Request r;
  r.set_id(id);
  auto* c = r.mutable_check()->add_checks();
  c->set_key(key);
  c->mutable_limit()->set_limit(100);
  c->mutable_limit()->set_window_ms(60000);
  return r;
}

TEST(ClientContract, APythonClientFromTheDocsRoutesEveryCheckToItsOwner) {
  // About routing, not shedding: no overload control or deadline in the way on a slow host.
  LocalCluster c(3, {"--queue-target-ms", "60000", "--default-timeout-ms", "10000"});
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(eventually([&] { return c.stable(); }, std::chrono::seconds(20)));
  const std::string dir =
      std::string(::testing::TempDir()) + "drl-pb2-" + std::to_string(::getpid());
  const std::string proto = std::string(DRL_SOURCE_DIR) + "/proto";
  int status = 0;
  shell("mkdir -p " + dir + " && protoc -I " + proto + " --python_out=" + dir + " " + proto +
            "/drl/client.proto 2>&1",
        &status);
  ASSERT_EQ(status, 0);
  const std::string script =
      std::string(DRL_SOURCE_DIR) + "/tests/integration/python_owner_client.py";
  const auto out = shell("timeout 120 /usr/bin/python3 " + script + " " + dir + "/drl " +
                             c.addresses()[1] + " 300 2>&1",
                         &status);
  const int exit_status = status;
  shell("rm -rf " + dir);
  EXPECT_EQ(exit_status, 0) << out;
  // 300 checks, every one decided by the owner the client chose; no node forwarded.
  EXPECT_NE(out.find("\"decided_off_owner\": 0"), std::string::npos) << out;
  EXPECT_NE(out.find("\"forwarded\": 0"), std::string::npos) << out;
  EXPECT_NE(out.find("\"members\": 3"), std::string::npos) << out;
}

// One raw connection: writes every frame, shuts its write side, reads answers until EOF.
std::vector<wire::Response> half_close_exchange(uint16_t port,
                                                const std::vector<wire::Request>& rs) {
  std::vector<wire::Response> out;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return out;
  }
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string bytes;
  for (const auto& r : rs) {
    const std::string p = r.SerializeAsString();
    const uint32_t n = htonl(static_cast<uint32_t>(p.size()));
    bytes.append(reinterpret_cast<const char*>(&n), 4);
    bytes += p;
  }
  for (size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string in;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;  // EOF (or the 20 s timeout: the test then sees answers missing)
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  size_t at = 0;
  while (in.size() - at >= 4) {
    uint32_t n = 0;
    std::memcpy(&n, in.data() + at, 4);
    n = ntohl(n);
    if (in.size() - at - 4 < n) break;
    wire::Response r;
    r.ParseFromArray(in.data() + at + 4, static_cast<int>(n));
    out.push_back(std::move(r));
    at += 4 + n;
  }
  return out;
}

TEST(ClientContract, ClusterAnswersHalfCloseRingAndCountersAsDocumented) {
  // About routing, not shedding: no overload control or deadline in the way on a slow host.
  LocalCluster c(3, {"--queue-target-ms", "60000", "--default-timeout-ms", "10000"});
  ASSERT_TRUE(c.error().empty()) << c.error();
  ASSERT_TRUE(eventually([&] { return c.stable(); }, std::chrono::seconds(20)));
  const auto addresses = c.addresses();

  // The ring: three members, 256 tokens each, ascending; the epoch is the status's.
  wire::StatusResponse s;
  ASSERT_TRUE(testing::fetch_status(addresses[0], s));
  wire::Request ring_request;
  ring_request.set_id(1);
  ring_request.mutable_ring();
  wire::Response ring;
  std::string error;
  ASSERT_TRUE(testing::exchange(addresses[0], ring_request, ring, error)) << error;
  ASSERT_TRUE(ring.has_ring());
  EXPECT_EQ(ring.ring().epoch(), s.ring_epoch());
  EXPECT_EQ(ring.ring_epoch(), s.ring_epoch());
  EXPECT_EQ(ring.ring().members_size(), 3);
  EXPECT_EQ(ring.ring().replicas(), 3u);
  EXPECT_EQ(ring.ring().token_hashes_size(), 3 * 256);
  EXPECT_EQ(ring.ring().token_members_size(), 3 * 256);
  EXPECT_TRUE(std::is_sorted(ring.ring().token_hashes().begin(), ring.ring().token_hashes().end()));
  // Refreshing an unchanged ring costs a few bytes.
  ring_request.mutable_ring()->set_known_epoch(s.ring_epoch());
  ASSERT_TRUE(testing::exchange(addresses[0], ring_request, ring, error)) << error;
  EXPECT_TRUE(ring.ring().unchanged());
  EXPECT_EQ(ring.ring().token_hashes_size(), 0);
  EXPECT_LT(ring.ByteSizeLong(), 40u);

  std::vector<wire::StatusResponse> before(3);
  for (size_t i = 0; i < 3; ++i) ASSERT_TRUE(testing::fetch_status(addresses[i], before[i]));
  // 30 checks to n1, then a half-close: every one is answered, the forwarded ones too (the
  // node used to drop those and close).
  std::vector<wire::Request> requests;
  for (int k = 0; k < 30; ++k) requests.push_back(check_request(k + 1, "hc:" + std::to_string(k)));
  const auto answers = half_close_exchange(c.node(0).port(), requests);
  ASSERT_EQ(answers.size(), 30u);
  size_t by_others = 0;
  for (const auto& a : answers) {
    ASSERT_TRUE(a.has_check());
    ASSERT_EQ(a.check().results_size(), 1);
    const auto& r = a.check().results(0);
    EXPECT_EQ(r.code(), wire::OK) << r.message();
    // CheckResponse.decided_by: the node answering; the result's: the node that decided.
    EXPECT_EQ(a.check().decided_by(), "n1");
    EXPECT_FALSE(r.decided_by().empty());
    by_others += r.decided_by() != "n1";
    EXPECT_EQ(a.ring_epoch(), s.ring_epoch());  // the epoch in every response
  }
  EXPECT_GT(by_others, 0u);  // about two thirds are owned by n2 or n3

  // checks: received from clients; checks_decided: decided here (for anyone).
  std::vector<wire::StatusResponse> after(3);
  uint64_t decided = 0;
  for (size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(testing::fetch_status(addresses[i], after[i]));
    decided += after[i].checks_decided() - before[i].checks_decided();
  }
  EXPECT_EQ(after[0].checks() - before[0].checks(), 30u);
  EXPECT_EQ(after[1].checks() - before[1].checks(), 0u);
  EXPECT_EQ(after[2].checks() - before[2].checks(), 0u);
  EXPECT_EQ(decided, 30u);
  EXPECT_EQ(after[0].checks_decided() - before[0].checks_decided(), 30u - by_others);
}

// The default deadline is stated in three places; all say what the node does.
TEST(ClientContract, DocumentedDefaultDeadlineIsTheNodes) {
  const auto help = testing::run_drl({"node", "--help"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(help.out, m, std::regex(R"(--default-timeout-ms\s+UINT=(\d+))")))
      << help.out;
  const std::string node_default = m[1];
  const auto protocol = read_file(std::string(DRL_SOURCE_DIR) + "/docs/protocol.md");
  ASSERT_TRUE(std::regex_search(protocol, m, std::regex(R"(node default \((\d+) ms\))")));
  EXPECT_EQ(m[1], node_default);
  const auto proto = read_file(std::string(DRL_SOURCE_DIR) + "/proto/drl/client.proto");
  ASSERT_TRUE(std::regex_search(proto, m, std::regex(R"(--default-timeout-ms, (\d+) ms)")));
  EXPECT_EQ(m[1], node_default);
  const auto operations = read_file(std::string(DRL_SOURCE_DIR) + "/docs/operations.md");
  ASSERT_TRUE(
      std::regex_search(operations, m, std::regex(R"(\| `--default-timeout-ms MS` \| (\d+) \|)")));
  EXPECT_EQ(m[1], node_default);
}

// `drl check`: --json has every CheckResult field; the text of a leaky bucket shows its delay.
TEST(ClientContract, DrlCheckShowsShadowDegradedAndTheLeakyDelay) {
  testing::NodeProcess n;
  ASSERT_NE(n.port(), 0) << n.error();
  const std::vector<std::string> leaky = {
      "check",    "--server", n.address(),   "shape:1",      "--limit", "2",
      "--window", "1s",       "--algorithm", "leaky_bucket", "--burst", "3"};
  auto first = testing::run_drl(leaky);
  EXPECT_EQ(first.exit_code, 0) << first.out;
  auto second = testing::run_drl(leaky);  // queued behind the first: about 500 ms
  EXPECT_EQ(second.exit_code, 0) << second.out;
  EXPECT_NE(second.out.find("; serve it in "), std::string::npos) << second.out;
  auto json = leaky;
  json.push_back("--json");
  const auto j = testing::run_drl(json);
  EXPECT_NE(j.out.find("\"shadow_denied\":false,\"degraded\":false,"), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("\"delay_ms\":"), std::string::npos) << j.out;
}

}  // namespace
}  // namespace drl
