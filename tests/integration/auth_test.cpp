// Client authentication against a real node (--client-tokens-file): the native protocol, the
// CLI, SIGHUP reload, and AUTH on the Redis port with redis-cli.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <fstream>

#include "drl/client.h"
#include "drl/client.pb.h"
#include "integration/support/abuse_support.h"
#include "integration/support/node_process.h"

namespace drl {
namespace {

using testing::eventually;
using testing::NodeProcess;
using testing::RawConnection;
using testing::shell;
using testing::TempFile;

const std::string kAlice = "alice-7d5f0c3b9a8e4d21";
const std::string kBob = "bob-1f2e3d4c5b6a7980aa";

CheckSpec spec(const std::string& key) {
  CheckSpec s;
  s.key = key;
  s.limit = InlineLimit{Algorithm::kTokenBucket, 1000, std::chrono::seconds(1), 0};
  return s;
}

CheckResult check_with(const NodeProcess& node, const std::string& token) {
  ClientOptions o{.nodes = {node.address()}};
  o.auth_token = token;
  Client client(o);
  return client.check(spec("k"));
}

std::string check_request(const std::string& token) {
  wire::Request request;
  request.set_id(42);
  if (!token.empty()) request.set_auth_token(token);
  auto* c = request.mutable_check()->add_checks();
  c->set_key("raw");
  c->mutable_limit()->set_limit(10);
  c->mutable_limit()->set_window_ms(1000);
  return testing::frame(request.SerializeAsString());
}

class AuthNode {
 public:
  explicit AuthNode(std::vector<std::string> extra = {})
      : tokens_("# test clients\nalice " + kAlice + "\n") {
    extra.insert(extra.end(), {"--client-tokens-file", tokens_.path(), "--metrics", "127.0.0.1:0"});
    node_.emplace(extra);
    metrics_ = testing::metrics_port(*node_);
  }
  NodeProcess& node() { return *node_; }
  const TempFile& tokens() const { return tokens_; }
  double metric(std::string_view series) const { return testing::scrape_metric(metrics_, series); }
  uint16_t metrics() const { return metrics_; }

 private:
  TempFile tokens_;
  std::optional<NodeProcess> node_;
  uint16_t metrics_ = 0;
};

TEST(Auth, NativeRequestsWithoutAValidTokenAreRefusedBeforeAnyWork) {
  AuthNode a;
  ASSERT_NE(a.node().port(), 0) << a.node().error();
  ASSERT_NE(a.metrics(), 0) << a.node().log();

  const auto missing = check_with(a.node(), "");
  EXPECT_EQ(missing.code, ResultCode::kRequestError);
  EXPECT_NE(missing.message.find("token"), std::string::npos) << missing.message;
  const auto wrong = check_with(a.node(), kBob);
  EXPECT_EQ(wrong.code, ResultCode::kRequestError);

  RawConnection raw(a.node().port());
  ASSERT_TRUE(raw.connected());
  raw.send(check_request(kAlice + "x"));
  wire::Response response;
  ASSERT_TRUE(raw.read(response));
  EXPECT_EQ(response.id(), 42u);
  EXPECT_EQ(response.error().code(), wire::UNAUTHENTICATED);
  EXPECT_TRUE(response.error().closing());
  EXPECT_TRUE(raw.closed_by_peer());

  // The refused checks did no work: the raw key was never decided, and no check counted.
  EXPECT_EQ(a.metric("drl_requests_total"), 0);
  EXPECT_EQ(a.metric("drl_errors_total{kind=\"unauthenticated\"}"), 3);

  const auto ok = check_with(a.node(), kAlice);
  EXPECT_EQ(ok.code, ResultCode::kOk) << ok.message;
  EXPECT_TRUE(ok.allowed);
  EXPECT_EQ(a.metric("drl_client_requests_total{client=\"alice\"}"), 1);

  NodeStatus status;
  std::string error;
  ClientOptions anonymous{.nodes = {a.node().address()}};
  EXPECT_FALSE(Client(anonymous).status(status, error));  // status needs a token too
  ClientOptions alice{.nodes = {a.node().address()}};
  alice.auth_token = kAlice;
  EXPECT_TRUE(Client(alice).status(status, error)) << error;
  EXPECT_EQ(status.checks, 1u);

  const std::string log = a.node().log();
  EXPECT_NE(log.find("alice"), std::string::npos);
  EXPECT_EQ(log.find(kAlice), std::string::npos) << "a token reached the log";
}

TEST(Auth, CliTakesTheTokenFromAFile) {
  AuthNode a;
  ASSERT_NE(a.node().port(), 0) << a.node().error();
  TempFile token("# mine\n" + kAlice + "\n");
  const std::string server = a.node().address();
  const auto refused =
      testing::run_drl({"check", "--server", server, "k", "--limit", "5", "--window", "1s"});
  EXPECT_EQ(refused.exit_code, 2);
  const auto ok = testing::run_drl({"check", "--server", server, "k", "--limit", "5", "--window",
                                    "1s", "--token-file", token.path()});
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_EQ(testing::run_drl({"status", "--server", server}).exit_code, 2);
  const auto status =
      testing::run_drl({"status", "--server", server, "--token-file", token.path(), "--json"});
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_NE(status.out.find("\"checks\":1"), std::string::npos) << status.out;
  const auto bench =
      testing::run_drl({"bench", "--servers", server, "--duration", "200ms", "--connections", "1",
                        "--token-file", token.path(), "--json"});
  EXPECT_EQ(bench.exit_code, 0) << bench.out;
  EXPECT_EQ(a.metric("drl_errors_total{kind=\"unauthenticated\"}"), 2);  // check + status
  EXPECT_EQ(testing::run_drl({"check", "--server", server, "k", "--limit", "5", "--window", "1s",
                              "--token-file", "/nonexistent/token"})
                .exit_code,
            2);
}

// Every bench mode sends the token: the raw closed loop, the open loop (--rate), --smart (the
// client library, routed to owners) and --ledger. Without it every check of a mode is refused
// and bench exits 2; with it none is.
TEST(Auth, EveryBenchModeTakesTheTokenFromAFile) {
  // About tokens, not shedding: a node slowed down by a sanitizer must not shed the
  // pipelined bench (it did under TSan, OVERLOADED answers counted as errors).
  AuthNode a({"--queue-target-ms", "60000"});
  ASSERT_NE(a.node().port(), 0) << a.node().error();
  TempFile token(kAlice + "\n");
  TempFile ledger("");
  const std::string server = a.node().address();
  const std::vector<std::vector<std::string>> modes = {
      {}, {"--rate", "200"}, {"--smart"}, {"--ledger", ledger.path(), "--keys", "4"}};
  for (const auto& mode : modes) {
    std::vector<std::string> args = {"bench",        "--servers",     server, "--duration",
                                     "300ms",        "--connections", "1",    "--json",
                                     "--timeout-ms", "5000"};
    args.insert(args.end(), mode.begin(), mode.end());
    const std::string name = mode.empty() ? "closed loop" : mode.front();
    // Refused, every mode ends at once (the open loop stops when the node has closed every
    // connection, rather than waiting out its drain).
    const auto refused = testing::run_drl(args);
    EXPECT_EQ(refused.exit_code, 2) << name << ": " << refused.out;
    args.insert(args.end(), {"--token-file", token.path()});
    const auto ok = testing::run_drl(args);
    EXPECT_EQ(ok.exit_code, 0) << name << ": " << ok.out;
    EXPECT_NE(ok.out.find("\"errors\":0,"), std::string::npos) << name << ": " << ok.out;
  }
  EXPECT_GT(a.metric("drl_client_requests_total{client=\"alice\"}"), 0);
}

TEST(Auth, SighupReloadsTheTokens) {
  AuthNode a;
  ASSERT_NE(a.node().port(), 0) << a.node().error();
  ASSERT_EQ(check_with(a.node(), kAlice).code, ResultCode::kOk);
  ASSERT_EQ(check_with(a.node(), kBob).code, ResultCode::kRequestError);

  a.tokens().write("bob " + kBob + "\n");
  a.node().signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return check_with(a.node(), kBob).code == ResultCode::kOk; }));
  EXPECT_EQ(check_with(a.node(), kAlice).code, ResultCode::kRequestError);

  // A broken file is refused and the current tokens stay.
  a.tokens().write("short\n");
  a.node().signal(SIGHUP);
  EXPECT_TRUE(eventually(
      [&] { return a.node().log().find("refused the new client tokens") != std::string::npos; }));
  EXPECT_EQ(check_with(a.node(), kBob).code, ResultCode::kOk);
  EXPECT_TRUE(a.node().alive());
}

TEST(Auth, RedisPortWantsAuthFirst) {
  TempFile resp_port_file;
  AuthNode a({"--resp", "127.0.0.1:0", "--resp-port-file", resp_port_file.path()});
  ASSERT_NE(a.node().port(), 0) << a.node().error();
  unsigned port = 0;
  std::ifstream(resp_port_file.path()) >> port;
  ASSERT_NE(port, 0u);
  const std::string cli = "redis-cli -p " + std::to_string(port) + " ";

  EXPECT_NE(shell(cli + "PING 2>&1").find("NOAUTH"), std::string::npos);
  EXPECT_NE(shell(cli + "CL.THROTTLE k 15 30 60 2>&1").find("NOAUTH"), std::string::npos);
  EXPECT_NE(shell(cli + "--no-auth-warning -a " + kBob + " PING 2>&1").find("WRONGPASS"),
            std::string::npos);
  EXPECT_EQ(shell(cli + "--no-auth-warning -a " + kAlice + " PING"), "PONG\n");
  EXPECT_EQ(shell(cli + "--no-auth-warning -a " + kAlice + " CL.THROTTLE k 15 30 60"),
            "0\n16\n15\n-1\n2\n");
  // AUTH in the stream, as a client library sends it: replies stay in order.
  RawConnection raw(static_cast<uint16_t>(port));
  raw.send("PING\r\nAUTH " + kAlice + "\r\nPING\r\nAUTH someone " + kAlice + "\r\nQUIT\r\n");
  std::string replies;
  ASSERT_TRUE(raw.read_until_closed(replies));
  EXPECT_EQ(replies, "-NOAUTH Authentication required.\r\n+OK\r\n+PONG\r\n+OK\r\n+OK\r\n");
  EXPECT_GE(a.metric("drl_errors_total{kind=\"unauthenticated\"}"), 4);
  EXPECT_GE(a.metric("drl_client_requests_total{client=\"alice\"}"), 4);

  // HELLO as client libraries send it: a RESP3 probe gets NOPROTO (its token unread), a
  // HELLO without AUTH gets Redis's NOAUTH, HELLO 2 AUTH authenticates, a wrong one closes.
  RawConnection hello(static_cast<uint16_t>(port));
  hello.send("HELLO 3 AUTH default " + kAlice + "\r\nPING\r\nHELLO 2\r\nHELLO 2 AUTH default " +
             kAlice + " SETNAME svc\r\nCLIENT GETNAME\r\nQUIT\r\n");
  replies.clear();
  ASSERT_TRUE(hello.read_until_closed(replies));
  EXPECT_EQ(replies.rfind("-NOPROTO unsupported protocol version\r\n"
                          "-NOAUTH Authentication required.\r\n"
                          "-NOAUTH HELLO must be called with the client already authenticated",
                          0),
            0u)
      << replies;
  EXPECT_NE(replies.find("$5\r\nproto\r\n:2\r\n"), std::string::npos) << replies;
  EXPECT_NE(replies.find("$3\r\nsvc\r\n+OK\r\n"), std::string::npos) << replies;
  RawConnection wrong(static_cast<uint16_t>(port));
  wrong.send("HELLO 2 AUTH default " + kBob + "\r\nPING\r\n");
  replies.clear();
  ASSERT_TRUE(wrong.read_until_closed(replies));
  EXPECT_EQ(replies, "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
}

}  // namespace
}  // namespace drl
