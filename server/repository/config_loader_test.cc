#include "server/repository/config_loader.h"

#include <gtest/gtest.h>

namespace kiln::server {
namespace {

TEST(ConfigLoaderTest, ParsesATritonConfig) {
  auto config = ParseModelConfigText(R"(
name: "simple"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 16 ] label_filename: "labels.txt" } ]
version_policy: { specific: { versions: [ 1, 3 ] } }
instance_group [ { count: 2 kind: KIND_CPU } ]
dynamic_batching { preferred_batch_size: [ 4, 8 ] max_queue_delay_microseconds: 100 }
parameters { key: "k" value: { string_value: "v" } }
model_warmup [ { name: "w" batch_size: 1 inputs { key: "INPUT0" value: { data_type: TYPE_INT32 dims: [ 16 ] zero_data: true } } } ]
)", "config.pbtxt");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->name(), "simple");
  EXPECT_EQ(config->max_batch_size(), 8);
  EXPECT_EQ(config->input(0).data_type(), inference::TYPE_INT32);
  EXPECT_EQ(config->version_policy().specific().versions_size(), 2);
  EXPECT_EQ(config->instance_group(0).count(), 2);
  EXPECT_EQ(config->dynamic_batching().preferred_batch_size(1), 8);
  EXPECT_EQ(config->parameters().at("k").string_value(), "v");
  EXPECT_EQ(config->model_warmup(0).inputs().at("INPUT0").dims(0), 16);
}

TEST(ConfigLoaderTest, UnknownFieldNamesFieldAndLine) {
  auto config = ParseModelConfigText("name: \"m\"\nmax_batch: 4\n", "m/config.pbtxt");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("m/config.pbtxt:2:"), std::string::npos) << config.status().message();
  EXPECT_NE(config.status().message().find("max_batch"), std::string::npos) << config.status().message();
}

TEST(ConfigLoaderTest, UnknownDataTypeIsAnError) {
  auto config = ParseModelConfigText("input [ { name: \"x\" data_type: TYPE_FLOAT32 dims: [1] } ]", "c");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("TYPE_FLOAT32"), std::string::npos) << config.status().message();
}

TEST(ConfigLoaderTest, ParsesJson) {
  auto config = ParseModelConfigJson(R"({"name": "m", "max_batch_size": 2, "input": [{"name": "x", "data_type": "TYPE_FP32", "dims": [3]}]})");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->input(0).dims(0), 3);
  EXPECT_FALSE(ParseModelConfigJson(R"({"bogus": 1})").ok());
  EXPECT_FALSE(ParseModelConfigJson("{").ok());
}

TEST(ConfigLoaderTest, MissingFileIsAnEmptyConfig) {
  auto config = LoadModelConfigFile("/nonexistent/kiln/model");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->name(), "");
}

}  // namespace
}  // namespace kiln::server
