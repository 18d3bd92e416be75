#include "server/repository/version_policy.h"

#include <gtest/gtest.h>

namespace kiln::server {
namespace {

const std::set<int64_t> kAvailable = {1, 2, 5, 7};

TEST(VersionPolicyTest, DefaultIsNewestOne) {
  auto v = SelectVersions(inference::ModelVersionPolicy(), kAvailable);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, (std::set<int64_t>{7}));
}

TEST(VersionPolicyTest, LatestN) {
  inference::ModelVersionPolicy p;
  p.mutable_latest()->set_num_versions(3);
  EXPECT_EQ(*SelectVersions(p, kAvailable), (std::set<int64_t>{2, 5, 7}));
  p.mutable_latest()->set_num_versions(10);
  EXPECT_EQ(*SelectVersions(p, kAvailable), kAvailable);
}

TEST(VersionPolicyTest, All) {
  inference::ModelVersionPolicy p;
  p.mutable_all();
  EXPECT_EQ(*SelectVersions(p, kAvailable), kAvailable);
  EXPECT_TRUE(SelectVersions(p, {})->empty());
}

TEST(VersionPolicyTest, SpecificKeepsExistingOnes) {
  inference::ModelVersionPolicy p;
  p.mutable_specific()->add_versions(2);
  p.mutable_specific()->add_versions(3);
  EXPECT_EQ(*SelectVersions(p, kAvailable), (std::set<int64_t>{2}));
  p.mutable_specific()->add_versions(-1);
  EXPECT_EQ(SelectVersions(p, kAvailable).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kiln::server
