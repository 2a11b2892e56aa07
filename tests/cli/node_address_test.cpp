// `drl node --listen/--advertise`: which address names the node, and the configurations
// refused at start because peers and clients could not reach the node at the address they
// would be told.
#include "cli/node_address.h"

#include <gtest/gtest.h>

namespace drl::cli {
namespace {

HostPort at(std::string host, uint16_t port) { return HostPort{std::move(host), port}; }

std::string refusal(const HostPort& listen, std::string_view advertise) {
  auto r = node_address(listen, advertise);
  return r ? std::string() : r.status().message();
}

TEST(NodeAddress, WithoutAdvertiseTheListenAddressNamesTheNode) {
  auto a = node_address(at("127.0.0.1", 7000), "");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 7000);
  // A free port picked at start stays possible without --advertise.
  EXPECT_TRUE(node_address(at("127.0.0.1", 0), ""));
}

TEST(NodeAddress, AdvertiseNamesTheNodeListeningOnEveryAddress) {
  auto a = node_address(at("0.0.0.0", 7000), "10.0.0.5:7000");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "10.0.0.5");
  EXPECT_EQ(a->port, 7000);
  auto v6 = node_address(at("::", 7000), "[fd00::5]:7000");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "fd00::5");
  auto name = node_address(at("0.0.0.0", 7000), "drl-0.drl.default.svc:7000");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->host, "drl-0.drl.default.svc");
}

TEST(NodeAddress, AWildcardListenWithoutAdvertiseIsRefused) {
  EXPECT_NE(refusal(at("0.0.0.0", 7000), "").find("add --advertise HOST:7000"), std::string::npos)
      << refusal(at("0.0.0.0", 7000), "");
  EXPECT_NE(refusal(at("::", 7000), ""), "");
}

TEST(NodeAddress, UnusableAdvertisedAddressesAreRefusedWithASentence) {
  EXPECT_NE(refusal(at("0.0.0.0", 7000), "0.0.0.0:7000").find("wildcard"), std::string::npos);
  EXPECT_NE(refusal(at("0.0.0.0", 7000), "[::]:7000").find("wildcard"), std::string::npos);
  EXPECT_NE(refusal(at("0.0.0.0", 7000), "10.0.0.5:0").find("not a port number"),
            std::string::npos);
  EXPECT_NE(refusal(at("0.0.0.0", 7000), "10.0.0.5").find("HOST:PORT"), std::string::npos);
  const auto other_port = refusal(at("0.0.0.0", 7000), "10.0.0.5:7001");
  EXPECT_NE(other_port.find("not the --listen port 7000"), std::string::npos) << other_port;
  EXPECT_NE(other_port.find("advertise 10.0.0.5:7000"), std::string::npos) << other_port;
  EXPECT_NE(refusal(at("0.0.0.0", 0), "10.0.0.5:7000").find("fixed --listen port"),
            std::string::npos);
}

}  // namespace
}  // namespace drl::cli
