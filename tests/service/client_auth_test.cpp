// The client tokens file: parsing, lookup, reload keeping counters, and the CLI's token file.
#include "service/client_auth.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace drl::service {
namespace {

const std::string kAlice = "alice-0123456789abcdef";
const std::string kBob = "bob-0123456789abcdef00";

class TempFile {
 public:
  TempFile() {
    char name[] = "/tmp/drl-client-auth-XXXXXX";
    const int fd = mkstemp(name);
    if (fd >= 0) close(fd);
    path_ = name;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  void write(const std::string& text) const { std::ofstream(path_, std::ios::trunc) << text; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ClientTokens, ParsesNamedAndUnnamedTokensSkippingCommentsAndBlanks) {
  ClientTokens t;
  ASSERT_EQ(ClientTokens::parse("# clients\n\nalice " + kAlice + "\n  " + kBob + "  \r\n", t), "");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t.name(0), "alice");
  EXPECT_EQ(t.name(1), "line-4");
  EXPECT_EQ(t.find(kAlice), 0);
  EXPECT_EQ(t.find(kBob), 1);
}

TEST(ClientTokens, RefusesUnknownEmptyAndNearMissTokens) {
  ClientTokens t;
  ASSERT_EQ(ClientTokens::parse("alice " + kAlice + "\n", t), "");
  EXPECT_EQ(t.find(""), -1);
  EXPECT_EQ(t.find(kBob), -1);
  EXPECT_EQ(t.find(kAlice.substr(0, kAlice.size() - 1)), -1);
  EXPECT_EQ(t.find(kAlice + "x"), -1);
  EXPECT_EQ(t.find("alice"), -1);  // the name is not a token
}

TEST(ClientTokens, BadFilesAreRefusedWithTheLineAndNeverTheToken) {
  ClientTokens t;
  const auto short_token = ClientTokens::parse("# c\nshort\n", t);
  EXPECT_NE(short_token.find("line 2"), std::string::npos) << short_token;
  EXPECT_EQ(short_token.find("short"), std::string::npos) << short_token;
  EXPECT_NE(ClientTokens::parse("a b " + kAlice + "\n", t).find("line 1"), std::string::npos);
  EXPECT_NE(ClientTokens::parse("al/ice " + kAlice + "\n", t).find("name"), std::string::npos);
  EXPECT_NE(ClientTokens::parse(kAlice + "\n" + kAlice + "\n", t).find("twice"), std::string::npos);
  EXPECT_NE(ClientTokens::parse("a " + kAlice + "\na " + kBob + "\n", t).find("taken"),
            std::string::npos);
  EXPECT_NE(ClientTokens::parse("# nothing\n\n", t), "");
  EXPECT_NE(ClientTokens::parse(std::string(kMaxClientTokenBytes + 1, 'x'), t), "");
}

TEST(ClientAuth, VerifiesCountsAndKeepsCountersAcrossReload) {
  TempFile file;
  file.write("alice " + kAlice + "\n");
  ClientAuth auth;
  EXPECT_FALSE(auth.verify(kAlice));  // nothing loaded: everyone refused
  ASSERT_EQ(auth.load(file.path()), "");
  EXPECT_TRUE(auth.verify(kAlice));
  EXPECT_TRUE(auth.verify(kAlice));
  EXPECT_FALSE(auth.verify(kBob));
  EXPECT_EQ(auth.current()->accepted(0), 2u);

  file.write("bob " + kBob + "\nalice " + kAlice + "\n");
  ASSERT_EQ(auth.reload(), "");
  EXPECT_TRUE(auth.verify(kBob));
  EXPECT_TRUE(auth.verify(kAlice));
  const auto now = auth.current();
  EXPECT_EQ(now->name(0), "bob");
  EXPECT_EQ(now->accepted(0), 1u);
  EXPECT_EQ(now->accepted(1), 3u);  // alice's count survived the reload

  file.write("broken\n");
  EXPECT_NE(auth.reload(), "");
  EXPECT_TRUE(auth.verify(kBob));  // the old tokens stay after a refused reload
  EXPECT_NE(auth.load("/nonexistent/drl-tokens"), "");
}

}  // namespace
}  // namespace drl::service
