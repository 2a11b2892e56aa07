// drl::Client::create reports a bad address at once, before any thread or connection; the
// constructor (kept for existing callers) only reports it per request.
#include <gtest/gtest.h>

#include "drl/client.h"

namespace drl {
namespace {

TEST(ClientCreate, ABadAddressIsRefusedAtConstruction) {
  for (const char* bad : {"localhost", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:99999"}) {
    auto c = Client::create({.nodes = {"127.0.0.1:7000", bad}});
    EXPECT_FALSE(c) << bad;
    EXPECT_EQ(c.status().code(), ResultCode::kInvalidArgument) << bad;
    EXPECT_NE(c.status().message().find('\''), std::string::npos) << c.status().message();
  }
  auto none = Client::create({});
  EXPECT_EQ(none.status().code(), ResultCode::kInvalidArgument);
}

TEST(ClientCreate, GoodAddressesGiveAClient) {
  auto c = Client::create({.nodes = {"127.0.0.1:1", "[::1]:2"}});
  ASSERT_TRUE(c) << c.status().message();
  EXPECT_NE(c->get(), nullptr);
}

}  // namespace
}  // namespace drl
