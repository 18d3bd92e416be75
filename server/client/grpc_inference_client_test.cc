#include "server/client/grpc_inference_client.h"

#include <gtest/gtest.h>

#include "server/proto/grpc_service.pb.h"

namespace kiln::server {
namespace {

TEST(GrpcInferenceClient, PutsInputsInRawContents) {
  inference::ModelInferRequest request;
  FillGrpcInferRequest("m", "2", {{"X", "FP32", {1, 2}, std::string(8, '\x07')}}, request);
  EXPECT_EQ(request.model_name(), "m");
  EXPECT_EQ(request.model_version(), "2");
  ASSERT_EQ(request.inputs_size(), 1);
  EXPECT_EQ(request.inputs(0).shape_size(), 2);
  ASSERT_EQ(request.raw_input_contents_size(), 1);
  EXPECT_EQ(request.raw_input_contents(0), std::string(8, '\x07'));
}

TEST(GrpcInferenceClient, ReadsRawAndTypedOutputs) {
  inference::ModelInferResponse raw;
  auto* out = raw.add_outputs();
  out->set_name("Y");
  out->set_datatype("INT32");
  out->add_shape(1);
  raw.add_raw_output_contents(std::string("\x05\x00\x00\x00", 4));
  auto decoded = DecodeGrpcInferResponse(raw);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ((*decoded)[0].data, std::string("\x05\x00\x00\x00", 4));

  inference::ModelInferResponse typed;
  auto* t = typed.add_outputs();
  t->set_name("Y");
  t->set_datatype("INT16");
  t->add_shape(2);
  t->mutable_contents()->add_int_contents(-1);
  t->mutable_contents()->add_int_contents(3);
  decoded = DecodeGrpcInferResponse(typed);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ((*decoded)[0].data, std::string("\xff\xff\x03\x00", 4));

  raw.add_raw_output_contents("extra");
  EXPECT_FALSE(DecodeGrpcInferResponse(raw).ok());
}

TEST(GrpcInferenceClient, ReadsStatistics) {
  inference::ModelStatisticsResponse response;
  auto* m = response.add_model_stats();
  m->set_name("m");
  m->set_execution_count(4);
  m->mutable_inference_stats()->mutable_queue()->set_ns(77);
  auto* b = m->add_batch_stats();
  b->set_batch_size(8);
  b->mutable_compute_infer()->set_count(3);
  auto stats = DecodeGrpcModelStatistics(response);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].execution_count, 4u);
  EXPECT_EQ(stats[0].queue.ns, 77u);
  EXPECT_EQ(stats[0].batch_size_counts.at(8), 3u);
}

}  // namespace
}  // namespace kiln::server
