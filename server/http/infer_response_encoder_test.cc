#include "server/http/infer_response_encoder.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstring>

namespace kiln::server {
namespace {

void ExpectSameTensor(const Tensor& actual, const Tensor& expected) {
  ASSERT_EQ(actual.dtype(), expected.dtype());
  ASSERT_EQ(actual.shape(), expected.shape());
  if (expected.dtype() == DataType::kString) {
    for (int64_t i = 0; i < expected.num_elements(); ++i) {
      EXPECT_EQ(actual.data<std::string>()[i], expected.data<std::string>()[i]) << "element " << i;
    }
  } else {
    EXPECT_EQ(std::memcmp(actual.raw_data(), expected.raw_data(), expected.byte_size()), 0);
  }
}

// Encodes `response`, then turns the response document into a request
// (outputs -> inputs) and decodes it: the tensors must come back unchanged.
std::vector<InferInput> RoundTrip(const InferResponse& response, const HttpOutputFormat& format) {
  auto encoded = EncodeInferResponse(response, format);
  EXPECT_TRUE(encoded.ok()) << encoded.status().ToString();
  const size_t json_size = encoded->json_size.value_or(encoded->body.size());
  rapidjson::Document document;
  document.Parse<rapidjson::kParseNanAndInfFlag>(encoded->body.data(), json_size);
  EXPECT_FALSE(document.HasParseError()) << encoded->body.substr(0, json_size);
  rapidjson::Value outputs(document["outputs"], document.GetAllocator());
  document.RemoveMember("outputs");
  document.AddMember("inputs", outputs, document.GetAllocator());
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::CrtAllocator,
                    rapidjson::kWriteNanAndInfFlag>
      writer(buffer);
  document.Accept(writer);
  const std::string json(buffer.GetString(), buffer.GetSize());
  auto body = std::make_shared<RequestBuffer>(json.size());
  body->Append(json.data(), json.size());
  body->Append(encoded->body.data() + json_size, encoded->body.size() - json_size);
  std::optional<std::string> header;
  if (encoded->json_size) header = std::to_string(json.size());
  auto decoded = DecodeInferRequest(body, header, "m", "");
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString() << "\n" << json;
  return decoded.ok() ? decoded->request.inputs : std::vector<InferInput>{};
}

InferResponse EveryDatatype() {
  InferResponse response;
  response.model_name = "m";
  response.model_version = "3";
  response.id = "abc";
  auto add = [&](const std::string& name, Tensor tensor) { response.outputs.push_back({name, tensor, {}}); };
  add("bool", Tensor::FromVector<bool>({2, 2}, {true, false, false, true}));
  add("u8", Tensor::FromVector<uint8_t>({3}, {0, 128, 255}));
  add("u16", Tensor::FromVector<uint16_t>({3}, {0, 1, 65535}));
  add("u32", Tensor::FromVector<uint32_t>({3}, {0, 1, 4294967295u}));
  add("u64", Tensor::FromVector<uint64_t>({3}, {0, 1, UINT64_MAX}));
  add("i8", Tensor::FromVector<int8_t>({3}, {-128, 0, 127}));
  add("i16", Tensor::FromVector<int16_t>({3}, {-32768, 0, 32767}));
  add("i32", Tensor::FromVector<int32_t>({3}, {INT32_MIN, 0, INT32_MAX}));
  add("i64", Tensor::FromVector<int64_t>({3}, {INT64_MIN, 0, INT64_MAX}));
  add("f16", Tensor::FromVector<Float16>({3}, {Float16(0.1f), Float16(-65504.0f), Float16(1e-7f)}));
  add("bf16", Tensor::FromVector<BFloat16>({3}, {BFloat16(0.1f), BFloat16(-3e38f), BFloat16(1e-30f)}));
  add("f32", Tensor::FromVector<float>({2, 2}, {0.1f, -1e-45f, 3.4028235e38f, 1.0f / 3}));
  add("f64", Tensor::FromVector<double>({3}, {0.1, -1e-308, 1.0 / 3}));
  add("bytes", Tensor::FromVector<std::string>({3}, {"", "hello", std::string("\x01\x02\x00", 3)}));
  add("empty", Tensor::Allocate(DataType::kFloat, {0, 5}));
  add("scalar", Tensor::Scalar<int32_t>(7));
  return response;
}

TEST(InferResponseEncoder, JsonRoundTripOfEveryDatatype) {
  const InferResponse response = EveryDatatype();
  HttpOutputFormat json_only;
  // BYTES with a NUL survive JSON escaping.
  const std::vector<InferInput> back = RoundTrip(response, json_only);
  ASSERT_EQ(back.size(), response.outputs.size());
  for (size_t i = 0; i < back.size(); ++i) {
    SCOPED_TRACE(response.outputs[i].name);
    EXPECT_EQ(back[i].name, response.outputs[i].name);
    ExpectSameTensor(back[i].tensor, response.outputs[i].tensor);
  }
}

TEST(InferResponseEncoder, BinaryRoundTripOfEveryDatatype) {
  const InferResponse response = EveryDatatype();
  HttpOutputFormat all_binary;
  all_binary.binary_by_default = true;
  const std::vector<InferInput> back = RoundTrip(response, all_binary);
  ASSERT_EQ(back.size(), response.outputs.size());
  for (size_t i = 0; i < back.size(); ++i) {
    SCOPED_TRACE(response.outputs[i].name);
    ExpectSameTensor(back[i].tensor, response.outputs[i].tensor);
  }
}

TEST(InferResponseEncoder, JsonDocumentShape) {
  InferResponse response;
  response.model_name = "m";
  response.model_version = "1";
  response.parameters["sequence_end"] = true;
  response.outputs.push_back({"y", Tensor::FromVector<float>({2}, {0.1f, NAN}), {{"note", std::string("n")}}});
  auto encoded = EncodeInferResponse(response, HttpOutputFormat{});
  ASSERT_TRUE(encoded.ok());
  EXPECT_FALSE(encoded->json_size.has_value());
  EXPECT_EQ(encoded->body,
            R"({"model_name":"m","model_version":"1","parameters":{"sequence_end":true},)"
            R"("outputs":[{"name":"y","datatype":"FP32","shape":[2],"parameters":{"note":"n"},"data":[0.1,NaN]}]})");
}

TEST(InferResponseEncoder, SelectedBinaryOutputsFollowTheJson) {
  InferResponse response;
  response.model_name = "m";
  response.model_version = "1";
  response.outputs.push_back({"a", Tensor::FromVector<int32_t>({2}, {1, 2}), {}});
  response.outputs.push_back({"b", Tensor::FromVector<int32_t>({1}, {3}), {}});
  response.outputs.push_back({"c", Tensor::FromVector<std::string>({1}, {"xy"}), {}});
  HttpOutputFormat format;
  format.binary = {"a", "c"};
  auto encoded = EncodeInferResponse(response, format);
  ASSERT_TRUE(encoded.ok());
  ASSERT_TRUE(encoded->json_size.has_value());
  const std::string json = encoded->body.substr(0, *encoded->json_size);
  EXPECT_NE(json.find(R"({"name":"a","datatype":"INT32","shape":[2],"parameters":{"binary_data_size":8}})"),
            std::string::npos) << json;
  EXPECT_NE(json.find(R"({"name":"b","datatype":"INT32","shape":[1],"data":[3]})"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("parameters":{"binary_data_size":6})"), std::string::npos) << json;
  const std::string binary = encoded->body.substr(*encoded->json_size);
  const int32_t ints[2] = {1, 2};
  EXPECT_EQ(binary, std::string(reinterpret_cast<const char*>(ints), 8) + std::string("\x02\x00\x00\x00xy", 6));
}

TEST(InferResponseEncoder, RefusesTypesTheProtocolCannotCarry) {
  InferResponse response;
  response.outputs.push_back({"z", Tensor::Allocate(DataType::kComplex64, {1}, true), {}});
  auto encoded = EncodeInferResponse(response, HttpOutputFormat{});
  ASSERT_FALSE(encoded.ok());
  EXPECT_EQ(encoded.status().code(), StatusCode::kInternal);
  EXPECT_NE(encoded.status().message().find("output 'z'"), std::string::npos);
}

}  // namespace
}  // namespace kiln::server
