// drl::read_token_file: the first line that is not blank or a comment, its last field.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "drl/client.h"

namespace drl {
namespace {

const std::string kAlice = "alice-token-0123456789abcdef";
const std::string kBob = "bob-token-0123456789abcdef012";

TEST(ReadTokenFile, TakesTheFirstTokenLineAndItsLastField) {
  const std::string path = "/tmp/drl-token-file-test-" + std::to_string(::getpid());
  const auto write = [&](const std::string& text) { std::ofstream(path) << text; };
  write("# my token\n\n  " + kAlice + "\n" + kBob + "\n");
  auto read = read_token_file(path);
  ASSERT_TRUE(read) << read.status().message();
  EXPECT_EQ(*read, kAlice);
  write("bob " + kBob + "\n");
  read = read_token_file(path);
  ASSERT_TRUE(read) << read.status().message();
  EXPECT_EQ(*read, kBob);
  write("# only a comment\n");
  read = read_token_file(path);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.status().message(), path + " holds no token");
  read = read_token_file("/nonexistent/drl-token");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.status().message(), "cannot read /nonexistent/drl-token");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace drl
