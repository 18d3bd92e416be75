#include "server/http/v2_documents.h"

#include <gtest/gtest.h>

namespace kiln::server {
namespace {

TEST(V2Documents, StatisticsFollowTritonsStatisticsExtension) {
  ModelStatistics stats("m", "2");
  RequestTimings timings;
  timings.total_ns = 1000;
  timings.queue_ns = 100;
  timings.compute_input_ns = 10;
  timings.compute_infer_ns = 800;
  timings.compute_output_ns = 20;
  stats.RecordSuccess(timings, 4);
  stats.RecordExecution(4, 10, 800, 20);
  stats.RecordFailure(50);
  ModelStatisticsSnapshot snapshot = stats.Snapshot();
  snapshot.last_inference_ms = 1700000000000;
  EXPECT_EQ(ModelStatisticsJson({snapshot}),
            R"({"model_stats":[{"name":"m","version":"2","last_inference":1700000000000,"inference_count":4,)"
            R"("execution_count":1,"inference_stats":{"success":{"count":1,"ns":1000},"fail":{"count":1,"ns":50},)"
            R"("queue":{"count":1,"ns":100},"compute_input":{"count":1,"ns":10},"compute_infer":{"count":1,"ns":800},)"
            R"("compute_output":{"count":1,"ns":20},"cache_hit":{"count":0,"ns":0},"cache_miss":{"count":0,"ns":0}},)"
            R"("batch_stats":[{"batch_size":4,"compute_input":{"count":1,"ns":10},"compute_infer":{"count":1,"ns":800},)"
            R"("compute_output":{"count":1,"ns":20}}]}]})");
  EXPECT_EQ(ModelStatisticsJson({}), R"({"model_stats":[]})");
}

TEST(V2Documents, MetadataAndIndex) {
  EXPECT_EQ(ServerMetadataJson({"kiln", "0.1.0", {"statistics"}}),
            R"({"name":"kiln","version":"0.1.0","extensions":["statistics"]})");
  ModelMetadata model{"add", {"1", "2"}, "onnxruntime_onnx", {{"INPUT0", "INT32", {-1, 16}}}, {{"OUTPUT0", "INT32", {-1, 16}}}};
  EXPECT_EQ(ModelMetadataJson(model),
            R"({"name":"add","versions":["1","2"],"platform":"onnxruntime_onnx",)"
            R"("inputs":[{"name":"INPUT0","datatype":"INT32","shape":[-1,16]}],)"
            R"("outputs":[{"name":"OUTPUT0","datatype":"INT32","shape":[-1,16]}]})");
  EXPECT_EQ(RepositoryIndexJson({{"a", "1", "READY", ""}, {"b", "", "UNAVAILABLE", "bad \"dims\""}}),
            R"([{"name":"a","version":"1","state":"READY"},{"name":"b","state":"UNAVAILABLE","reason":"bad \"dims\""}])");
}

TEST(V2Documents, RepositoryRequestBodies) {
  EXPECT_FALSE(ParseRepositoryIndexRequest("").value());
  EXPECT_TRUE(ParseRepositoryIndexRequest(R"({"ready": true})").value());
  EXPECT_FALSE(ParseRepositoryIndexRequest(R"({"ready": 1})").ok());
  EXPECT_FALSE(ParseRepositoryIndexRequest("{").ok());

  EXPECT_FALSE(ParseLoadModelRequest("").value().config_json.has_value());
  EXPECT_EQ(ParseLoadModelRequest(R"({"parameters":{"config":"{\"max_batch_size\":4}"}})").value().config_json,
            R"({"max_batch_size":4})");
  EXPECT_EQ(ParseLoadModelRequest(R"({"parameters":{"file:1/model.onnx":"AAAA"}})").status().code(),
            StatusCode::kUnimplemented);
  EXPECT_EQ(ParseLoadModelRequest(R"({"parameters":{"config":3}})").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseLoadModelRequest(R"({"parameters":{"what":"x"}})").status().code(), StatusCode::kInvalidArgument);

  EXPECT_TRUE(ParseUnloadModelRequest("").ok());
  EXPECT_TRUE(ParseUnloadModelRequest(R"({"parameters":{"unload_dependents":true}})").ok());
  EXPECT_FALSE(ParseUnloadModelRequest(R"({"parameters":{"unload_dependents":"yes"}})").ok());
  EXPECT_FALSE(ParseUnloadModelRequest("[]").ok());
}

}  // namespace
}  // namespace kiln::server
