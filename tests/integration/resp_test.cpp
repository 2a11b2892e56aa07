// The Redis-protocol front door of a real `drl node --resp 127.0.0.1:0`, driven by clients
// that are not ours: hiredis (Debian's libhiredis), redis-cli and redis-benchmark.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "integration/support/cluster_support.h"
#include "integration/support/node_process.h"

namespace drl {
namespace {

using testing::NodeProcess;
using testing::shell;

// A node with a RESP port; the RESP port file is written before the main one, so it is there
// once NodeProcess reports the node up.
class RespNode {
 public:
  explicit RespNode(std::vector<std::string> extra = {})
      : port_file_(std::string(::testing::TempDir()) + "drl-resp-port-" +
                   std::to_string(::getpid()) + "-" + std::to_string(counter_++)) {
    extra.insert(extra.end(), {"--resp", "127.0.0.1:0", "--resp-port-file", port_file_});
    node_ = std::make_unique<NodeProcess>(extra);
    std::ifstream f(port_file_);
    unsigned p = 0;
    if (f >> p) port_ = static_cast<uint16_t>(p);
  }
  ~RespNode() { std::remove(port_file_.c_str()); }
  uint16_t port() const { return port_; }
  NodeProcess& node() { return *node_; }

 private:
  static inline int counter_ = 0;
  std::string port_file_;
  std::unique_ptr<NodeProcess> node_;
  uint16_t port_ = 0;
};

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;
using Reply = std::unique_ptr<redisReply, ReplyFree>;

Context connect(uint16_t port) {
  Context c(redisConnect("127.0.0.1", port));
  EXPECT_TRUE(c && c->err == 0) << (c ? c->errstr : "no context");
  return c;
}

Reply command(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data())));
}

std::vector<long long> integers(const redisReply* r) {
  std::vector<long long> out;
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY) return out;
  for (size_t i = 0; i < r->elements; ++i) {
    out.push_back(r->element[i]->type == REDIS_REPLY_INTEGER ? r->element[i]->integer : -999);
  }
  return out;
}

long long info_checks(redisContext* c) {
  auto r = command(c, {"INFO", "stats"});
  if (!r || r->type != REDIS_REPLY_STRING) return -1;
  const std::string text(r->str, r->len);
  const auto at = text.find("checks:");
  return at == std::string::npos ? -1 : std::stoll(text.substr(at + 7));
}

TEST(Resp, ThrottleAllowsThenLimitsWithRedisCellReplies) {
  RespNode n;
  ASSERT_NE(n.port(), 0) << n.node().error();
  auto c = connect(n.port());
  // max_burst 2, 1 per 60 s: three pass (limit 3), the fourth waits about a minute.
  const std::vector<std::vector<long long>> expected = {
      {0, 3, 2, -1, 60}, {0, 3, 1, -1, 120}, {0, 3, 0, -1, 180}};
  for (const auto& e : expected) {
    auto r = command(c.get(), {"CL.THROTTLE", "user:1", "2", "1", "60"});
    auto got = integers(r.get());
    ASSERT_EQ(got.size(), 5u);
    EXPECT_EQ(got[0], e[0]);
    EXPECT_EQ(got[1], e[1]);
    EXPECT_EQ(got[2], e[2]);
    EXPECT_EQ(got[3], e[3]);
    // reset_after is rounded up, counted from the reply: a second below only if a whole
    // second passed since the first call (a very slow host).
    EXPECT_TRUE(got[4] == e[4] || got[4] == e[4] - 1) << got[4];
  }
  auto got = integers(command(c.get(), {"CL.THROTTLE", "user:1", "2", "1", "60"}).get());
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0], 1);
  EXPECT_EQ(got[2], 0);
  EXPECT_TRUE(got[3] == 59 || got[3] == 60) << got[3];
  // A quantity above the bucket can never pass: limited, retry -1, nothing consumed.
  got = integers(command(c.get(), {"CL.THROTTLE", "other", "2", "1", "60", "4"}).get());
  EXPECT_EQ(got, (std::vector<long long>{1, 3, 3, -1, 0}));

  auto bad = command(c.get(), {"CL.THROTTLE", "k", "x", "1", "60"});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(std::string(bad->str).rfind("ERR ", 0), 0u) << bad->str;
}

TEST(Resp, DrlCheckReturnsNativeFields) {
  const std::string policies = std::string(::testing::TempDir()) + "drl-resp-policies.yaml";
  std::ofstream(policies) << "policies:\n  api:\n    limit: 2\n    window: 1m\n";
  RespNode n({"--policies", policies});
  ASSERT_NE(n.port(), 0) << n.node().error();
  auto c = connect(n.port());
  auto field = [](const redisReply* r, const std::string& name) -> const redisReply* {
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
      if (name == std::string(r->element[i]->str, r->element[i]->len)) return r->element[i + 1];
    }
    return nullptr;
  };
  auto r = command(c.get(), {"DRL.CHECK", "api", "user:9", "2"});
  ASSERT_TRUE(field(r.get(), "allowed")) << (r ? r->type : -1);
  EXPECT_EQ(field(r.get(), "allowed")->integer, 1);
  EXPECT_EQ(field(r.get(), "limit")->integer, 2);
  EXPECT_EQ(field(r.get(), "remaining")->integer, 0);
  EXPECT_EQ(std::string(field(r.get(), "code")->str), "OK");
  r = command(c.get(), {"DRL.CHECK", "api", "user:9"});
  EXPECT_EQ(field(r.get(), "allowed")->integer, 0);
  EXPECT_GT(field(r.get(), "retry_after_ms")->integer, 0);
  EXPECT_FALSE(std::string(field(r.get(), "message")->str).empty());
  r = command(c.get(), {"DRL.CHECK", "nope", "user:9"});
  EXPECT_EQ(std::string(field(r.get(), "code")->str), "UNKNOWN_POLICY");
  std::remove(policies.c_str());
}

TEST(Resp, PingInfoUnknownAndQuit) {
  RespNode n;
  ASSERT_NE(n.port(), 0) << n.node().error();
  auto c = connect(n.port());
  auto r = command(c.get(), {"PING"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, REDIS_REPLY_STATUS);
  EXPECT_EQ(std::string(r->str), "PONG");
  r = command(c.get(), {"PING", "hello"});
  EXPECT_EQ(std::string(r->str, r->len), "hello");
  r = command(c.get(), {"INFO"});
  ASSERT_EQ(r->type, REDIS_REPLY_STRING);
  const std::string info(r->str, r->len);
  EXPECT_NE(info.find("# Server"), std::string::npos) << info;
  EXPECT_NE(info.find("node_id:127.0.0.1:" + std::to_string(n.node().port())), std::string::npos);
  EXPECT_NE(info.find("# Cluster"), std::string::npos);
  r = command(c.get(), {"NOSUCH", "a"});
  ASSERT_EQ(r->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(std::string(r->str).rfind("ERR unknown command 'NOSUCH'", 0), 0u) << r->str;
  r = command(c.get(), {"QUIT"});
  ASSERT_TRUE(r);
  EXPECT_EQ(std::string(r->str), "OK");
  EXPECT_EQ(command(c.get(), {"PING"}), nullptr);  // the node closed the connection
}

TEST(Resp, PipelinedRepliesComeBackInOrder) {
  // About order, not shedding: on a sanitizer build a 200-deep pipeline can overload the node.
  RespNode n({"--queue-target-ms", "60000"});
  ASSERT_NE(n.port(), 0) << n.node().error();
  auto c = connect(n.port());
  constexpr int kDepth = 200;
  for (int i = 0; i < kDepth; ++i) {
    if (i % 3 == 0) {
      redisAppendCommand(c.get(), "PING %d", i);
    } else {
      redisAppendCommand(c.get(), "CL.THROTTLE pipe 99 1 60");
    }
  }
  int remaining = 99;
  for (int i = 0; i < kDepth; ++i) {
    void* raw = nullptr;
    ASSERT_EQ(redisGetReply(c.get(), &raw), REDIS_OK);
    Reply r(static_cast<redisReply*>(raw));
    if (i % 3 == 0) {
      ASSERT_EQ(r->type, REDIS_REPLY_STRING);
      EXPECT_EQ(std::string(r->str), std::to_string(i));
    } else {
      const auto got = integers(r.get());
      ASSERT_EQ(got.size(), 5u);
      if (remaining >= 0) {
        EXPECT_EQ(got[0], 0) << i;
        EXPECT_EQ(got[2], remaining) << i;
        --remaining;
      } else {
        EXPECT_EQ(got[0], 1) << i;
      }
    }
  }
}

TEST(Resp, ProtocolErrorIsReportedThenTheConnectionCloses) {
  RespNode n;
  ASSERT_NE(n.port(), 0) << n.node().error();
  // hiredis only writes well-formed commands: send raw bytes on its socket.
  auto c = connect(n.port());
  const std::string bad = "PING\r\n*1\r\n$99999999\r\n";
  ASSERT_EQ(::write(c->fd, bad.data(), bad.size()), static_cast<ssize_t>(bad.size()));
  std::string got;
  char buf[256];
  ssize_t k;
  while ((k = ::read(c->fd, buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(k));
  EXPECT_EQ(got, "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n");  // then EOF
  auto other = connect(n.port());  // the node still serves others
  auto r = command(other.get(), {"PING"});
  ASSERT_TRUE(r);
  EXPECT_EQ(std::string(r->str), "PONG");
}

TEST(Resp, RedisCliSpeaksToTheNode) {
  RespNode n;
  ASSERT_NE(n.port(), 0) << n.node().error();
  const std::string cli = "timeout 20 redis-cli -p " + std::to_string(n.port()) + " ";
  EXPECT_EQ(shell(cli + "PING"), "PONG\n");
  EXPECT_EQ(shell(cli + "CL.THROTTLE cli-key 15 30 60"), "0\n16\n15\n-1\n2\n");
  EXPECT_NE(shell(cli + "INFO").find("node_id:"), std::string::npos);
  EXPECT_NE(shell(cli + "FOO 2>&1").find("unknown command"), std::string::npos);
}

// What client libraries send on connect and in pools, through redis-cli and redis-py.
TEST(Resp, RedisCliConnectionCommandsAsRedisAnswersThem) {
  RespNode n;
  ASSERT_NE(n.port(), 0) << n.node().error();
  const std::string cli = "timeout 20 redis-cli -p " + std::to_string(n.port()) + " ";
  // One redis-cli connection: the name sticks to it.
  EXPECT_EQ(shell("printf 'CLIENT SETNAME job-7\\nCLIENT GETNAME\\nSELECT 0\\n' | " + cli),
            "OK\njob-7\nOK\n");
  const auto hello = shell(cli + "HELLO 2");
  EXPECT_NE(hello.find("proto\n2\n"), std::string::npos) << hello;
  EXPECT_EQ(shell(cli + "HELLO 3 2>&1").rfind("NOPROTO unsupported protocol version\n", 0), 0u);
  EXPECT_NE(shell(cli + "-n 1 PING 2>&1").find("DB index is out of range"), std::string::npos);
  EXPECT_EQ(shell(cli + "-n 0 PING"), "PONG\n");
  EXPECT_NE(shell(cli + "INFO server").find("redis_version:7.2.0"), std::string::npos);
  EXPECT_NE(shell(cli + "CLIENT INFO").find(" db=0 "), std::string::npos);
}

TEST(Resp, RedisPyPoolWorksUnchanged) {
  RespNode n;
  ASSERT_NE(n.port(), 0) << n.node().error();
  const std::string script =
      std::string(DRL_SOURCE_DIR) + "/tests/integration/support/redis_py_client.py";
  EXPECT_EQ(
      shell("timeout 60 /usr/bin/python3 " + script + " " + std::to_string(n.port()) + " 2>&1"),
      "ok\n");
}

TEST(Resp, RedisBenchmarkPipelinedHasNoErrors) {
  RespNode n;
  ASSERT_NE(n.port(), 0) << n.node().error();
  const std::string bench =
      "timeout 60 redis-benchmark -p " + std::to_string(n.port()) + " -c 4 -P 16 -n 20000 -q ";
  const std::string ping = shell(bench + "PING 2>&1");
  EXPECT_NE(ping.find("requests per second"), std::string::npos) << ping;
  EXPECT_EQ(ping.find("rror"), std::string::npos) << ping;
  auto c = connect(n.port());
  const long long before = info_checks(c.get());
  const std::string throttle = shell(bench + "CL.THROTTLE 'bench:__rand_int__' 100 100 60 2>&1");
  EXPECT_NE(throttle.find("requests per second"), std::string::npos) << throttle;
  EXPECT_EQ(throttle.find("rror"), std::string::npos) << throttle;
  // Every one of the 20000 commands reached the decider (none was refused or lost); the
  // benchmark's last pipeline may send a few more.
  EXPECT_GE(info_checks(c.get()) - before, 20000);
}

TEST(Resp, PastCapacityChecksAreDecidedOrShedOverloadedAndOthersKeepService) {
  // 2 ms of deciding per admitted batch on the connection's I/O thread, deadline 50 ms after the
  // bytes were read: of 200 batches read at once, at most ~25 can be decided in time.
  RespNode n(
      {"--enable-test-hooks", "--test-decide-delay-us", "2000", "--default-timeout-ms", "50"});
  ASSERT_NE(n.port(), 0) << n.node().error();
  auto c = connect(n.port());
  // A PING after each check ends the batch, so each check is its own admission.
  constexpr int kChecks = 200;
  for (int i = 0; i < kChecks; ++i) {
    const std::string key = "flood:" + std::to_string(i);
    redisAppendCommand(c.get(), "CL.THROTTLE %s 100 100 60", key.c_str());
    redisAppendCommand(c.get(), "PING");
  }
  int decided = 0, shed = 0;
  std::string other;
  for (int i = 0; i < 2 * kChecks; ++i) {
    void* raw = nullptr;
    ASSERT_EQ(redisGetReply(c.get(), &raw), REDIS_OK) << c->errstr;
    Reply r(static_cast<redisReply*>(raw));
    if (i % 2 == 1) {
      ASSERT_EQ(r->type, REDIS_REPLY_STATUS) << i;
      EXPECT_EQ(std::string(r->str), "PONG");
    } else if (r->type == REDIS_REPLY_ARRAY && integers(r.get()).size() == 5) {
      ++decided;
    } else if (r->type == REDIS_REPLY_ERROR && std::string(r->str).rfind("OVERLOADED ", 0) == 0 &&
               std::string(r->str).find("retry_after_ms") != std::string::npos) {
      ++shed;
    } else {
      other = r->type == REDIS_REPLY_ERROR ? std::string(r->str)
                                           : "reply type " + std::to_string(r->type);
    }
  }
  EXPECT_TRUE(other.empty()) << other;
  EXPECT_GT(shed, 0) << "200 x 2 ms of work behind a 50 ms deadline: most must be shed";
  EXPECT_GT(decided, 0);
  // Another connection is decided again once the flood is gone (it retries while the node
  // still reports a standing queue).
  auto good = connect(n.port());
  EXPECT_TRUE(testing::eventually(
      [&] {
        auto r = command(good.get(), {"CL.THROTTLE", "good", "100", "100", "60"});
        return r && integers(r.get()).size() == 5;
      },
      std::chrono::seconds(30)));
  EXPECT_TRUE(n.node().alive());
}

// Checks that arrive through the Redis door are routed like native ones: three joined nodes,
// each asked in turn for the same key, admit exactly the limit between them, and DRL.CHECK
// on every node names the same decider (the key's owner).
TEST(Resp, ChecksThroughEveryNodeOfAClusterShareOneBudget) {
  const std::string policies = std::string(::testing::TempDir()) + "drl-resp-cluster-" +
                               std::to_string(::getpid()) + ".yaml";
  std::ofstream(policies) << "policies:\n  api:\n    limit: 1000\n    window: 1h\n";
  std::vector<std::unique_ptr<RespNode>> nodes;
  // About exactness, not the machine's speed: RESP requests carry no deadline, so give them
  // (and the forwards) room on a starved CI machine or under a sanitizer.
  const std::vector<std::string> patient{"--default-timeout-ms", "5000", "--failover-timeout-ms",
                                         "3000"};
  const auto args = [&](std::vector<std::string> a) {
    a.insert(a.end(), patient.begin(), patient.end());
    return a;
  };
  nodes.push_back(std::make_unique<RespNode>(args({"--id", "n1", "--policies", policies})));
  ASSERT_NE(nodes[0]->port(), 0) << nodes[0]->node().error();
  const std::string seed = nodes[0]->node().address();
  for (const char* id : {"n2", "n3"}) {
    nodes.push_back(
        std::make_unique<RespNode>(args({"--id", id, "--join", seed, "--policies", policies})));
    ASSERT_NE(nodes.back()->port(), 0) << nodes.back()->node().error();
  }
  std::vector<std::string> addresses;
  for (auto& n : nodes) addresses.push_back(n->node().address());
  ASSERT_TRUE(testing::eventually(
      [&] {
        for (const auto& a : addresses) {
          const auto states = testing::member_states(a);
          if (states.size() != 3) return false;
          for (const auto& [id, state] : states) {
            if (state != "alive") return false;
          }
        }
        return testing::same_ring(addresses);
      },
      std::chrono::seconds(30)))
      << "the three nodes never agreed on one ring";

  std::vector<Context> clients;
  for (auto& n : nodes) clients.push_back(connect(n->port()));
  // max_burst 9: a budget of 10 per hour, so nothing refills during the test.
  int allowed = 0;
  for (int i = 0; i < 30; ++i) {
    auto r = command(clients[i % 3].get(), {"CL.THROTTLE", "resp:cluster:key", "9", "10", "3600"});
    const auto v = integers(r.get());
    ASSERT_EQ(v.size(), 5u) << "reply " << i;
    if (v[0] == 0) ++allowed;
  }
  EXPECT_EQ(allowed, 10);

  auto text = [](const redisReply* r, const std::string& name) -> std::string {
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2) {
      if (name != std::string(r->element[i]->str, r->element[i]->len)) continue;
      const redisReply* v = r->element[i + 1];
      return v->type == REDIS_REPLY_STRING || v->type == REDIS_REPLY_STATUS
                 ? std::string(v->str, v->len)
                 : std::to_string(v->integer);
    }
    return "";
  };
  std::vector<std::string> deciders;
  for (auto& c : clients) {
    auto r = command(c.get(), {"DRL.CHECK", "api", "resp:cluster:policy-key"});
    EXPECT_EQ(text(r.get(), "code"), "OK");
    deciders.push_back(text(r.get(), "decided_by"));
  }
  EXPECT_FALSE(deciders[0].empty());
  EXPECT_EQ(deciders[0], deciders[1]);
  EXPECT_EQ(deciders[0], deciders[2]);
  std::remove(policies.c_str());
}

}  // namespace
}  // namespace drl
