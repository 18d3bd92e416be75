#include "server/grpc/grpc_infer_request_decoder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

namespace kiln::server {
namespace {

using inference::ModelInferRequest;
using Input = ModelInferRequest::InferInputTensor;

std::shared_ptr<ModelInferRequest> NewRequest() {
  auto request = std::make_shared<ModelInferRequest>();
  request->set_model_name("m");
  return request;
}

Input* AddInput(ModelInferRequest* request, const std::string& name, const std::string& datatype, Shape shape) {
  Input* input = request->add_inputs();
  input->set_name(name);
  input->set_datatype(datatype);
  for (int64_t d : shape) input->add_shape(d);
  return input;
}

template <typename T>
std::string RawBytes(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

Status DecodeError(std::shared_ptr<ModelInferRequest> request) {
  auto decoded = DecodeGrpcInferRequest(std::move(request));
  return decoded.ok() ? Status::Ok() : decoded.status();
}

void ExpectInvalid(std::shared_ptr<ModelInferRequest> request, const std::string& fragment) {
  const Status status = DecodeError(std::move(request));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
  EXPECT_NE(status.message().find(fragment), std::string::npos) << status.message();
}

TEST(GrpcInferRequestDecoder, HeaderParametersAndOutputs) {
  auto request = NewRequest();
  request->set_model_version("3");
  request->set_id("req-7");
  (*request->mutable_parameters())["priority"].set_int64_param(2);
  (*request->mutable_parameters())["timeout"].set_uint64_param(1500);
  (*request->mutable_parameters())["binary_data_output"].set_bool_param(true);
  (*request->mutable_parameters())["custom"].set_string_param("v");
  (*request->mutable_parameters())["ratio"].set_double_param(0.5);
  auto* out = request->add_outputs();
  out->set_name("probs");
  (*out->mutable_parameters())["classification"].set_int64_param(3);
  (*out->mutable_parameters())["binary_data"].set_bool_param(true);
  auto decoded = DecodeGrpcInferRequest(request);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const InferRequest& r = decoded->request;
  EXPECT_EQ(r.model_name, "m");
  EXPECT_EQ(r.model_version, "3");
  EXPECT_EQ(r.id, "req-7");
  EXPECT_EQ(r.priority, 2u);
  EXPECT_EQ(r.timeout_us, 1500u);
  EXPECT_EQ(r.parameters.size(), 2u);  // binary flag dropped, scheduling fields extracted
  EXPECT_EQ(std::get<std::string>(r.parameters.at("custom")), "v");
  EXPECT_EQ(std::get<std::string>(r.parameters.at("ratio")), "0.5");
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_EQ(r.outputs[0].name, "probs");
  EXPECT_EQ(r.outputs[0].classification, 3u);
  EXPECT_TRUE(r.outputs[0].parameters.empty());
}

TEST(GrpcInferRequestDecoder, RawNumericInputsBorrowTheMessageBytes) {
  auto request = NewRequest();
  AddInput(request.get(), "x", "FP32", {2, 8});
  std::vector<float> values(16);
  for (size_t i = 0; i < values.size(); ++i) values[i] = 0.5f * static_cast<float>(i);
  request->add_raw_input_contents(RawBytes(values));
  const char* wire_bytes = request->raw_input_contents(0).data();
  auto decoded = DecodeGrpcInferRequest(request);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_FALSE(decoded->typed_contents);
  Tensor tensor = decoded->request.inputs[0].tensor;
  EXPECT_EQ(tensor.dtype(), DataType::kFloat);
  EXPECT_EQ(tensor.shape(), (Shape{2, 8}));
  EXPECT_EQ(tensor.raw_data(), static_cast<const void*>(wire_bytes));  // no copy
  request.reset();
  decoded = Status::Internal("dropped");  // the tensor alone keeps the message alive
  EXPECT_EQ(tensor.ToVector<float>(), values);
}

TEST(GrpcInferRequestDecoder, TypedContentsBorrowWhereLayoutsMatch) {
  auto request = NewRequest();
  Input* input = AddInput(request.get(), "x", "INT64", {3});
  for (int64_t v : {int64_t{-1}, int64_t{0}, int64_t{1} << 40}) input->mutable_contents()->add_int64_contents(v);
  auto decoded = DecodeGrpcInferRequest(request);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->typed_contents);
  const Tensor& tensor = decoded->request.inputs[0].tensor;
  EXPECT_EQ(tensor.raw_data(), static_cast<const void*>(request->inputs(0).contents().int64_contents().data()));
  EXPECT_EQ(tensor.ToVector<int64_t>(), (std::vector<int64_t>{-1, 0, 1LL << 40}));
}

TEST(GrpcInferRequestDecoder, EveryTypedDatatype) {
  auto request = NewRequest();
  auto* c = AddInput(request.get(), "b", "BOOL", {2})->mutable_contents();
  c->add_bool_contents(true);
  c->add_bool_contents(false);
  c = AddInput(request.get(), "i8", "INT8", {2})->mutable_contents();
  c->add_int_contents(-128);
  c->add_int_contents(127);
  c = AddInput(request.get(), "i16", "INT16", {1})->mutable_contents();
  c->add_int_contents(-30000);
  c = AddInput(request.get(), "i32", "INT32", {1})->mutable_contents();
  c->add_int_contents(-7);
  c = AddInput(request.get(), "u8", "UINT8", {1})->mutable_contents();
  c->add_uint_contents(255);
  c = AddInput(request.get(), "u16", "UINT16", {1})->mutable_contents();
  c->add_uint_contents(65535);
  c = AddInput(request.get(), "u32", "UINT32", {1})->mutable_contents();
  c->add_uint_contents(4000000000u);
  c = AddInput(request.get(), "u64", "UINT64", {1})->mutable_contents();
  c->add_uint64_contents(1ULL << 63);
  c = AddInput(request.get(), "f64", "FP64", {1})->mutable_contents();
  c->add_fp64_contents(2.25);
  c = AddInput(request.get(), "s", "BYTES", {2})->mutable_contents();
  c->add_bytes_contents("ab");
  c->add_bytes_contents(std::string("\0z", 2));
  auto decoded = DecodeGrpcInferRequest(request);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const auto& in = decoded->request.inputs;
  ASSERT_EQ(in.size(), 10u);
  EXPECT_EQ(in[0].tensor.dtype(), DataType::kBool);
  EXPECT_TRUE(in[0].tensor.data<bool>()[0]);
  EXPECT_FALSE(in[0].tensor.data<bool>()[1]);
  EXPECT_EQ(in[1].tensor.ToVector<int8_t>(), (std::vector<int8_t>{-128, 127}));
  EXPECT_EQ(in[2].tensor.ToVector<int16_t>(), (std::vector<int16_t>{-30000}));
  EXPECT_EQ(in[3].tensor.ToVector<int32_t>(), (std::vector<int32_t>{-7}));
  EXPECT_EQ(in[4].tensor.ToVector<uint8_t>(), (std::vector<uint8_t>{255}));
  EXPECT_EQ(in[5].tensor.ToVector<uint16_t>(), (std::vector<uint16_t>{65535}));
  EXPECT_EQ(in[6].tensor.ToVector<uint32_t>(), (std::vector<uint32_t>{4000000000u}));
  EXPECT_EQ(in[7].tensor.ToVector<uint64_t>(), (std::vector<uint64_t>{1ULL << 63}));
  EXPECT_EQ(in[8].tensor.ToVector<double>(), (std::vector<double>{2.25}));
  EXPECT_EQ(in[9].tensor.dtype(), DataType::kString);
  EXPECT_EQ(in[9].tensor.data<std::string>()[0], "ab");
  EXPECT_EQ(in[9].tensor.data<std::string>()[1], std::string("\0z", 2));
}

TEST(GrpcInferRequestDecoder, RawHalfBoolAndBytes) {
  auto request = NewRequest();
  AddInput(request.get(), "h", "FP16", {2});
  request->add_raw_input_contents(RawBytes(std::vector<uint16_t>{0x3c00, 0xc000}));
  AddInput(request.get(), "bf", "BF16", {1});
  request->add_raw_input_contents(RawBytes(std::vector<uint16_t>{0x3f80}));
  AddInput(request.get(), "b", "BOOL", {3});
  request->add_raw_input_contents(std::string("\x01\x00\x07", 3));  // 7 reads as true
  AddInput(request.get(), "s", "BYTES", {2});
  request->add_raw_input_contents(std::string("\x02\0\0\0hi\x00\0\0\0", 10));
  auto decoded = DecodeGrpcInferRequest(request);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const auto& in = decoded->request.inputs;
  EXPECT_FLOAT_EQ(in[0].tensor.GetDouble(0), 1.0);
  EXPECT_FLOAT_EQ(in[0].tensor.GetDouble(1), -2.0);
  EXPECT_EQ(in[1].tensor.dtype(), DataType::kBFloat16);
  EXPECT_FLOAT_EQ(in[1].tensor.GetDouble(0), 1.0);
  EXPECT_EQ(in[2].tensor.ToVector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(in[3].tensor.data<std::string>()[0], "hi");
  EXPECT_EQ(in[3].tensor.data<std::string>()[1], "");
}

TEST(GrpcInferRequestDecoder, EmptyTensorsNeedNoData) {
  auto request = NewRequest();
  AddInput(request.get(), "x", "FP16", {0, 4});
  auto decoded = DecodeGrpcInferRequest(request);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->request.inputs[0].tensor.num_elements(), 0);
}

TEST(GrpcInferRequestDecoder, RejectsBadShapesAndDatatypes) {
  auto request = NewRequest();
  AddInput(request.get(), "x", "FP8", {1});
  ExpectInvalid(request, "unknown datatype 'FP8'");

  request = NewRequest();
  AddInput(request.get(), "x", "FP32", {2, -1})->mutable_contents()->add_fp32_contents(1);
  ExpectInvalid(request, "negative dimension");

  request = NewRequest();
  AddInput(request.get(), "x", "FP32", {1LL << 32, 1LL << 32, 0});
  ExpectInvalid(request, "too many elements");

  request = NewRequest();
  AddInput(request.get(), "x", "INT8", {std::numeric_limits<int64_t>::max()});
  request->add_raw_input_contents("abc");
  ExpectInvalid(request, "needs");

  request = NewRequest();
  AddInput(request.get(), "x", "FP64", {1LL << 62});
  request->add_raw_input_contents("abc");
  ExpectInvalid(request, "too large");
}

TEST(GrpcInferRequestDecoder, RejectsWrongByteSizesAndCounts) {
  auto request = NewRequest();
  AddInput(request.get(), "x", "INT32", {2, 2});
  request->add_raw_input_contents(std::string(15, '\0'));
  ExpectInvalid(request, "raw data has 15 bytes, INT32 shape [2,2] needs 16");

  request = NewRequest();
  AddInput(request.get(), "x", "FP32", {3})->mutable_contents()->add_fp32_contents(1);
  ExpectInvalid(request, "fp32_contents holds 1 elements, shape [3] needs 3");

  request = NewRequest();
  AddInput(request.get(), "x", "FP32", {1})->mutable_contents()->add_int_contents(1);
  ExpectInvalid(request, "expects its data in fp32_contents, got int_contents");

  request = NewRequest();
  AddInput(request.get(), "x", "FP16", {1})->mutable_contents()->add_fp32_contents(1);
  ExpectInvalid(request, "raw_input_contents");

  request = NewRequest();
  AddInput(request.get(), "x", "INT8", {1})->mutable_contents()->add_int_contents(300);
  ExpectInvalid(request, "out of range for INT8");

  request = NewRequest();
  AddInput(request.get(), "x", "UINT16", {1})->mutable_contents()->add_uint_contents(70000);
  ExpectInvalid(request, "out of range for UINT16");

  request = NewRequest();
  AddInput(request.get(), "s", "BYTES", {1});
  request->add_raw_input_contents(std::string("\x09\0\0\0abc", 7));
  ExpectInvalid(request, "claims 9 bytes, only 3 remain");

  request = NewRequest();
  AddInput(request.get(), "s", "BYTES", {2});
  request->add_raw_input_contents(std::string("\x01\0\0\0abcd", 8));
  ExpectInvalid(request, "holds 1 elements");

  request = NewRequest();
  AddInput(request.get(), "s", "BYTES", {1});
  request->add_raw_input_contents(std::string("\x01\0\0\0ab", 6));
  ExpectInvalid(request, "after the 1 elements");

  request = NewRequest();
  AddInput(request.get(), "s", "BYTES", {1000000});
  request->add_raw_input_contents(std::string(8, '\0'));
  ExpectInvalid(request, "cannot hold");
}

TEST(GrpcInferRequestDecoder, RejectsInconsistentRequests) {
  auto request = NewRequest();
  request->set_model_name("");
  ExpectInvalid(request, "model_name");

  request = NewRequest();
  AddInput(request.get(), "a", "INT32", {1});
  AddInput(request.get(), "b", "INT32", {1});
  request->add_raw_input_contents(std::string(4, '\0'));
  ExpectInvalid(request, "raw_input_contents has 1 entries for 2 inputs");

  request = NewRequest();
  AddInput(request.get(), "a", "INT32", {1})->mutable_contents()->add_int_contents(1);
  request->add_raw_input_contents(std::string(4, '\0'));
  ExpectInvalid(request, "has contents although the request uses raw_input_contents");

  request = NewRequest();
  AddInput(request.get(), "a", "INT32", {1})->mutable_contents()->add_int_contents(1);
  AddInput(request.get(), "a", "INT32", {1})->mutable_contents()->add_int_contents(1);
  ExpectInvalid(request, "appears twice");

  request = NewRequest();
  AddInput(request.get(), "a", "INT32", {1});
  ExpectInvalid(request, "has no data");

  request = NewRequest();
  (*request->mutable_parameters())["priority"].set_int64_param(-1);
  ExpectInvalid(request, "'priority' must be a non-negative integer");

  request = NewRequest();
  (*request->mutable_parameters())["timeout"].set_string_param("soon");
  ExpectInvalid(request, "'timeout' must be a non-negative integer");

  request = NewRequest();
  (*request->mutable_parameters())["big"].set_uint64_param(1ULL << 63);
  ExpectInvalid(request, "out of range");

  request = NewRequest();
  (*request->add_outputs()->mutable_parameters())["classification"].set_int64_param(2);
  ExpectInvalid(request, "has no name");

  request = NewRequest();
  auto* out = request->add_outputs();
  out->set_name("o");
  (*out->mutable_parameters())["classification"].set_int64_param(0);
  ExpectInvalid(request, "'classification' must be a positive integer");

  request = NewRequest();
  request->add_outputs()->set_name("o");
  request->add_outputs()->set_name("o");
  ExpectInvalid(request, "requested twice");
}

}  // namespace
}  // namespace kiln::server
