#include "server/repository/repository_scanner.h"

#include <gtest/gtest.h>

#include "server/core/testing/test_repository.h"
#include "server/repository/model_name.h"

namespace kiln::server {
namespace {

using testing::TestRepository;

TEST(RepositoryScannerTest, VersionFolders) {
  EXPECT_EQ(ParseVersionFolder("1"), 1);
  EXPECT_EQ(ParseVersionFolder("42"), 42);
  EXPECT_FALSE(ParseVersionFolder("0"));
  EXPECT_FALSE(ParseVersionFolder("01"));
  EXPECT_FALSE(ParseVersionFolder("-1"));
  EXPECT_FALSE(ParseVersionFolder("1a"));
  EXPECT_FALSE(ParseVersionFolder(""));
  EXPECT_FALSE(ParseVersionFolder("99999999999999999999"));
}

TEST(RepositoryScannerTest, ModelNames) {
  EXPECT_TRUE(ValidateModelName("simple").ok());
  EXPECT_TRUE(ValidateModelName("my-model_v2.onnx").ok());
  EXPECT_FALSE(ValidateModelName("").ok());
  EXPECT_FALSE(ValidateModelName("..").ok());
  EXPECT_FALSE(ValidateModelName("../x").ok());
  EXPECT_FALSE(ValidateModelName("a/b").ok());
  EXPECT_FALSE(ValidateModelName("a\\b").ok());
  EXPECT_FALSE(ValidateModelName(".hidden").ok());
  EXPECT_FALSE(ValidateModelName(std::string("a\0b", 3)).ok());
}

TEST(RepositoryScannerTest, ScansSeveralRepositories) {
  TestRepository a, b;
  a.AddVersion("m1", 1, testing::TinyClassifier());
  a.AddVersion("m1", 3, testing::TinyClassifier());
  a.WriteFile("m1", "0/ignored.txt", "x");
  a.WriteFile("m1", "notes/readme", "x");
  b.AddVersion("m2", 2, testing::TinyClassifier());
  b.WriteFile(".hidden", "1/model.onnx", "x");
  auto scan = ScanRepositories({a.path(), b.path()});
  ASSERT_TRUE(scan.ok()) << scan.status().message();
  ASSERT_EQ(scan->models.size(), 2u);
  EXPECT_EQ(scan->models.at("m1").versions, (std::set<int64_t>{1, 3}));
  EXPECT_EQ(scan->models.at("m2").versions, (std::set<int64_t>{2}));
  EXPECT_TRUE(scan->errors.empty());
}

TEST(RepositoryScannerTest, DuplicateNamesAreErrors) {
  TestRepository a, b;
  a.AddVersion("m", 1, testing::TinyClassifier());
  b.AddVersion("m", 1, testing::TinyClassifier());
  auto scan = ScanRepositories({a.path(), b.path()});
  ASSERT_TRUE(scan.ok());
  EXPECT_TRUE(scan->models.empty());
  ASSERT_EQ(scan->errors.count("m"), 1u);
  EXPECT_NE(scan->errors.at("m").find("more than one"), std::string::npos);
  EXPECT_EQ(FindModel({a.path(), b.path()}, "m").status().code(), StatusCode::kInvalidArgument);
}

TEST(RepositoryScannerTest, MissingRepositoryIsNotFound) {
  EXPECT_EQ(ScanRepositories({"/nonexistent/kiln/repo"}).status().code(), StatusCode::kNotFound);
}

TEST(RepositoryScannerTest, FindModelRefusesPathTricks) {
  TestRepository repo;
  repo.AddVersion("m", 1, testing::TinyClassifier());
  EXPECT_TRUE(FindModel({repo.path()}, "m").ok());
  EXPECT_EQ(FindModel({repo.path()}, "../m").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FindModel({repo.path()}, "nope").status().code(), StatusCode::kNotFound);
}

TEST(RepositoryScannerTest, FingerprintFollowsConfigAndModel) {
  TestRepository repo;
  repo.AddVersion("m", 1, testing::TinyClassifier());
  auto source = FindModel({repo.path()}, "m");
  ASSERT_TRUE(source.ok());
  const std::string before = VersionFingerprint(*source, 1, "");
  EXPECT_EQ(before, VersionFingerprint(*source, 1, ""));
  repo.WriteConfig("m", "max_batch_size: 2");
  EXPECT_NE(before, VersionFingerprint(*source, 1, ""));
}

}  // namespace
}  // namespace kiln::server
