#include "server/http/model_config_json.h"

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "server/proto/model_config.pb.h"

namespace kiln::server {
namespace {

rapidjson::Document ConfigJson(const char* text) {
  inference::ModelConfig config;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &config));
  auto json = ModelConfigJson(config);
  EXPECT_TRUE(json.ok()) << json.status().ToString();
  rapidjson::Document document;
  document.Parse(json.ok() ? json->c_str() : "{}");
  EXPECT_FALSE(document.HasParseError());
  return document;
}

TEST(ModelConfigJsonTest, PrintsSixtyFourBitIntegersAsNumbersLikeTriton) {
  const auto doc = ConfigJson(R"pb(
    name: "m" max_batch_size: 8
    input { name: "x" data_type: TYPE_FP32 dims: [ -1, 16 ] reshape { shape: [ 16 ] } }
    output { name: "y" data_type: TYPE_FP32 dims: [ 4 ] }
    version_policy { specific { versions: [ 1, 3 ] } }
    dynamic_batching {
      max_queue_delay_microseconds: 100
      priority_queue_policy { key: 2 value { default_timeout_microseconds: 7 } }
    })pb");
  ASSERT_TRUE(doc.IsObject());
  EXPECT_EQ(doc["max_batch_size"].GetInt(), 8);
  const auto& dims = doc["input"][0]["dims"];
  ASSERT_TRUE(dims.IsArray());
  ASSERT_TRUE(dims[0].IsInt64()) << "dims printed as strings";
  EXPECT_EQ(dims[0].GetInt64(), -1);
  EXPECT_EQ(dims[1].GetInt64(), 16);
  EXPECT_EQ(doc["input"][0]["reshape"]["shape"][0].GetInt64(), 16);
  EXPECT_EQ(doc["output"][0]["dims"][0].GetInt64(), 4);
  EXPECT_EQ(doc["version_policy"]["specific"]["versions"][1].GetInt64(), 3);
  ASSERT_TRUE(doc["dynamic_batching"]["max_queue_delay_microseconds"].IsUint64());
  EXPECT_EQ(doc["dynamic_batching"]["max_queue_delay_microseconds"].GetUint64(), 100u);
  // Map keys stay strings (JSON object keys); their values are converted.
  EXPECT_EQ(doc["dynamic_batching"]["priority_queue_policy"]["2"]["default_timeout_microseconds"].GetUint64(), 7u);
  // Names and enums keep protobuf's mapping.
  EXPECT_STREQ(doc["input"][0]["data_type"].GetString(), "TYPE_FP32");
  EXPECT_STREQ(doc["name"].GetString(), "m");
}

TEST(ModelConfigJsonTest, KeepsStringsThatOnlyLookNumeric) {
  const auto doc = ConfigJson(R"pb(name: "12" parameters { key: "n" value { string_value: "34" } })pb");
  EXPECT_TRUE(doc["name"].IsString());
  EXPECT_TRUE(doc["parameters"]["n"]["string_value"].IsString());
}

}  // namespace
}  // namespace kiln::server
