#include "server/http/infer_request_decoder.h"

#include <gtest/gtest.h>

#include <cstring>

namespace kiln::server {
namespace {

std::shared_ptr<RequestBuffer> Body(const std::string& json, const std::string& binary = "") {
  auto body = std::make_shared<RequestBuffer>(json.size());
  body->Append(json.data(), json.size());
  body->Append(binary.data(), binary.size());
  return body;
}

Result<DecodedInferRequest> DecodeJson(const std::string& json) {
  return DecodeInferRequest(Body(json), std::nullopt, "m", "");
}

Result<DecodedInferRequest> DecodeWithBinary(const std::string& json, const std::string& binary) {
  const std::string length = std::to_string(json.size());
  return DecodeInferRequest(Body(json, binary), length, "m", "1");
}

std::string OneInput(const std::string& datatype, const std::string& shape, const std::string& data) {
  return R"({"inputs":[{"name":"x","datatype":")" + datatype + R"(","shape":)" + shape + R"(,"data":)" + data +
         "}]}";
}

template <typename T>
std::string Raw(const std::vector<T>& values) {
  std::string out(values.size() * sizeof(T), '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

const Tensor& OnlyTensor(const Result<DecodedInferRequest>& decoded) {
  EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->request.inputs.size(), 1u);
  return decoded->request.inputs.at(0).tensor;
}

void ExpectError(const Result<DecodedInferRequest>& decoded, const std::string& fragment) {
  ASSERT_FALSE(decoded.ok()) << "expected an error containing: " << fragment;
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(decoded.status().message().find(fragment), std::string::npos)
      << "message: " << decoded.status().message() << "\nexpected to contain: " << fragment;
}

TEST(InferRequestDecoder, JsonDataOfEveryNumericDatatype) {
  struct Case {
    const char* datatype;
    DataType dtype;
    const char* data;
    std::vector<double> expected;
  };
  const std::vector<Case> cases = {
      {"BOOL", DataType::kBool, "[true,false,true]", {1, 0, 1}},
      {"UINT8", DataType::kUInt8, "[0,255,7]", {0, 255, 7}},
      {"UINT16", DataType::kUInt16, "[0,65535,7]", {0, 65535, 7}},
      {"UINT32", DataType::kUInt32, "[0,4294967295,7]", {0, 4294967295.0, 7}},
      {"UINT64", DataType::kUInt64, "[0,1099511627776,7]", {0, 1099511627776.0, 7}},
      {"INT8", DataType::kInt8, "[-128,127,0]", {-128, 127, 0}},
      {"INT16", DataType::kInt16, "[-32768,32767,0]", {-32768, 32767, 0}},
      {"INT32", DataType::kInt32, "[-2147483648,2147483647,0]", {-2147483648.0, 2147483647.0, 0}},
      {"INT64", DataType::kInt64, "[-1099511627776,5,0]", {-1099511627776.0, 5, 0}},
      {"FP16", DataType::kFloat16, "[1.5,-2,65504]", {1.5, -2, 65504}},
      {"FP32", DataType::kFloat, "[0.5,-3.25,1e10]", {0.5, -3.25, 1e10}},
      {"FP64", DataType::kDouble, "[0.1,-1e300,3]", {0.1, -1e300, 3}},
      {"BF16", DataType::kBFloat16, "[1.0,-2.5,256]", {1.0, -2.5, 256}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.datatype);
    auto decoded = DecodeJson(OneInput(c.datatype, "[3]", c.data));
    const Tensor& tensor = OnlyTensor(decoded);
    ASSERT_EQ(tensor.dtype(), c.dtype);
    ASSERT_EQ(tensor.shape(), Shape({3}));
    for (int64_t i = 0; i < 3; ++i) EXPECT_EQ(tensor.GetDouble(i), c.expected[static_cast<size_t>(i)]);
  }
  // Integers at the ends of the 64-bit ranges survive exactly.
  auto decoded = DecodeJson(OneInput("INT64", "[2]", "[-9223372036854775808,9223372036854775807]"));
  EXPECT_EQ(OnlyTensor(decoded).ToVector<int64_t>(),
            (std::vector<int64_t>{INT64_MIN, INT64_MAX}));
  decoded = DecodeJson(OneInput("UINT64", "[1]", "[18446744073709551615]"));
  EXPECT_EQ(OnlyTensor(decoded).ToVector<uint64_t>(), std::vector<uint64_t>{UINT64_MAX});
}

TEST(InferRequestDecoder, JsonBytesAreStrings) {
  auto decoded = DecodeJson(OneInput("BYTES", "[2,2]", R"(["a","",["x\u00e9y","\u0000z"]])"));
  const Tensor& tensor = OnlyTensor(decoded);
  ASSERT_EQ(tensor.dtype(), DataType::kString);
  const std::string* s = tensor.data<std::string>();
  EXPECT_EQ(s[0], "a");
  EXPECT_EQ(s[1], "");
  EXPECT_EQ(s[2], "x\xc3\xa9y");
  EXPECT_EQ(s[3], std::string("\0z", 2));
}

TEST(InferRequestDecoder, NestedDataIsFlattenedRowMajor) {
  auto decoded = DecodeJson(OneInput("INT32", "[2,3]", "[[1,2,3],[4,5,6]]"));
  EXPECT_EQ(OnlyTensor(decoded).ToVector<int32_t>(), (std::vector<int32_t>{1, 2, 3, 4, 5, 6}));
  decoded = DecodeJson(OneInput("FP32", "[2,1,2]", "[[[1.5,2]],[[3,4]]]"));
  EXPECT_EQ(OnlyTensor(decoded).ToVector<float>(), (std::vector<float>{1.5f, 2, 3, 4}));
  decoded = DecodeJson(OneInput("FP32", "[]", "[7]"));  // a scalar
  EXPECT_EQ(OnlyTensor(decoded).ToVector<float>(), std::vector<float>{7});
  decoded = DecodeJson(OneInput("FP32", "[0,4]", "[]"));  // empty
  EXPECT_EQ(OnlyTensor(decoded).num_elements(), 0);
}

TEST(InferRequestDecoder, BinaryDataOfEveryNumericDatatypeIsBorrowedFromTheBody) {
  struct Case {
    const char* datatype;
    DataType dtype;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {"BOOL", DataType::kBool, std::string("\x01\x00\x01\x01", 4)},
      {"UINT8", DataType::kUInt8, Raw<uint8_t>({1, 2, 250, 4})},
      {"UINT16", DataType::kUInt16, Raw<uint16_t>({1, 2, 65000, 4})},
      {"UINT32", DataType::kUInt32, Raw<uint32_t>({1, 2, 4000000000u, 4})},
      {"UINT64", DataType::kUInt64, Raw<uint64_t>({1, 2, UINT64_MAX, 4})},
      {"INT8", DataType::kInt8, Raw<int8_t>({1, -2, 3, -128})},
      {"INT16", DataType::kInt16, Raw<int16_t>({1, -2, 3, -32768})},
      {"INT32", DataType::kInt32, Raw<int32_t>({1, -2, 3, INT32_MIN})},
      {"INT64", DataType::kInt64, Raw<int64_t>({1, -2, 3, INT64_MIN})},
      {"FP16", DataType::kFloat16, Raw<uint16_t>({0x3c00, 0xc000, 0x7bff, 0})},
      {"FP32", DataType::kFloat, Raw<float>({1.5f, -2, 3, 1e-30f})},
      {"FP64", DataType::kDouble, Raw<double>({1.5, -2, 3, 1e-300})},
      {"BF16", DataType::kBFloat16, Raw<uint16_t>({0x3f80, 0xc020, 0, 0x4380})},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.datatype);
    const std::string json = R"({"inputs":[{"name":"x","datatype":")" + std::string(c.datatype) +
                             R"(","shape":[2,2],"parameters":{"binary_data_size":)" +
                             std::to_string(c.bytes.size()) + "}}]}";
    auto body = Body(json, c.bytes);
    auto decoded = DecodeInferRequest(body, std::to_string(json.size()), "m", "");
    const Tensor& tensor = OnlyTensor(decoded);
    ASSERT_EQ(tensor.dtype(), c.dtype);
    ASSERT_EQ(tensor.shape(), Shape({2, 2}));
    EXPECT_EQ(std::memcmp(tensor.raw_data(), c.bytes.data(), c.bytes.size()), 0);
    // Not copied: the tensor points into the request body.
    EXPECT_EQ(tensor.raw_data(), body->data() + json.size());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(tensor.raw_data()) % RequestBuffer::kAlignment, 0u);
  }
}

TEST(InferRequestDecoder, BorrowedTensorKeepsTheBodyAlive) {
  const std::string json = R"({"inputs":[{"name":"x","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}}]})";
  Tensor tensor;
  {
    auto body = Body(json, Raw<float>({4, 5}));
    auto decoded = DecodeInferRequest(body, std::to_string(json.size()), "m", "");
    ASSERT_TRUE(decoded.ok());
    tensor = decoded->request.inputs[0].tensor;
  }
  EXPECT_EQ(tensor.ToVector<float>(), (std::vector<float>{4, 5}));
}

TEST(InferRequestDecoder, BinaryBytesAreLengthPrefixed) {
  std::string binary;
  for (const std::string& element : {std::string("ab"), std::string(""), std::string("\0\xff", 2)}) {
    const uint32_t length = static_cast<uint32_t>(element.size());
    binary.append(reinterpret_cast<const char*>(&length), 4);
    binary += element;
  }
  const std::string json = R"({"inputs":[{"name":"s","datatype":"BYTES","shape":[3],"parameters":{"binary_data_size":)" +
                           std::to_string(binary.size()) + "}}]}";
  auto decoded = DecodeWithBinary(json, binary);
  const Tensor& tensor = OnlyTensor(decoded);
  ASSERT_EQ(tensor.dtype(), DataType::kString);
  EXPECT_EQ(tensor.data<std::string>()[0], "ab");
  EXPECT_EQ(tensor.data<std::string>()[1], "");
  EXPECT_EQ(tensor.data<std::string>()[2], std::string("\0\xff", 2));
}

TEST(InferRequestDecoder, MixesJsonAndBinaryInputsInOrder) {
  const std::string json =
      R"({"id":"r1","inputs":[{"name":"a","datatype":"INT32","shape":[2],"parameters":{"binary_data_size":8}},)"
      R"({"name":"b","datatype":"INT32","shape":[1],"data":[9]},)"
      R"({"name":"c","datatype":"INT8","shape":[3],"parameters":{"binary_data_size":3}}]})";
  auto decoded = DecodeWithBinary(json, Raw<int32_t>({1, 2}) + Raw<int8_t>({-1, -2, -3}));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const auto& inputs = decoded->request.inputs;
  ASSERT_EQ(inputs.size(), 3u);
  EXPECT_EQ(inputs[0].tensor.ToVector<int32_t>(), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(inputs[1].tensor.ToVector<int32_t>(), std::vector<int32_t>{9});
  EXPECT_EQ(inputs[2].tensor.ToVector<int8_t>(), (std::vector<int8_t>{-1, -2, -3}));
  EXPECT_EQ(decoded->request.id, "r1");
  EXPECT_EQ(decoded->request.model_version, "1");
}

TEST(InferRequestDecoder, UnalignedBinaryDataIsCopiedNotMisread) {
  const std::string json =
      R"({"inputs":[{"name":"a","datatype":"INT8","shape":[1],"parameters":{"binary_data_size":1}},)"
      R"({"name":"b","datatype":"FP64","shape":[2],"parameters":{"binary_data_size":16}}]})";
  auto decoded = DecodeWithBinary(json, Raw<int8_t>({5}) + Raw<double>({0.25, -8}));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const Tensor& b = decoded->request.inputs[1].tensor;
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.raw_data()) % alignof(double), 0u);
  EXPECT_EQ(b.ToVector<double>(), (std::vector<double>{0.25, -8}));
}

TEST(InferRequestDecoder, ParametersOutputsAndSchedulingFields) {
  auto decoded = DecodeJson(
      R"({"id":"42","parameters":{"priority":2,"timeout":5000,"binary_data_output":true,"sequence_id":7,"tag":"t","flag":false},)"
      R"("inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1],"parameters":{"note":"n"}}],)"
      R"("outputs":[{"name":"y","parameters":{"binary_data":false}},{"name":"z","parameters":{"classification":3,"extra":1}}]})");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const InferRequest& request = decoded->request;
  EXPECT_EQ(request.id, "42");
  EXPECT_EQ(request.priority, 2u);
  EXPECT_EQ(request.timeout_us, 5000u);
  EXPECT_EQ(request.parameters.size(), 3u);
  EXPECT_EQ(std::get<int64_t>(request.parameters.at("sequence_id")), 7);
  EXPECT_EQ(std::get<std::string>(request.parameters.at("tag")), "t");
  EXPECT_EQ(std::get<bool>(request.parameters.at("flag")), false);
  EXPECT_EQ(std::get<std::string>(request.inputs[0].parameters.at("note")), "n");
  ASSERT_EQ(request.outputs.size(), 2u);
  EXPECT_EQ(request.outputs[1].classification, 3u);
  EXPECT_EQ(std::get<int64_t>(request.outputs[1].parameters.at("extra")), 1);
  EXPECT_FALSE(decoded->output_format.IsBinary("y"));  // explicit false wins over binary_data_output
  EXPECT_TRUE(decoded->output_format.IsBinary("z"));
}

TEST(InferRequestDecoder, MalformedRequestsAreRejectedWithPreciseMessages) {
  ExpectError(DecodeJson("{\"inputs\": ["), "malformed JSON");
  ExpectError(DecodeJson(""), "malformed JSON");
  ExpectError(DecodeJson("[1]"), "must be a JSON object, not an array");
  ExpectError(DecodeJson("{}"), "missing 'inputs'");
  ExpectError(DecodeJson(R"({"inputs":{}})"), "'inputs' must be an array");
  ExpectError(DecodeJson(R"({"inputs":[7]})"), "every input must be an object");
  ExpectError(DecodeJson(R"({"inputs":[{"datatype":"FP32","shape":[1],"data":[1]}]})"), "input: missing 'name'");
  ExpectError(DecodeJson(R"({"inputs":[{"name":"x","shape":[1],"data":[1]}]})"), "input 'x': missing 'datatype'");
  ExpectError(DecodeJson(R"({"inputs":[{"name":"x","datatype":"FP32","data":[1]}]})"), "input 'x': missing 'shape'");
  ExpectError(DecodeJson(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1]}]})"), "input 'x': missing 'data'");
  ExpectError(DecodeJson(OneInput("FP8", "[1]", "[1]")), "input 'x': unknown datatype 'FP8'");
  ExpectError(DecodeJson(OneInput("FP32", "[-1]", "[1]")), "'shape' must hold non-negative integers");
  ExpectError(DecodeJson(OneInput("FP32", "[1.5]", "[1]")), "'shape' must hold non-negative integers");
  ExpectError(DecodeJson(OneInput("FP32", "\"3\"", "[1]")), "'shape' must be an array");
  ExpectError(DecodeJson(OneInput("FP32", "[4294967296,4294967296,4294967296]", "[1]")), "has too many elements");
  ExpectError(DecodeJson(OneInput("FP32", "[2,3]", "[1,2]")), "'data' has 2 elements but shape [2,3] needs 6");
  ExpectError(DecodeJson(OneInput("FP32", "[1]", "[1,2]")), "'data' has 2 elements but shape [1] needs 1");
  ExpectError(DecodeJson(OneInput("FP32", "[1]", "1")), "'data' must be an array, not a number");
  ExpectError(DecodeJson(OneInput("INT32", "[1]", "[\"a\"]")), "data element 0 must be an integer in range for INT32, not a string");
  ExpectError(DecodeJson(OneInput("INT32", "[2]", "[1,1.5]")), "data element 1 must be an integer in range for INT32");
  ExpectError(DecodeJson(OneInput("INT8", "[1]", "[300]")), "for INT8");
  ExpectError(DecodeJson(OneInput("UINT8", "[1]", "[-1]")), "must be a non-negative integer in range for UINT8");
  ExpectError(DecodeJson(OneInput("BOOL", "[1]", "[1]")), "must be true or false for BOOL, not a number");
  ExpectError(DecodeJson(OneInput("FP32", "[1]", "[null]")), "must be a number for FP32, not null");
  ExpectError(DecodeJson(OneInput("BYTES", "[1]", "[3]")), "must be a string for BYTES");
  ExpectError(DecodeJson(std::string(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":)") +
                         std::string(40, '[') + "1" + std::string(40, ']') + "}]}"),
              "nested deeper than 32 levels");
  ExpectError(DecodeJson(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1]},)"
                         R"({"name":"x","datatype":"FP32","shape":[1],"data":[1]}]})"),
              "input 'x' appears more than once");
  ExpectError(DecodeJson(R"({"id":5,"inputs":[]})"), "'id' must be a string");
  ExpectError(DecodeJson(R"({"parameters":[],"inputs":[]})"), "'parameters' must be an object");
  ExpectError(DecodeJson(R"({"parameters":{"p":1.5},"inputs":[]})"), "parameter 'p' must be a bool, an integer or a string");
  ExpectError(DecodeJson(R"({"parameters":{"priority":-1},"inputs":[]})"), "parameter 'priority' must be a non-negative integer");
  ExpectError(DecodeJson(R"({"parameters":{"binary_data_output":1},"inputs":[]})"), "'binary_data_output' must be a bool");
  ExpectError(DecodeJson(R"({"inputs":[],"outputs":[{"name":"y","parameters":{"classification":0}}]})"),
              "output 'y': parameter 'classification' must be a positive integer");
  ExpectError(DecodeJson(R"({"inputs":[],"outputs":[{"name":"y","parameters":{"binary_data":"yes"}}]})"),
              "output 'y': parameter 'binary_data' must be a bool");
  ExpectError(DecodeJson(R"({"inputs":[],"outputs":[{"name":"y"},{"name":"y"}]})"), "requested more than once");
  ExpectError(DecodeJson(R"({"inputs":[],"outputs":[{}]})"), "output: missing 'name'");
}

TEST(InferRequestDecoder, MalformedBinaryDataIsRejected) {
  const auto json = [](const std::string& datatype, const std::string& shape, size_t size) {
    return R"({"inputs":[{"name":"x","datatype":")" + datatype + R"(","shape":)" + shape +
           R"(,"parameters":{"binary_data_size":)" + std::to_string(size) + "}}]}";
  };
  ExpectError(DecodeWithBinary(json("FP32", "[3]", 8), Raw<float>({1, 2})),
              "input 'x': binary_data_size 8 does not match shape [3] of FP32 (12 bytes)");
  ExpectError(DecodeWithBinary(json("FP32", "[2]", 8), Raw<float>({1})), "runs past the end of the body");
  ExpectError(DecodeWithBinary(json("FP32", "[1]", 4), Raw<float>({1, 2})), "4 bytes of binary data after the JSON header belong to no input");
  ExpectError(DecodeWithBinary(json("BOOL", "[2]", 2), std::string("\x01\x02", 2)), "BOOL element 1 is neither 0 nor 1");
  ExpectError(DecodeWithBinary(json("BYTES", "[1]", 2), std::string("\x05\x00", 2)), "ends inside the length of BYTES element 0");
  ExpectError(DecodeWithBinary(json("BYTES", "[1]", 6), std::string("\x05\x00\x00\x00" "ab", 6)),
              "BYTES element 0 of 5 bytes runs past binary_data_size 6");
  ExpectError(DecodeWithBinary(json("BYTES", "[1]", 7), std::string("\x01\x00\x00\x00" "abc", 7)),
              "holds more than the 1 BYTES elements");
  ExpectError(DecodeInferRequest(Body(json("FP32", "[1]", 4), Raw<float>({1})), std::nullopt, "m", ""),
              "has binary_data_size but the request has no Inference-Header-Content-Length header");
  ExpectError(DecodeWithBinary(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1],"parameters":{"binary_data_size":4}}]})",
                               Raw<float>({1})),
              "has both 'data' and binary_data_size");
  ExpectError(DecodeInferRequest(Body("{}"), "100", "m", ""), "Inference-Header-Content-Length 100 exceeds the body of 2 bytes");
  ExpectError(DecodeInferRequest(Body("{}"), "x1", "m", ""), "Inference-Header-Content-Length 'x1' is not a byte count");
}

}  // namespace
}  // namespace kiln::server
