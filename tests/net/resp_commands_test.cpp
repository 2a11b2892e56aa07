// RESP command semantics: CL.THROTTLE reproduces redis-cell's replies (its own table of
// cases, replayed through our token bucket), DRL.CHECK, PING, INFO and the error replies.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "limits/algorithm.h"
#include "net/resp_commands.h"
#include "net/resp_encoder.h"

namespace drl::net {
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
  return plan_resp_command(args, out);
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
      {3000, 1, 0, 2, -1, 3}, {3100, 1, 0, 1, -1, 3},  // reset 3.9 s truncates to 3
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
    EXPECT_EQ(plan_resp_command(args, out).verb, RespVerb::kReplied);
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
    EXPECT_EQ(plan_resp_command(args, out).verb, RespVerb::kReplied);
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
}  // namespace drl::net
