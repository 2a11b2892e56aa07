// RESP command semantics: CL.THROTTLE reproduces redis-cell's replies (its own table of
// cases, replayed through our token bucket), DRL.CHECK, PING, INFO and the error replies.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "limits/algorithm.h"
#include "service/resp_commands.h"
#include "service/resp_encoder.h"

namespace drl::service {
namespace {

std::string throttle_reply(int limited, int64_t limit, int64_t remaining, int64_t retry,
                           int64_t reset) {
  std::string out = "*5\r\n";
  for (int64_t v : {int64_t{limited}, limit, remaining, retry, reset}) {
    out += ":" + std::to_string(v) + "\r\n";
  }
  return out;
}

RespPlan plan(std::vector<std::string_view> args, std::string& out) {
  RespConnection conn;
  return plan_resp_command(args, conn, out);
}

TEST(RespThrottle, MapsOntoTheTokenBucket) {
  std::string out;
  const auto p = plan({"cl.throttle", "user:1", "15", "30", "60", "2"}, out);
  ASSERT_EQ(p.verb, RespVerb::kThrottle) << out;
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(p.call.key, "user:1");
  EXPECT_TRUE(p.call.has_inline);
  EXPECT_EQ(p.call.limit.algorithm, limits::Algorithm::kTokenBucket);
  EXPECT_EQ(p.call.limit.limit, 30u);
  EXPECT_EQ(p.call.limit.window, 60 * kSecond);
  EXPECT_EQ(p.call.limit.burst, 16u);  // max_burst + 1
  EXPECT_EQ(p.call.request.cost, 2u);
  EXPECT_EQ(plan({"CL.THROTTLE", "k", "0", "1", "1"}, out).call.request.cost, 1u);
}

// redis-cell's own test table (max_burst 4, 1 per second, so limit 5): each row is
// (ms after start, quantity, limited, remaining, retry_after s, reset_after s).
TEST(RespThrottle, ReproducesRedisCellTable) {
  struct Row {
    int64_t at_ms;
    int64_t quantity;
    int limited;
    int64_t remaining, retry, reset;
  };
  const Row rows[] = {
      {0, 6, 1, 5, -1, 0},  // larger than the bucket: never, nothing consumed
      {0, 1, 0, 4, -1, 1},    {0, 1, 0, 3, -1, 2},    {0, 1, 0, 2, -1, 3},
      {0, 1, 0, 1, -1, 4},    {0, 1, 0, 0, -1, 5},    {0, 1, 1, 0, 1, 5},
      {3000, 1, 0, 2, -1, 3}, {3100, 1, 0, 1, -1, 4},  // reset 3.9 s rounds up to 4
      {4000, 1, 0, 1, -1, 4}, {8000, 1, 0, 4, -1, 1}, {9500, 1, 0, 4, -1, 1},
      {9500, 0, 0, 4, -1, 1},  // quantity 0 peeks
      {9500, 2, 0, 2, -1, 3}, {9500, 5, 1, 2, 3, 3},
  };
  const TimePoint start = 1'700'000'000 * kSecond + 123'456'789;
  limits::State state{};
  for (size_t i = 0; i < std::size(rows); ++i) {
    const auto& row = rows[i];
    std::string out;
    const auto q = std::to_string(row.quantity);
    const auto p = plan({"CL.THROTTLE", "foo", "4", "1", "1", q}, out);
    ASSERT_EQ(p.verb, RespVerb::kThrottle);
    const TimePoint now = start + row.at_ms * kMillisecond;
    CheckOutcome outcome;
    outcome.decision = limits::decide(p.call.limit, state, nullptr, p.call.request, now);
    append_throttle_reply(out, outcome, now);
    EXPECT_EQ(out, throttle_reply(row.limited, 5, row.remaining, row.retry, row.reset))
        << "row " << i;
  }
}

// Replays CL.THROTTLE `args` at each (ms after start, quantity) and returns the replies.
struct Step {
  double at_ms;
  int64_t quantity;
};
std::vector<std::string> replay(std::vector<std::string_view> args, std::vector<Step> steps) {
  const TimePoint start = 1'700'000'000 * kSecond + 987'654'321;
  limits::State state{};
  std::vector<std::string> replies;
  for (const auto& step : steps) {
    std::string out;
    const auto q = std::to_string(step.quantity);
    args.resize(5);
    args.push_back(q);
    const auto p = plan(args, out);
    EXPECT_EQ(p.verb, RespVerb::kThrottle) << out;
    const TimePoint now = start + static_cast<Nanos>(step.at_ms * 1e6);
    CheckOutcome outcome;
    outcome.decision = limits::decide(p.call.limit, state, nullptr, p.call.request, now);
    append_throttle_reply(out, outcome, now);
    replies.push_back(out);
  }
  return replies;
}

// retry_after as redis-cell's lib.rs computes it: the whole seconds, plus one when the
// fraction has a millisecond in it. 1 per 3 s, no burst: after one call the next may come
// 3 s later; asked at 1.4 s and 1.6 s (either side of the half second) both say 2.
TEST(RespThrottle, RetryAfterRoundsUpWhole) {
  const auto r = replay({"CL.THROTTLE", "k", "0", "1", "3"},
                        {{0, 1}, {1400, 1}, {1600, 1}, {2000, 1}, {2999, 1}, {2999.9995, 1}});
  EXPECT_EQ(r[0], throttle_reply(0, 1, 0, -1, 3));
  EXPECT_EQ(r[1], throttle_reply(1, 1, 0, 2, 2));  // 1.6 s left: truncation said 1
  EXPECT_EQ(r[2], throttle_reply(1, 1, 0, 2, 2));  // 1.4 s left: rounding to nearest says 1
  EXPECT_EQ(r[3], throttle_reply(1, 1, 0, 1, 1));  // exactly 1 s stays 1
  EXPECT_EQ(r[4], throttle_reply(1, 1, 0, 1, 1));  // 1 ms: truncation said 0, retry at once
  EXPECT_EQ(r[5], throttle_reply(1, 1, 0, 0, 0));  // 0.5 us: below redis-cell's 1 ms, 0
}

// reset_after the same way, with fractional emission intervals: 2 per 3 s (1.5 s each) and
// 3 per 2 s (2/3 s each), stepping peeks (quantity 0) across the half second.
TEST(RespThrottle, ResetAfterRoundsUpWhole) {
  const auto r = replay({"CL.THROTTLE", "k", "1", "2", "3"},
                        {{0, 1}, {400, 0}, {500, 0}, {600, 0}, {1499, 0}, {1499.9995, 0}});
  EXPECT_EQ(r[0], throttle_reply(0, 2, 1, -1, 2));  // 1.5 s
  EXPECT_EQ(r[1], throttle_reply(0, 2, 1, -1, 2));  // 1.1 s
  EXPECT_EQ(r[2], throttle_reply(0, 2, 1, -1, 1));  // exactly 1 s
  EXPECT_EQ(r[3], throttle_reply(0, 2, 1, -1, 1));  // 0.9 s: truncation said 0
  EXPECT_EQ(r[4], throttle_reply(0, 2, 1, -1, 1));  // 1 ms
  EXPECT_EQ(r[5], throttle_reply(0, 2, 1, -1, 0));  // 0.5 us
  const auto t = replay({"CL.THROTTLE", "k", "2", "3", "2"}, {{0, 1}, {0, 1}, {0, 1}, {0, 1}});
  EXPECT_EQ(t[0], throttle_reply(0, 3, 2, -1, 1));  // 0.667 s
  EXPECT_EQ(t[1], throttle_reply(0, 3, 1, -1, 2));  // 1.333 s
  EXPECT_EQ(t[2], throttle_reply(0, 3, 0, -1, 2));  // 2 s
  EXPECT_EQ(t[3], throttle_reply(1, 3, 0, 1, 2));   // retry 0.667 s
}

// The case: 2 per second, no burst. Truncation answered "retry after 0 s".
TEST(RespThrottle, SubSecondPeriodNeverSaysRetryAtOnce) {
  const auto r = replay({"CL.THROTTLE", "fast:1", "0", "2", "1"}, {{0, 1}, {1, 1}, {2, 1}});
  EXPECT_EQ(r[0], throttle_reply(0, 1, 0, -1, 1));
  EXPECT_EQ(r[1], throttle_reply(1, 1, 0, 1, 1));
  EXPECT_EQ(r[2], throttle_reply(1, 1, 0, 1, 1));
}

// README: `CL.THROTTLE user:7 2 10 60` four times from redis-cli, a few ms apart.
TEST(RespThrottle, ReadmeRedisCliExample) {
  const auto r =
      replay({"CL.THROTTLE", "user:7", "2", "10", "60"}, {{0, 1}, {3, 1}, {6, 1}, {9, 1}});
  EXPECT_EQ(r[0], throttle_reply(0, 3, 2, -1, 6));
  EXPECT_EQ(r[1], throttle_reply(0, 3, 1, -1, 12));
  EXPECT_EQ(r[2], throttle_reply(0, 3, 0, -1, 18));
  EXPECT_EQ(r[3], throttle_reply(1, 3, 0, 6, 18));
}

TEST(RespThrottle, ReadmeExample) {
  // max_burst 15, 30 per 60 s: the first call leaves 15 of 16 and the key resets in 2 s.
  std::string out;
  const auto p = plan({"CL.THROTTLE", "user123", "15", "30", "60"}, out);
  limits::State state{};
  const TimePoint now = 1'700'000'000 * kSecond;
  CheckOutcome o;
  o.decision = limits::decide(p.call.limit, state, nullptr, p.call.request, now);
  append_throttle_reply(out, o, now);
  EXPECT_EQ(out, throttle_reply(0, 16, 15, -1, 2));
}

TEST(RespThrottle, InvalidArgumentsAreErrors) {
  const std::vector<std::vector<std::string_view>> bad = {
      {"CL.THROTTLE", "k", "1", "2"},                 // too few
      {"CL.THROTTLE", "k", "1", "2", "3", "4", "5"},  // too many
      {"CL.THROTTLE", "k", "x", "2", "3"},            // not integers
      {"CL.THROTTLE", "k", "1", "2.5", "3"},
      {"CL.THROTTLE", "k", "1", "2", "3", "99999999999999999999"},
      {"CL.THROTTLE", "k", "-1", "2", "3"},  // negative burst
      {"CL.THROTTLE", "k", "1", "0", "3"},   // zero rate
      {"CL.THROTTLE", "k", "1", "2", "0"},   // zero period
      {"CL.THROTTLE", "k", "1", "2", "3", "-1"},
      {"CL.THROTTLE", "k", "1", "2", "999999999999"},  // period beyond ten years
  };
  for (const auto& args : bad) {
    std::string out;
    EXPECT_EQ(plan(args, out).verb, RespVerb::kReplied);
    EXPECT_EQ(out.substr(0, 5), "-ERR ") << out;
  }
}

TEST(RespThrottle, RefusedOutcomeIsAnErrorReply) {
  CheckOutcome o;
  o.code = CheckCode::kInvalidLimit;
  o.message = "invalid limit: burst x window / limit is above ten years";
  std::string out;
  append_throttle_reply(out, o, 0);
  EXPECT_EQ(out, "-ERR invalid limit: burst x window / limit is above ten years\r\n");
}

TEST(RespCheck, PlansAPolicyCheckAndRepliesWithNativeFields) {
  std::string out;
  auto p = plan({"drl.check", "api", "user:7", "3"}, out);
  ASSERT_EQ(p.verb, RespVerb::kCheck) << out;
  EXPECT_EQ(p.call.policy, "api");
  EXPECT_EQ(p.call.key, "user:7");
  EXPECT_FALSE(p.call.has_inline);
  EXPECT_EQ(p.call.request.cost, 3u);
  CheckOutcome o;
  o.decision.allowed = false;
  o.decision.limit = 10;
  o.decision.remaining = 0;
  o.decision.reset_at = 5 * kSecond + 1;
  o.decision.retry_after = 1500 * kMillisecond;
  o.message = "denied";
  append_check_reply(out, o, "n1");
  const std::string expected =
      "*22\r\n$7\r\nallowed\r\n:0\r\n$5\r\nlimit\r\n:10\r\n$9\r\nremaining\r\n:0\r\n"
      "$11\r\nreset_at_ms\r\n:5000\r\n$14\r\nretry_after_ms\r\n:1500\r\n$8\r\ndelay_ms\r\n:0\r\n"
      "$13\r\nshadow_denied\r\n:0\r\n$8\r\ndegraded\r\n:0\r\n$4\r\ncode\r\n$2\r\nOK\r\n"
      "$7\r\nmessage\r\n$6\r\ndenied\r\n$10\r\ndecided_by\r\n$2\r\nn1\r\n";
  EXPECT_EQ(out, expected);
  for (auto args : std::vector<std::vector<std::string_view>>{
           {"DRL.CHECK", "api"}, {"DRL.CHECK", "api", "k", "-1"}, {"DRL.CHECK", "api", "", "1"}}) {
    out.clear();
    EXPECT_EQ(plan(args, out).verb, RespVerb::kReplied);
    EXPECT_EQ(out.substr(0, 5), "-ERR ") << out;
  }
}

TEST(RespCommands, PingEchoQuitCommandAndUnknown) {
  std::string out;
  plan({"PING"}, out);
  EXPECT_EQ(out, "+PONG\r\n");
  out.clear();
  plan({"ping", "hi there"}, out);
  EXPECT_EQ(out, "$8\r\nhi there\r\n");
  out.clear();
  EXPECT_EQ(plan({"QUIT"}, out).verb, RespVerb::kQuit);
  EXPECT_EQ(out, "+OK\r\n");
  out.clear();
  plan({"COMMAND", "DOCS"}, out);
  EXPECT_EQ(out, "*0\r\n");
  out.clear();
  plan({"FLUSHALL", "a\r\nb"}, out);
  EXPECT_EQ(out, "-ERR unknown command 'FLUSHALL', with args beginning with: 'a??b'\r\n");
  out.clear();
  EXPECT_EQ(plan({"info", "server"}, out).section, "server");
}

TEST(RespCommands, InfoRendersStatusFieldsBySection) {
  wire::StatusResponse s;
  s.set_node_id("n1");
  s.set_version("0.1.0");
  s.set_connections(3);
  s.set_checks(42);
  s.add_policies("a");
  s.add_policies("b");
  std::string out;
  append_info(out, s, "");
  EXPECT_NE(out.find("# Server\r\n"), std::string::npos);
  EXPECT_NE(out.find("node_id:n1\r\n"), std::string::npos);
  EXPECT_NE(out.find("# Clients\r\nconnections:3\r\n"), std::string::npos);
  EXPECT_NE(out.find("checks:42\r\n"), std::string::npos);
  EXPECT_NE(out.find("policies:a,b\r\n"), std::string::npos);
  EXPECT_NE(out.find("# Cluster\r\ncluster_enabled:0\r\n"), std::string::npos);
  out.clear();
  append_info(out, s, "clients");
  EXPECT_EQ(out.find("# Server"), std::string::npos);
  EXPECT_NE(out.find("connections:3"), std::string::npos);
}

}  // namespace
}  // namespace drl::service

namespace drl::service {
namespace {

std::string planned(RespConnection& conn, std::vector<std::string_view> args) {
  std::string out;
  EXPECT_EQ(plan_resp_command(args, conn, out).verb, RespVerb::kReplied);
  return out;
}

// What Redis client libraries send on connect and in pools, with Redis's own reply texts.
TEST(RespConnectionCommands, HelloSpeaksResp2AndRefusesResp3AsRedisDoes) {
  RespConnection conn;
  conn.id = 7;
  const std::string hello2 =
      "*14\r\n$6\r\nserver\r\n$3\r\ndrl\r\n$7\r\nversion\r\n$5\r\n7.2.0\r\n$5\r\nproto\r\n:2\r\n"
      "$2\r\nid\r\n:7\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
      "$7\r\nmodules\r\n*0\r\n";
  EXPECT_EQ(planned(conn, {"HELLO"}), hello2);
  EXPECT_EQ(planned(conn, {"hello", "2"}), hello2);
  EXPECT_EQ(planned(conn, {"HELLO", "3"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(planned(conn, {"HELLO", "x"}),
            "-ERR Protocol version is not an integer or out of range\r\n");
  EXPECT_EQ(planned(conn, {"HELLO", "2", "AUTH", "u"}),
            "-ERR Syntax error in HELLO option 'AUTH'\r\n");
  EXPECT_EQ(planned(conn, {"HELLO", "2", "AUTH", "default", "tok", "SETNAME", "pool-1"}), hello2);
  EXPECT_EQ(conn.name, "pool-1");
}

TEST(RespConnectionCommands, ClientNamesIdsAndInfo) {
  RespConnection conn;
  conn.id = 12;
  conn.address = "127.0.0.1:5000";
  conn.local = "127.0.0.1:6379";
  conn.age_seconds = 3;
  EXPECT_EQ(planned(conn, {"CLIENT", "ID"}), ":12\r\n");
  EXPECT_EQ(planned(conn, {"client", "getname"}), "$-1\r\n");
  EXPECT_EQ(planned(conn, {"CLIENT", "SETNAME", "worker-3"}), "+OK\r\n");
  EXPECT_EQ(planned(conn, {"CLIENT", "GETNAME"}), "$8\r\nworker-3\r\n");
  EXPECT_EQ(planned(conn, {"CLIENT", "SETNAME", "a b"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(conn.name, "worker-3");
  EXPECT_EQ(planned(conn, {"CLIENT", "SETINFO", "LIB-NAME", "redis-py"}), "+OK\r\n");
  EXPECT_EQ(planned(conn, {"CLIENT", "SETINFO", "lib-ver", "4.3.4"}), "+OK\r\n");
  EXPECT_EQ(planned(conn, {"CLIENT", "SETINFO", "colour", "x"}),
            "-ERR Unrecognized option 'colour'\r\n");
  const auto info = planned(conn, {"CLIENT", "INFO"});
  EXPECT_NE(info.find("id=12 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=-1 name=worker-3 age=3 "),
            std::string::npos)
      << info;
  EXPECT_NE(info.find(" db=0 "), std::string::npos);
  EXPECT_NE(info.find("lib-name=redis-py lib-ver=4.3.4\n\r\n"), std::string::npos) << info;
  EXPECT_EQ(planned(conn, {"CLIENT", "SETNAME"}),
            "-ERR wrong number of arguments for 'client|setname' command\r\n");
  EXPECT_EQ(planned(conn, {"CLIENT", "KILL", "x"}),
            "-ERR unknown subcommand 'KILL'. Try CLIENT HELP.\r\n");
  EXPECT_EQ(planned(conn, {"CLIENT"}), "-ERR wrong number of arguments for 'client' command\r\n");
  EXPECT_EQ(planned(conn, {"CLIENT", "SETNAME", ""}), "+OK\r\n");  // clears it, as in Redis
  EXPECT_EQ(planned(conn, {"CLIENT", "GETNAME"}), "$-1\r\n");
}

TEST(RespConnectionCommands, SelectZeroOnlyAndInfoNamesARedisVersion) {
  RespConnection conn;
  EXPECT_EQ(planned(conn, {"SELECT", "0"}), "+OK\r\n");
  EXPECT_EQ(planned(conn, {"SELECT", "1"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(planned(conn, {"SELECT", "x"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(planned(conn, {"SELECT"}), "-ERR wrong number of arguments for 'select' command\r\n");
  std::string out;
  append_info(out, wire::StatusResponse{}, "server");
  EXPECT_NE(out.find("# Server\r\nredis_version:7.2.0\r\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace drl::service
