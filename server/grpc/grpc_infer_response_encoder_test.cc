#include "server/grpc/grpc_infer_response_encoder.h"

#include <gtest/gtest.h>

namespace kiln::server {
namespace {

InferResponse ResponseWith(std::vector<InferOutput> outputs) {
  InferResponse response;
  response.model_name = "m";
  response.model_version = "4";
  response.id = "abc";
  response.parameters["sequence_end"] = true;
  response.outputs = std::move(outputs);
  return response;
}

TEST(GrpcInferResponseEncoder, RawOutputsByDefault) {
  Tensor strings = Tensor::Allocate(DataType::kString, {2});
  strings.data<std::string>()[0] = "hi";
  strings.data<std::string>()[1] = "";
  InferResponse response = ResponseWith({{"f", Tensor::FromVector<float>({2}, {1.0f, -2.0f}), {}},
                                         {"s", strings, {{"note", int64_t{7}}}}});
  inference::ModelInferResponse out;
  ASSERT_TRUE(EncodeGrpcInferResponse(response, /*typed_contents=*/false, &out).ok());
  EXPECT_EQ(out.model_name(), "m");
  EXPECT_EQ(out.model_version(), "4");
  EXPECT_EQ(out.id(), "abc");
  EXPECT_TRUE(out.parameters().at("sequence_end").bool_param());
  ASSERT_EQ(out.outputs_size(), 2);
  EXPECT_EQ(out.outputs(0).name(), "f");
  EXPECT_EQ(out.outputs(0).datatype(), "FP32");
  EXPECT_EQ(out.outputs(0).shape_size(), 1);
  EXPECT_FALSE(out.outputs(0).has_contents());
  EXPECT_EQ(out.outputs(1).datatype(), "BYTES");
  EXPECT_EQ(out.outputs(1).parameters().at("note").int64_param(), 7);
  ASSERT_EQ(out.raw_output_contents_size(), 2);
  const float expected[] = {1.0f, -2.0f};
  EXPECT_EQ(out.raw_output_contents(0), std::string(reinterpret_cast<const char*>(expected), sizeof(expected)));
  EXPECT_EQ(out.raw_output_contents(1), std::string("\x02\0\0\0hi\0\0\0\0", 10));
}

TEST(GrpcInferResponseEncoder, TypedOutputsWhenTheRequestWasTyped) {
  InferResponse response = ResponseWith({{"i8", Tensor::FromVector<int8_t>({2}, {-3, 4}), {}},
                                         {"u16", Tensor::FromVector<uint16_t>({1}, {65535}), {}},
                                         {"b", Tensor::FromVector<bool>({2}, {true, false}), {}},
                                         {"d", Tensor::FromVector<double>({1}, {0.125}), {}},
                                         {"u64", Tensor::FromVector<uint64_t>({1}, {1ULL << 63}), {}},
                                         {"i64", Tensor::FromVector<int64_t>({1}, {-5}), {}}});
  inference::ModelInferResponse out;
  ASSERT_TRUE(EncodeGrpcInferResponse(response, /*typed_contents=*/true, &out).ok());
  EXPECT_EQ(out.raw_output_contents_size(), 0);
  ASSERT_EQ(out.outputs_size(), 6);
  EXPECT_EQ(out.outputs(0).datatype(), "INT8");
  ASSERT_EQ(out.outputs(0).contents().int_contents_size(), 2);
  EXPECT_EQ(out.outputs(0).contents().int_contents(0), -3);
  EXPECT_EQ(out.outputs(1).contents().uint_contents(0), 65535u);
  EXPECT_TRUE(out.outputs(2).contents().bool_contents(0));
  EXPECT_FALSE(out.outputs(2).contents().bool_contents(1));
  EXPECT_EQ(out.outputs(3).contents().fp64_contents(0), 0.125);
  EXPECT_EQ(out.outputs(4).contents().uint64_contents(0), 1ULL << 63);
  EXPECT_EQ(out.outputs(5).contents().int64_contents(0), -5);
}

TEST(GrpcInferResponseEncoder, HalfPrecisionOutputsForceRawForAll) {
  Tensor half = Tensor::Allocate(DataType::kFloat16, {1});
  half.data<uint16_t>()[0] = 0x3c00;
  InferResponse response = ResponseWith({{"i", Tensor::FromVector<int32_t>({1}, {9}), {}}, {"h", half, {}}});
  inference::ModelInferResponse out;
  ASSERT_TRUE(EncodeGrpcInferResponse(response, /*typed_contents=*/true, &out).ok());
  ASSERT_EQ(out.raw_output_contents_size(), 2);
  EXPECT_FALSE(out.outputs(0).has_contents());
  EXPECT_EQ(out.outputs(1).datatype(), "FP16");
  EXPECT_EQ(out.raw_output_contents(1), std::string("\x00\x3c", 2));
}

TEST(GrpcInferResponseEncoder, RefusesTensorsTheProtocolCannotCarry) {
  inference::ModelInferResponse out;
  Status status = EncodeGrpcInferResponse(ResponseWith({{"x", Tensor(), {}}}), false, &out);
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  status = EncodeGrpcInferResponse(ResponseWith({{"c", Tensor::Allocate(DataType::kComplex64, {1}), {}}}), false, &out);
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_NE(status.message().find("'c'"), std::string::npos);
}

}  // namespace
}  // namespace kiln::server
