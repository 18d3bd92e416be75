#include "server/client/http_v2_codec.h"

#include <gtest/gtest.h>

#include <cstring>

#include "server/client/inference_client.h"

namespace kiln::server {
namespace {

TEST(HttpV2Codec, EncodesBinaryInputsAfterTheJsonHeader) {
  ClientTensor a{"A", "FP32", {1, 2}, std::string(8, '\x01')};
  ClientTensor b{"B", "INT32", {1}, std::string(4, '\x02')};
  HttpInferBody encoded = EncodeHttpInferRequest({a, b});
  const std::string header = encoded.body.substr(0, encoded.header_length);
  EXPECT_EQ(header,
            "{\"inputs\":[{\"name\":\"A\",\"shape\":[1,2],\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":8}},"
            "{\"name\":\"B\",\"shape\":[1],\"datatype\":\"INT32\",\"parameters\":{\"binary_data_size\":4}}],"
            "\"parameters\":{\"binary_data_output\":true}}");
  EXPECT_EQ(encoded.body.substr(encoded.header_length), std::string(8, '\x01') + std::string(4, '\x02'));
}

TEST(HttpV2Codec, DecodesBinaryOutputs) {
  const std::string header =
      "{\"model_name\":\"m\",\"outputs\":[{\"name\":\"X\",\"datatype\":\"INT32\",\"shape\":[2],"
      "\"parameters\":{\"binary_data_size\":8}},{\"name\":\"Y\",\"datatype\":\"BOOL\",\"shape\":[1],"
      "\"parameters\":{\"binary_data_size\":1}}]}";
  const std::string body = header + std::string("\x01\x00\x00\x00\x02\x00\x00\x00\x01", 9);
  auto outputs = DecodeHttpInferResponse(body, header.size());
  ASSERT_TRUE(outputs.ok()) << outputs.status().ToString();
  ASSERT_EQ(outputs->size(), 2u);
  EXPECT_EQ((*outputs)[0].name, "X");
  EXPECT_EQ((*outputs)[0].shape, (std::vector<int64_t>{2}));
  EXPECT_EQ((*outputs)[0].data.size(), 8u);
  EXPECT_TRUE(CheckClientTensorSize((*outputs)[0]).ok());
  EXPECT_EQ((*outputs)[1].data, std::string("\x01", 1));
  EXPECT_FALSE(DecodeHttpInferResponse(body.substr(0, body.size() - 1), header.size()).ok());
}

TEST(HttpV2Codec, DecodesJsonDataOutputs) {
  const std::string body =
      "{\"outputs\":[{\"name\":\"F\",\"datatype\":\"FP32\",\"shape\":[2,1],\"data\":[[1.5],[2]]},"
      "{\"name\":\"S\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"hi\"]},"
      "{\"name\":\"I\",\"datatype\":\"INT16\",\"shape\":[1],\"data\":[-2]}]}";
  auto outputs = DecodeHttpInferResponse(body, std::nullopt);
  ASSERT_TRUE(outputs.ok()) << outputs.status().ToString();
  float f[2];
  std::memcpy(f, (*outputs)[0].data.data(), 8);
  EXPECT_EQ(f[0], 1.5f);
  EXPECT_EQ(f[1], 2.0f);
  EXPECT_EQ((*outputs)[1].data, std::string("\x02\x00\x00\x00hi", 6));
  EXPECT_EQ((*outputs)[2].data, std::string("\xfe\xff", 2));
}

TEST(HttpV2Codec, DecodesMetadataStatisticsAndErrors) {
  auto metadata = DecodeHttpModelMetadata(
      "{\"name\":\"m\",\"versions\":[\"1\"],\"platform\":\"onnxruntime_onnx\",\"inputs\":[{\"name\":\"X\","
      "\"datatype\":\"FP32\",\"shape\":[-1,4]}],\"outputs\":[{\"name\":\"Y\",\"datatype\":\"FP32\",\"shape\":[-1,3]}]}");
  ASSERT_TRUE(metadata.ok());
  ASSERT_EQ(metadata->inputs.size(), 1u);
  EXPECT_EQ(metadata->inputs[0].shape, (std::vector<int64_t>{-1, 4}));
  EXPECT_EQ(metadata->outputs[0].name, "Y");

  auto stats = DecodeHttpModelStatistics(
      "{\"model_stats\":[{\"name\":\"m\",\"version\":\"1\",\"last_inference\":5,\"inference_count\":10,"
      "\"execution_count\":3,\"inference_stats\":{\"success\":{\"count\":10,\"ns\":1000},\"queue\":{\"count\":10,"
      "\"ns\":300},\"compute_infer\":{\"count\":10,\"ns\":600}},\"batch_stats\":[{\"batch_size\":4,"
      "\"compute_infer\":{\"count\":2,\"ns\":50}}]}]}");
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_EQ(stats->size(), 1u);
  EXPECT_EQ((*stats)[0].execution_count, 3u);
  EXPECT_EQ((*stats)[0].queue.ns, 300u);
  EXPECT_EQ((*stats)[0].compute_infer.count, 10u);
  EXPECT_EQ((*stats)[0].batch_size_counts.at(4), 2u);

  EXPECT_EQ(DecodeHttpError("{\"error\": \"queue is full\"}"), "queue is full");
  EXPECT_EQ(DecodeHttpError("plain"), "plain");
  EXPECT_FALSE(DecodeHttpModelMetadata("[").ok());
}

TEST(InferenceClient, SplitsHostAndPort) {
  auto a = SplitHostPort("http://localhost:8000/", "1");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "localhost");
  EXPECT_EQ(a->second, "8000");
  auto b = SplitHostPort("example", "8001");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->second, "8001");
  auto c = SplitHostPort("[::1]:9000", "1");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->first, "::1");
  EXPECT_EQ(c->second, "9000");
  EXPECT_FALSE(SplitHostPort("host:port", "1").ok());
  EXPECT_FALSE(SplitHostPort("host:1/path", "1").ok());
  EXPECT_FALSE(SplitHostPort("", "1").ok());
}

TEST(ClientTensor, ChecksByteSizes) {
  EXPECT_TRUE(CheckClientTensorSize({"x", "FP32", {2}, std::string(8, 0)}).ok());
  EXPECT_FALSE(CheckClientTensorSize({"x", "FP32", {2}, std::string(7, 0)}).ok());
  EXPECT_TRUE(CheckClientTensorSize({"s", "BYTES", {2}, std::string("\x01\x00\x00\x00" "a" "\x00\x00\x00\x00", 9)}).ok());
  EXPECT_FALSE(CheckClientTensorSize({"s", "BYTES", {2}, std::string("\x05\x00\x00\x00" "a", 5)}).ok());
  Tensor t = Tensor::Allocate(DataType::kString, {1});
  t.data<std::string>()[0] = "abc";
  auto converted = ToClientTensor("s", t);
  ASSERT_TRUE(converted.ok());
  EXPECT_EQ(converted->datatype, "BYTES");
  EXPECT_EQ(converted->data, std::string("\x03\x00\x00\x00" "abc", 7));
}

}  // namespace
}  // namespace kiln::server
