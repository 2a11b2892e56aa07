// The one HOST:PORT parser (common/host_port.h), with the rules every caller used to write
// on its own: brackets for IPv6, ":port" for the loopback, port 0 only where asked for.
#include <gtest/gtest.h>

#include "common/host_port.h"

namespace drl {
namespace {

TEST(HostPort, ReadsTheUsualForms) {
  auto a = parse_host_port("10.0.0.1:7000");
  ASSERT_TRUE(a) << a.status().message();
  EXPECT_EQ(a->host, "10.0.0.1");
  EXPECT_EQ(a->port, 7000);
  auto b = parse_host_port("[::1]:7001");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  auto c = parse_host_port(":7002");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "127.0.0.1");
  auto d = parse_host_port("db-1:65535");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->host, "db-1");
}

TEST(HostPort, RefusesWhatIsNotAnAddressWithASentence) {
  for (const char* bad : {"7000", "host:", "host:70000", "host:-1", "host:7x", "host: 7000", ""}) {
    auto r = parse_host_port(bad);
    EXPECT_FALSE(r) << bad;
    EXPECT_EQ(r.status().code(), ResultCode::kInvalidArgument) << bad;
    EXPECT_FALSE(r.status().message().empty()) << bad;
  }
}

TEST(HostPort, PortZeroOnlyWhereAFreePortIsMeant) {
  EXPECT_FALSE(parse_host_port("127.0.0.1:0"));
  auto r = parse_host_port("127.0.0.1:0", PortZero::kAllowed);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->port, 0);
}

TEST(HostPort, ListsAreCommaSeparated) {
  auto l = parse_host_port_list("a:1,b:2");
  ASSERT_TRUE(l);
  ASSERT_EQ(l->size(), 2u);
  EXPECT_EQ((*l)[1].host, "b");
  EXPECT_FALSE(parse_host_port_list(""));
  EXPECT_FALSE(parse_host_port_list("a:1,b"));
}

}  // namespace
}  // namespace drl

namespace drl {
namespace {

TEST(HostPort, UnspecifiedHostsNameNoOneMachine) {
  for (const char* host : {"", "0.0.0.0", "::", "0:0:0:0:0:0:0:0", "::0"}) {
    EXPECT_TRUE(is_unspecified_host(host)) << host;
  }
  for (const char* host : {"127.0.0.1", "10.0.0.5", "::1", "fd00::5", "localhost", "0.0.0.1"}) {
    EXPECT_FALSE(is_unspecified_host(host)) << host;
  }
}

}  // namespace
}  // namespace drl
