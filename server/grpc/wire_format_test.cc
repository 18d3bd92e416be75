// Wire compatibility of server/proto/grpc_service.proto with Triton's
// definition: field numbers checked on hand-decoded bytes, so a renumbered
// field (e.g. from KServe's documentation page) fails here.
#include <gtest/gtest.h>

#include <string>

#include "server/proto/grpc_service.pb.h"

namespace kiln::server {
namespace {

// A protobuf tag byte: field number << 3 | wire type (2 = length-delimited,
// 0 = varint).
constexpr char Tag(int field, int wire_type) { return static_cast<char>((field << 3) | wire_type); }

TEST(GrpcWireFormat, RawInputContentsIsField7OfModelInferRequest) {
  inference::ModelInferRequest request;
  request.add_raw_input_contents(std::string("\x01\x02\x03", 3));
  EXPECT_EQ(request.SerializeAsString(), std::string({Tag(7, 2), 3, 1, 2, 3}));
}

TEST(GrpcWireFormat, ModelInferRequestHeaderFields) {
  inference::ModelInferRequest request;
  request.set_model_name("m");
  request.set_model_version("2");
  request.set_id("x");
  EXPECT_EQ(request.SerializeAsString(), std::string({Tag(1, 2), 1, 'm', Tag(2, 2), 1, '2', Tag(3, 2), 1, 'x'}));

  inference::ModelInferRequest with_input;
  with_input.add_inputs()->set_name("a");  // inputs = 5, InferInputTensor.name = 1
  EXPECT_EQ(with_input.SerializeAsString(), std::string({Tag(5, 2), 3, Tag(1, 2), 1, 'a'}));

  inference::ModelInferRequest with_output;
  with_output.add_outputs()->set_name("o");  // outputs = 6
  EXPECT_EQ(with_output.SerializeAsString(), std::string({Tag(6, 2), 3, Tag(1, 2), 1, 'o'}));
}

TEST(GrpcWireFormat, InferInputTensorFields) {
  inference::ModelInferRequest::InferInputTensor input;
  input.set_datatype("B");  // 2
  input.add_shape(4);       // 3, packed
  input.mutable_contents()->add_bool_contents(true);  // 5 -> bool_contents 1, packed
  EXPECT_EQ(input.SerializeAsString(),
            std::string({Tag(2, 2), 1, 'B', Tag(3, 2), 1, 4, Tag(5, 2), 3, Tag(1, 2), 1, 1}));
}

TEST(GrpcWireFormat, InferTensorContentsNumbering) {
  // Triton: bool 1, int 2, int64 3, uint 4, uint64 5, fp32 6, fp64 7, bytes 8.
  // (KServe's documentation page starts with raw_contents = 1: wrong.)
  inference::InferTensorContents contents;
  contents.add_bool_contents(true);
  contents.add_int_contents(5);
  contents.add_int64_contents(6);
  contents.add_uint_contents(7);
  contents.add_uint64_contents(8);
  contents.add_fp32_contents(1.0f);  // 0x3f800000 little-endian
  contents.add_fp64_contents(2.0);   // 0x4000000000000000
  contents.add_bytes_contents("z");
  const std::string expected = {Tag(1, 2), 1, 1,                                        //
                                Tag(2, 2), 1, 5,                                        //
                                Tag(3, 2), 1, 6,                                        //
                                Tag(4, 2), 1, 7,                                        //
                                Tag(5, 2), 1, 8,                                        //
                                Tag(6, 2), 4, 0, 0, '\x80', '\x3f',                     //
                                Tag(7, 2), 8, 0, 0, 0, 0, 0, 0, 0, '\x40',              //
                                Tag(8, 2), 1, 'z'};
  EXPECT_EQ(contents.SerializeAsString(), expected);
}

TEST(GrpcWireFormat, ModelInferResponseAndStreamResponse) {
  inference::ModelInferResponse response;
  response.add_raw_output_contents("q");  // 6
  EXPECT_EQ(response.SerializeAsString(), std::string({Tag(6, 2), 1, 'q'}));

  inference::ModelStreamInferResponse stream;
  stream.set_error_message("e");             // 1
  stream.mutable_infer_response()->set_id("i");  // 2 -> id 3
  EXPECT_EQ(stream.SerializeAsString(), std::string({Tag(1, 2), 1, 'e', Tag(2, 2), 3, Tag(3, 2), 1, 'i'}));
}

TEST(GrpcWireFormat, InferParameterChoices) {
  inference::InferParameter p;
  p.set_int64_param(3);  // 2, varint
  EXPECT_EQ(p.SerializeAsString(), std::string({Tag(2, 0), 3}));
  p.set_bool_param(true);  // 1
  EXPECT_EQ(p.SerializeAsString(), std::string({Tag(1, 0), 1}));
  p.set_uint64_param(4);  // 5
  EXPECT_EQ(p.SerializeAsString(), std::string({Tag(5, 0), 4}));
}

TEST(GrpcWireFormat, DecodesHandWrittenTritonBytes) {
  // What a Triton client sends for: model "m", input "x" FP32 [1], raw data.
  const std::string wire = {Tag(1, 2), 1, 'm',                                  //
                            Tag(5, 2), 12,  // InferInputTensor: 3 + 6 + 3 bytes
                            Tag(1, 2), 1, 'x', Tag(2, 2), 4, 'F', 'P', '3', '2', Tag(3, 2), 1, 1,  //
                            Tag(7, 2), 4, 0, 0, '\x80', '\x3f'};
  inference::ModelInferRequest request;
  ASSERT_TRUE(request.ParseFromString(wire));
  EXPECT_EQ(request.model_name(), "m");
  ASSERT_EQ(request.inputs_size(), 1);
  EXPECT_EQ(request.inputs(0).name(), "x");
  EXPECT_EQ(request.inputs(0).datatype(), "FP32");
  ASSERT_EQ(request.inputs(0).shape_size(), 1);
  EXPECT_EQ(request.inputs(0).shape(0), 1);
  ASSERT_EQ(request.raw_input_contents_size(), 1);
  EXPECT_EQ(request.raw_input_contents(0), std::string({0, 0, '\x80', '\x3f'}));
}

TEST(GrpcWireFormat, StatisticsAndRepositoryNumbering) {
  inference::ModelStatistics stats;
  stats.mutable_inference_stats()->mutable_compute_infer()->set_ns(9);  // 6 -> 5 -> ns 2
  EXPECT_EQ(stats.SerializeAsString(), std::string({Tag(6, 2), 4, Tag(5, 2), 2, Tag(2, 0), 9}));

  inference::RepositoryModelLoadRequest load;
  load.set_model_name("m");  // 2
  EXPECT_EQ(load.SerializeAsString(), std::string({Tag(2, 2), 1, 'm'}));
}

}  // namespace
}  // namespace kiln::server
