// The node's saved copy of the cluster's policy set (node/cluster_policies.h): a set with an
// RLS document comes back whole; a copy saved before sets carried one still loads; a copy
// whose RLS document was edited is refused.
#include "node/cluster_policies.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace drl::node {
namespace {

const std::string kPolicies = "policies:\n  api:\n    limit: 5\n    window: 1m\n";
const std::string kRls =
    "domain: shop\ndescriptors:\n  - key: user\n    rate_limit: {unit: minute, "
    "requests_per_unit: 3}\n";

struct SavedPolicies : ::testing::Test {
  std::string dir =
      std::filesystem::temp_directory_path() / ("drl-saved-policies-" + std::to_string(::getpid()));
  void SetUp() override { std::filesystem::create_directories(dir); }
  void TearDown() override { std::filesystem::remove_all(dir); }
  cluster::PolicyOffer offer(const std::string& rls) {
    return {3, cluster::set_hash(limits::parse_policies(kPolicies).content_hash, rls), kPolicies,
            "n2", rls};
  }
};

TEST_F(SavedPolicies, ASetWithAnRlsConfigComesBackWhole) {
  ASSERT_EQ(save_policies(dir, offer(kRls)), "");
  cluster::PolicyOffer back;
  limits::PolicySet set;
  ASSERT_EQ(load_saved_policies(dir, back, set), "");
  EXPECT_EQ(back.version, 3u);
  EXPECT_EQ(back.hash, offer(kRls).hash);
  EXPECT_EQ(back.yaml, kPolicies);
  EXPECT_EQ(back.rls, kRls);
  EXPECT_EQ(back.origin, "n2");
  EXPECT_NE(set.find("api"), nullptr);
}

TEST_F(SavedPolicies, ACopySavedBeforeSetsCarriedAnRlsConfigStillLoads) {
  const auto o = offer("");
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(o.hash));
  std::ofstream(saved_policies_path(dir))
      << "# drl cluster policies: version 3 hash " << hash << " origin n2\n"
      << kPolicies;
  cluster::PolicyOffer back;
  limits::PolicySet set;
  ASSERT_EQ(load_saved_policies(dir, back, set), "");
  EXPECT_EQ(back.yaml, kPolicies);
  EXPECT_EQ(back.rls, "");
}

TEST_F(SavedPolicies, AnEditedRlsConfigIsRefused) {
  ASSERT_EQ(save_policies(dir, offer(kRls)), "");
  std::string text;
  {
    std::ifstream in(saved_policies_path(dir));
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  text.replace(text.find("requests_per_unit: 3"), 20, "requests_per_unit: 9");
  std::ofstream(saved_policies_path(dir)) << text;
  cluster::PolicyOffer back;
  limits::PolicySet set;
  EXPECT_NE(load_saved_policies(dir, back, set).find("do not match the hash"), std::string::npos);
}

}  // namespace
}  // namespace drl::node
