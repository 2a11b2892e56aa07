// RESP2 request parsing: whole, partial (every prefix), pipelined, and hostile input.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "service/resp_parser.h"

namespace drl::service {
namespace {

using Args = std::vector<std::string_view>;

std::vector<std::string> strings(const Args& args) { return {args.begin(), args.end()}; }

TEST(RespParser, MultibulkCommand) {
  const std::string in = "*3\r\n$4\r\nPING\r\n$0\r\n\r\n$5\r\na\r\nb!\r\n";
  Args args;
  const auto r = parse_resp_command(in, args);
  ASSERT_EQ(r.status, RespParseStatus::kCommand);
  EXPECT_EQ(r.consumed, in.size());
  EXPECT_EQ(strings(args), (std::vector<std::string>{"PING", "", "a\r\nb!"}));
}

TEST(RespParser, InlineCommandSplitsOnSpacesAndAcceptsBareNewline) {
  Args args;
  auto r = parse_resp_command("  CL.THROTTLE  k 1\t2 3\r\n", args);
  ASSERT_EQ(r.status, RespParseStatus::kCommand);
  EXPECT_EQ(strings(args), (std::vector<std::string>{"CL.THROTTLE", "k", "1", "2", "3"}));
  r = parse_resp_command("PING\nrest", args);
  ASSERT_EQ(r.status, RespParseStatus::kCommand);
  EXPECT_EQ(r.consumed, 5u);
  EXPECT_EQ(strings(args), (std::vector<std::string>{"PING"}));
}

TEST(RespParser, EmptyCommandsAreConsumedWithNoArguments) {
  Args args;
  for (std::string in : {"\r\n", "*0\r\n", "*-1\r\n", "   \n"}) {
    const auto r = parse_resp_command(in, args);
    ASSERT_EQ(r.status, RespParseStatus::kCommand) << in;
    EXPECT_EQ(r.consumed, in.size()) << in;
    EXPECT_TRUE(args.empty()) << in;
  }
}

TEST(RespParser, EveryPrefixNeedsMoreUntilTheLastByte) {
  const std::string in =
      "*5\r\n$11\r\nCL.THROTTLE\r\n$3\r\nkey\r\n$2\r\n15\r\n$2\r\n30\r\n$2\r\n60\r\n";
  Args args;
  for (size_t n = 0; n < in.size(); ++n) {
    const auto r = parse_resp_command(std::string_view(in).substr(0, n), args);
    EXPECT_EQ(r.status, RespParseStatus::kNeedMore) << "prefix of " << n << " bytes";
  }
  const auto r = parse_resp_command(in, args);
  ASSERT_EQ(r.status, RespParseStatus::kCommand);
  EXPECT_EQ(strings(args), (std::vector<std::string>{"CL.THROTTLE", "key", "15", "30", "60"}));
}

TEST(RespParser, InlinePrefixesNeedMore) {
  const std::string in = "PING hello\r\n";
  Args args;
  for (size_t n = 0; n + 1 < in.size(); ++n) {
    EXPECT_EQ(parse_resp_command(std::string_view(in).substr(0, n), args).status,
              RespParseStatus::kNeedMore)
        << n;
  }
}

TEST(RespParser, PipelinedCommandsParseOneAfterAnother) {
  std::string in;
  for (int i = 0; i < 16; ++i)
    in += "*2\r\n$4\r\nPING\r\n$" + std::to_string(std::to_string(i).size()) + "\r\n" +
          std::to_string(i) + "\r\n";
  in += "PING\r\n*1\r\n$4\r\nPI";  // an inline one, then half of a multibulk
  Args args;
  size_t offset = 0;
  for (int i = 0; i < 17; ++i) {
    const auto r = parse_resp_command(std::string_view(in).substr(offset), args);
    ASSERT_EQ(r.status, RespParseStatus::kCommand) << i;
    offset += r.consumed;
    if (i < 16) {
      EXPECT_EQ(strings(args), (std::vector<std::string>{"PING", std::to_string(i)}));
    }
  }
  EXPECT_EQ(parse_resp_command(std::string_view(in).substr(offset), args).status,
            RespParseStatus::kNeedMore);
}

TEST(RespParser, BadInputIsAnErrorWithAReason) {
  const std::vector<std::string> bad = {
      "*abc\r\n",                        // count not a number
      "*1025\r\n",                       // more arguments than allowed
      "*+1\r\n",                         // sign not allowed
      "*1\r\n+PING\r\n",                 // not a bulk
      "*1\r\n$-1\r\n",                   // null bulk as an argument
      "*1\r\n$x\r\n",                    // bulk length not a number
      "*1\r\n$524289\r\n",               // bulk above 512 KiB
      "*1\r\n$4\r\nPINGxx",              // no CRLF after the bulk
      "*" + std::string(40, '1'),        // count line without end
      "*1\r\n$" + std::string(40, '9'),  // length line without end
      std::string(64 * 1024 + 1, 'A'),   // inline line without end
  };
  Args args;
  for (const auto& in : bad) {
    const auto r = parse_resp_command(in, args);
    EXPECT_EQ(r.status, RespParseStatus::kError) << in.substr(0, 60);
    EXPECT_FALSE(r.error.empty());
  }
}

TEST(RespParser, LimitsAreConfigurable) {
  RespLimits limits;
  limits.max_args = 2;
  limits.max_bulk_bytes = 3;
  Args args;
  EXPECT_EQ(parse_resp_command("*3\r\n", args, limits).status, RespParseStatus::kError);
  EXPECT_EQ(parse_resp_command("*1\r\n$4\r\n", args, limits).status, RespParseStatus::kError);
  EXPECT_EQ(parse_resp_command("*1\r\n$3\r\nabc\r\n", args, limits).status,
            RespParseStatus::kCommand);
  EXPECT_EQ(parse_resp_command("a b c\r\n", args, limits).status, RespParseStatus::kError);
}

TEST(RespParser, RandomGarbageNeverReadsPastTheBuffer) {
  const uint64_t seed = std::getenv("DRL_SEED") ? std::stoull(std::getenv("DRL_SEED")) : 4242;
  SCOPED_TRACE("DRL_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const std::string alphabet = "*$\r\n0123456789-+ abcPING";
  Args args;
  for (int round = 0; round < 20000; ++round) {
    std::string in(rng() % 64, '\0');
    for (auto& c : in) c = rng() % 2 ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng());
    const auto r = parse_resp_command(in, args);
    ASSERT_LE(r.consumed, in.size());
    if (r.status == RespParseStatus::kCommand) {
      ASSERT_GT(r.consumed, 0u);
      for (auto a : args) {
        ASSERT_GE(a.data(), in.data());
        ASSERT_LE(a.data() + a.size(), in.data() + in.size());
      }
    }
  }
}

}  // namespace
}  // namespace drl::service
