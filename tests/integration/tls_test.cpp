// TLS on a real node (docs/operations.md, "TLS"): clients check over TLS through the client
// library, the CLI and redis-cli; plaintext on a TLS port, a client without a certificate
// under --tls-client-auth and a certificate from another CA are refused (counted, logged)
// and the node stays up; a node refuses to start with files it cannot use, naming them; three
// TLS nodes forward checks to each other over mutual TLS, and a node whose certificate comes
// from another CA cannot link to them. Certificates come from a throwaway CA made per test.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <set>

#include "drl/client.h"
#include "envoy/service/ratelimit/v3/rls.grpc.pb.h"
#include "integration/support/abuse_support.h"
#include "integration/support/cluster_support.h"
#include "integration/support/node_process.h"
#include "integration/support/test_pki.h"

namespace drl {
namespace {

using testing::eventually;
using testing::IssuedCert;
using testing::NodeProcess;
using testing::TestPki;

// doors::kTlsRefreshSeconds (10 s) and room for a loaded machine.
constexpr int kGrpcRefreshBound = 40;

std::vector<std::string> tls_flags(const TestPki& pki, const IssuedCert& cert) {
  return {"--tls-cert", cert.cert, "--tls-key", cert.key, "--tls-ca", pki.ca()};
}

ClientOptions tls_client(const std::string& address, const std::string& ca,
                         const IssuedCert& cert = {}) {
  ClientOptions o;
  o.nodes = {address};
  o.connect_timeout = std::chrono::seconds(5);
  o.request_timeout = std::chrono::seconds(10);
  o.tls.enabled = true;
  o.tls.ca_file = ca;
  o.tls.cert_file = cert.cert;
  o.tls.key_file = cert.key;
  return o;
}

CheckSpec per_hour(const std::string& key, uint64_t limit) {
  CheckSpec s;
  s.key = key;
  s.limit = InlineLimit{Algorithm::kFixedWindow, limit, std::chrono::hours(1), 0};
  return s;
}

TEST(Tls, ClientsCheckOverTlsAndPlaintextIsRefused) {
  TestPki pki;
  ASSERT_EQ(pki.error(), "");
  const auto cert = pki.issue("n1");
  NodeProcess node(tls_flags(pki, cert));
  ASSERT_NE(node.port(), 0) << node.error();

  Client client(tls_client(node.address(), pki.ca()));
  for (int i = 0; i < 3; ++i) {
    const auto r = client.check(per_hour("tls:user", 2));
    ASSERT_EQ(r.code, ResultCode::kOk) << r.message;
    EXPECT_EQ(r.allowed, i < 2);
  }

  // The CLI, over TLS; and the same command without --tls-ca gets no answer.
  const auto cli = testing::run_drl({"check", "--server", node.address(), "--tls-ca", pki.ca(),
                                     "tls:cli", "--limit", "1", "--window", "1h"});
  EXPECT_EQ(cli.exit_code, 0) << cli.out;
  const auto plain = testing::run_drl_with_errors(
      {"check", "--server", node.address(), "tls:cli", "--limit", "1", "--window", "1h"});
  EXPECT_EQ(plain.exit_code, 2) << plain.out;
  ASSERT_TRUE(eventually([&] { return node.log().find("tls_refused") != std::string::npos; }))
      << node.log();
  EXPECT_NE(node.log().find("plaintext"), std::string::npos) << node.log();

  // A client that trusts another CA refuses the node's certificate, and says why.
  TestPki other("other CA");
  ASSERT_EQ(other.error(), "");
  Client stranger(tls_client(node.address(), other.ca()));
  const auto refused = stranger.check(per_hour("tls:user", 2));
  EXPECT_EQ(refused.code, ResultCode::kUnavailable);
  EXPECT_NE(refused.message.find("certificate verify failed"), std::string::npos)
      << refused.message;

  // The node is still up, and counted the refusals.
  NodeStatus status;
  std::string error;
  ASSERT_TRUE(client.status(status, error)) << error;
  EXPECT_TRUE(node.alive());
  const auto metrics =
      testing::run_drl({"status", "--server", node.address(), "--tls-ca", pki.ca(), "--json"});
  EXPECT_EQ(metrics.exit_code, 0) << metrics.out;
}

TEST(Tls, ClientAuthRefusesClientsWithoutACertificateOfTheCa) {
  TestPki pki, other("other CA");
  ASSERT_EQ(pki.error(), "");
  ASSERT_EQ(other.error(), "");
  const auto server = pki.issue("n1"), client_cert = pki.issue("client");
  const auto foreign = other.issue("intruder");
  auto flags = tls_flags(pki, server);
  flags.push_back("--tls-client-auth");
  NodeProcess node(flags);
  ASSERT_NE(node.port(), 0) << node.error();

  Client anonymous(tls_client(node.address(), pki.ca()));
  EXPECT_EQ(anonymous.check(per_hour("auth:k", 5)).code, ResultCode::kUnavailable);
  Client intruder(tls_client(node.address(), pki.ca(), foreign));
  EXPECT_EQ(intruder.check(per_hour("auth:k", 5)).code, ResultCode::kUnavailable);
  Client known(tls_client(node.address(), pki.ca(), client_cert));
  const auto r = known.check(per_hour("auth:k", 5));
  EXPECT_EQ(r.code, ResultCode::kOk) << r.message;
  EXPECT_TRUE(r.allowed);
  EXPECT_EQ(r.remaining, 4u);  // the refused clients charged nothing
  EXPECT_TRUE(node.alive());
}

// A TLS node with a RESP port (resp_port 0 when it did not start; error() says why).
struct RespTlsNode {
  TestPki pki;
  std::unique_ptr<NodeProcess> node;
  uint16_t resp_port = 0;
  RespTlsNode() {
    if (!pki.error().empty()) return;
    const std::string port_file = pki.dir() + "/resp.port";
    auto flags = tls_flags(pki, pki.issue("n1"));
    flags.insert(flags.end(), {"--resp", "127.0.0.1:0", "--resp-port-file", port_file});
    node = std::make_unique<NodeProcess>(flags);
    if (node->port() != 0) resp_port = testing::read_port_file(port_file);
  }
  std::string error() const { return node ? node->error() : pki.error(); }
};

TEST(Tls, RespSpeaksTlsToRedisCli) {
  if (testing::shell("command -v redis-cli").empty()) GTEST_SKIP() << "no redis-cli";
  RespTlsNode n;
  ASSERT_NE(n.resp_port, 0) << n.error();
  const TestPki& pki = n.pki;
  NodeProcess& node = *n.node;
  const uint16_t port = n.resp_port;
  const std::string at = " -h 127.0.0.1 -p " + std::to_string(port);
  int status = 0;
  const std::string reply = testing::shell("redis-cli --tls --cacert " + pki.ca() + at +
                                               " CL.THROTTLE tls:resp 1 1 3600 2>&1 | tr '\\n' ' '",
                                           &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(reply.substr(0, 4), "0 2 ") << reply;
  const std::string plain =
      testing::shell("redis-cli" + at + " CL.THROTTLE tls:resp 1 1 3600 2>&1 | tr '\\n' ' '");
  EXPECT_EQ(plain.find("0 2"), std::string::npos) << plain;
  EXPECT_TRUE(node.alive());
}

// Writes each command as its own TLS record (one SSL_write each, all before reading), then reads
// until `count` RESP arrays arrived; returns what was read, or "" on a failure.
std::string resp_over_tls_one_record_each(uint16_t port, const std::string& ca,
                                          const std::string& command, int count) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  const timeval patience{10, 0};  // a lost answer fails the test instead of hanging it
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string in;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = nullptr;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0 &&
      SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr) == 1) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    bool ok = SSL_connect(ssl) == 1;
    for (int i = 0; ok && i < count; ++i) {
      ok = SSL_write(ssl, command.data(), static_cast<int>(command.size())) > 0;
    }
    size_t arrays = 0;
    char buf[16384];
    while (ok && arrays < static_cast<size_t>(count)) {
      const int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
      arrays = 0;
      for (size_t at = in.find("*5\r\n"); at != std::string::npos; at = in.find("*5\r\n", at + 1)) {
        ++arrays;
      }
    }
    if (arrays != static_cast<size_t>(count)) in.clear();
  }
  if (ssl != nullptr) SSL_free(ssl);
  SSL_CTX_free(ctx);
  ::close(fd);
  return in;
}

// A client that writes many small records before reading (here 300 CL.THROTTLE commands, one
// TLS record each) gets every answer, in order: the node takes all records it has received in
// one read (tls::read_received_records), and none is lost, doubled or reordered.
TEST(Tls, ManySmallRecordsAreAllAnsweredInOrder) {
  RespTlsNode n;
  ASSERT_NE(n.resp_port, 0) << n.error();
  const TestPki& pki = n.pki;
  NodeProcess& node = *n.node;
  const uint16_t port = n.resp_port;
  // Burst 100 (max_burst 99), 100 per hour: the first 100 are allowed, the rest denied.
  const std::string command =
      "*5\r\n$11\r\nCL.THROTTLE\r\n$7\r\ntls:rec\r\n$2\r\n99\r\n$3\r\n100\r\n$4\r\n3600\r\n";
  const int count = 300;
  const std::string in = resp_over_tls_one_record_each(port, pki.ca(), command, count);
  ASSERT_FALSE(in.empty()) << "not every command was answered";
  std::vector<char> verdicts;  // '0' allowed, '1' denied, in answer order
  for (size_t at = in.find("*5\r\n:"); at != std::string::npos; at = in.find("*5\r\n:", at + 1)) {
    verdicts.push_back(in[at + 5]);
  }
  ASSERT_EQ(verdicts.size(), static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) EXPECT_EQ(verdicts[i], i < 100 ? '0' : '1') << "answer " << i;
  EXPECT_TRUE(node.alive());
}

TEST(Tls, NodeRefusesToStartWithFilesItCannotUse) {
  TestPki pki;
  ASSERT_EQ(pki.error(), "");
  const auto a = pki.issue("a"), b = pki.issue("b");
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--tls-cert", a.cert, "--tls-key", pki.dir() + "/missing.key", "--tls-ca", pki.ca()},
       "--tls-key " + pki.dir() + "/missing.key: No such file"},
      {{"--tls-cert", a.cert, "--tls-key", b.key, "--tls-ca", pki.ca()},
       "does not match the certificate in --tls-cert " + a.cert},
      {{"--tls-cert", a.key, "--tls-key", a.key, "--tls-ca", pki.ca()},
       "--tls-cert " + a.key + ": not a PEM certificate"},
      {{"--tls-cert", a.cert, "--tls-key", a.key, "--tls-ca", pki.dir() + "/none.pem"},
       "--tls-ca " + pki.dir() + "/none.pem: No such file"},
      {{"--tls-cert", a.cert, "--tls-key", a.key}, "--tls-ca"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"node", "--listen", "127.0.0.1:0"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto r = testing::run_drl_with_errors(args);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.out.find(c.says), std::string::npos) << r.out;
  }
}

// The subject of the certificate the node at `port` presents to a new connection.
std::string presented_subject(uint16_t port, const std::string& ca) {
  return testing::shell("openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                        " -CAfile " + ca +
                        " </dev/null 2>/dev/null | openssl x509 -noout -subject 2>/dev/null");
}

TEST(Tls, SighupReloadsTheCertificateForNewConnectionsAndKeepsOpenOnes) {
  TestPki pki;
  ASSERT_EQ(pki.error(), "");
  const auto first = pki.issue("first"), renewed = pki.issue("renewed");
  const IssuedCert live{pki.dir() + "/live.pem", pki.dir() + "/live.key"};
  const auto install = [&](const IssuedCert& c) {
    testing::shell("cp " + c.cert + " " + live.cert + " && cp " + c.key + " " + live.key);
  };
  install(first);
  NodeProcess node(tls_flags(pki, live));
  ASSERT_NE(node.port(), 0) << node.error();
  ASSERT_NE(presented_subject(node.port(), pki.ca()).find("CN = first"), std::string::npos);
  Client open_before(tls_client(node.address(), pki.ca()));
  ASSERT_EQ(open_before.check(per_hour("reload:k", 10)).code, ResultCode::kOk);

  install(renewed);
  node.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return node.log().find("tls_reloaded") != std::string::npos; }))
      << node.log();
  EXPECT_NE(presented_subject(node.port(), pki.ca()).find("CN = renewed"), std::string::npos);
  // The connection made before the reload still answers.
  const auto r = open_before.check(per_hour("reload:k", 10));
  EXPECT_EQ(r.code, ResultCode::kOk) << r.message;
  EXPECT_EQ(r.remaining, 8u);

  // A broken file is refused at reload: new connections keep the certificate in force.
  testing::shell("echo garbage > " + live.cert);
  node.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] {
    return node.log().find("tls_reload_refused") != std::string::npos;
  })) << node.log();
  EXPECT_NE(presented_subject(node.port(), pki.ca()).find("CN = renewed"), std::string::npos);
  EXPECT_TRUE(node.alive());
}

// The subject of the certificate a TLS server at `port` presents to a new connection offering
// `alpn` (gRPC speaks h2).
std::string presented_subject_alpn(uint16_t port, const std::string& ca, const std::string& alpn) {
  return testing::shell("openssl s_client -alpn " + alpn +
                        " -connect 127.0.0.1:" + std::to_string(port) + " -CAfile " + ca +
                        " </dev/null 2>/dev/null | openssl x509 -noout -subject 2>/dev/null");
}

envoy::service::ratelimit::v3::RateLimitResponse rls_call(
    const std::shared_ptr<grpc::ChannelCredentials>& credentials, uint16_t port,
    grpc::Status& status) {
  auto stub = envoy::service::ratelimit::v3::RateLimitService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), credentials));
  envoy::service::ratelimit::v3::RateLimitRequest request;
  request.set_domain("shop");
  auto* entry = request.add_descriptors()->add_entries();
  entry->set_key("user");
  entry->set_value("tls");
  envoy::service::ratelimit::v3::RateLimitResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  status = stub->ShouldRateLimit(&context, request, &response);
  return response;
}

// The HTTP door (--http) and Envoy's gRPC door (--grpc) speak TLS with the node's files; plain
// HTTP and an insecure channel get no answer; --metrics stays plain. The HTTPS door follows a
// SIGHUP reload; the gRPC door notices the changed files itself (gRPC's file watcher).
TEST(Tls, HttpAndGrpcDoorsServeTlsAndFollowANewCertificate) {
  if (testing::shell("command -v curl").empty()) GTEST_SKIP() << "no curl";
  TestPki pki;
  ASSERT_EQ(pki.error(), "");
  const auto first = pki.issue("first"), renewed = pki.issue("renewed");
  const IssuedCert live{pki.dir() + "/live.pem", pki.dir() + "/live.key"};
  const auto install = [&](const IssuedCert& c) {
    testing::shell("cp " + c.cert + " " + live.cert + ".new && cp " + c.key + " " + live.key +
                   ".new && mv " + live.key + ".new " + live.key + " && mv " + live.cert + ".new " +
                   live.cert);
  };
  install(first);
  testing::shell(
      "printf 'domain: shop\\ndescriptors:\\n  - key: user\\n    rate_limit: {unit: "
      "hour, requests_per_unit: 2}\\n' > " +
      pki.dir() + "/rls.yaml");
  const std::string http_file = pki.dir() + "/http.port", grpc_file = pki.dir() + "/grpc.port";
  auto flags = tls_flags(pki, live);
  flags.insert(flags.end(), {"--http", "127.0.0.1:0", "--http-port-file", http_file, "--grpc",
                             "127.0.0.1:0", "--grpc-port-file", grpc_file, "--rls-config",
                             pki.dir() + "/rls.yaml", "--metrics", "127.0.0.1:0"});
  NodeProcess node(flags);
  ASSERT_NE(node.port(), 0) << node.error();
  const uint16_t http = testing::read_port_file(http_file);
  const uint16_t grpc_port = testing::read_port_file(grpc_file);
  const uint16_t metrics = testing::metrics_port(node);
  ASSERT_NE(http, 0);
  ASSERT_NE(grpc_port, 0);
  ASSERT_NE(metrics, 0);

  const std::string body =
      R"('{"domain":"shop","descriptors":[{"entries":[{"key":"user","value":"h"}]}]}')";
  const std::string https =
      testing::shell("curl -s -m 5 --cacert " + pki.ca() +
                     " https://127.0.0.1:" + std::to_string(http) + "/json -d " + body);
  EXPECT_NE(https.find(R"("overallCode":"OK")"), std::string::npos) << https;
  const std::string plain =
      testing::shell("curl -s -m 5 http://127.0.0.1:" + std::to_string(http) + "/healthz");
  EXPECT_EQ(plain.find("ok"), std::string::npos) << plain;
  const std::string scrape =
      testing::shell("curl -s -m 5 http://127.0.0.1:" + std::to_string(metrics) + "/metrics");
  EXPECT_NE(scrape.find("drl_"), std::string::npos) << "--metrics stays plain";

  grpc::SslCredentialsOptions trust;
  trust.pem_root_certs = testing::shell("cat " + pki.ca());
  grpc::Status status;
  const auto answer = rls_call(grpc::SslCredentials(trust), grpc_port, status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(answer.overall_code(), envoy::service::ratelimit::v3::RateLimitResponse::OK);
  (void)rls_call(grpc::InsecureChannelCredentials(), grpc_port, status);
  EXPECT_FALSE(status.ok()) << "a plaintext channel is answered";

  EXPECT_NE(presented_subject(http, pki.ca()).find("CN = first"), std::string::npos);
  EXPECT_NE(presented_subject_alpn(grpc_port, pki.ca(), "h2").find("CN = first"),
            std::string::npos);
  install(renewed);
  node.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return node.log().find("tls_reloaded") != std::string::npos; }))
      << node.log();
  EXPECT_NE(presented_subject(http, pki.ca()).find("CN = renewed"), std::string::npos);
  EXPECT_TRUE(eventually(
      [&] {
        return presented_subject_alpn(grpc_port, pki.ca(), "h2").find("CN = renewed") !=
               std::string::npos;
      },
      std::chrono::seconds(kGrpcRefreshBound)))
      << "the gRPC door kept the old certificate";
  EXPECT_TRUE(node.alive());
}

// Every node of `nodes` sees `count` members alive, asked over TLS.
bool all_see(const std::vector<const NodeProcess*>& nodes, size_t count, const std::string& ca) {
  for (const auto* n : nodes) {
    Client c(tls_client(n->address(), ca));
    NodeStatus s;
    std::string error;
    if (!c.status(s, error)) return false;
    size_t alive = 0;
    for (const auto& m : s.members) alive += m.state == "alive";
    if (alive != count) return false;
  }
  return true;
}

TEST(Tls, ThreeNodesForwardOverMutualTlsAndRefuseAnotherCa) {
  TestPki pki, other("other CA");
  ASSERT_EQ(pki.error(), "");
  ASSERT_EQ(other.error(), "");
  auto flags = [&](const std::string& id, const IssuedCert& cert, const std::string& ca,
                   const std::string& join) {
    std::vector<std::string> f = {"--id",      id,       "--tls-cert", cert.cert,
                                  "--tls-key", cert.key, "--tls-ca",   ca};
    if (!join.empty()) f.insert(f.end(), {"--join", join});
    return f;
  };
  NodeProcess n1(flags("n1", pki.issue("n1"), pki.ca(), ""));
  ASSERT_NE(n1.port(), 0) << n1.error();
  NodeProcess n2(flags("n2", pki.issue("n2"), pki.ca(), n1.address()));
  NodeProcess n3(flags("n3", pki.issue("n3"), pki.ca(), n1.address()));
  ASSERT_NE(n2.port(), 0) << n2.error();
  ASSERT_NE(n3.port(), 0) << n3.error();
  ASSERT_TRUE(eventually(
      [&] {
        return all_see({&n1, &n2, &n3}, 3, pki.ca());
      },
      std::chrono::seconds(30)));

  // Through n1, keys owned by every node: the others' are forwarded over the peer links and
  // answered; through n2 the same keys are denied (one decider per key, exact).
  Client via_n1(tls_client(n1.address(), pki.ca()));
  Client via_n2(tls_client(n2.address(), pki.ca()));
  std::set<std::string> deciders;
  for (int i = 0; i < 30; ++i) {
    const std::string key = "tls:cluster:" + std::to_string(i);
    const auto first = via_n1.check(per_hour(key, 1));
    ASSERT_EQ(first.code, ResultCode::kOk) << first.message;
    EXPECT_TRUE(first.allowed) << key;
    deciders.insert(first.decided_by);
    const auto second = via_n2.check(per_hour(key, 1));
    ASSERT_EQ(second.code, ResultCode::kOk) << second.message;
    EXPECT_FALSE(second.allowed) << key << " admitted twice";
  }
  EXPECT_EQ(deciders, (std::set<std::string>{"n1", "n2", "n3"}));

  // A node with a certificate of another CA joins the gossip (no cluster key here) but no
  // node takes its peer links, nor it theirs: refused, logged, and nobody crashes.
  NodeProcess intruder(flags("intruder", other.issue("intruder"), other.ca(), n1.address()));
  ASSERT_NE(intruder.port(), 0) << intruder.error();
  auto intruder_options = tls_client(intruder.address(), other.ca());
  intruder_options.request_timeout = std::chrono::milliseconds(500);  // its forwards fail
  Client via_intruder(intruder_options);
  const auto refused_somewhere = [&] {
    for (int i = 0; i < 3; ++i) (void)via_intruder.check(per_hour("tls:x:" + std::to_string(i), 5));
    for (const auto* n : {&n1, &n2, &n3}) {
      if (n->log().find("tls_refused peer port") != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(eventually(refused_somewhere, std::chrono::seconds(30)))
      << n1.log() << intruder.log();
  EXPECT_NE(intruder.log().find("tls_refused peer link"), std::string::npos) << intruder.log();
  EXPECT_TRUE(n1.alive() && n2.alive() && n3.alive() && intruder.alive());
}

}  // namespace
}  // namespace drl
