#include "server/repository/config_validator.h"

#include <gtest/gtest.h>

#include "server/core/testing/test_repository.h"
#include "server/repository/auto_complete.h"
#include "server/repository/config_loader.h"

namespace kiln::server {
namespace {

// The "simple" model's signature: INT32 INPUT0/INPUT1 [-1,16] -> OUTPUT0/1.
ModelSignature Simple() {
  ModelSignature s;
  for (const char* name : {"INPUT0", "INPUT1"}) s.inputs.push_back({name, DataType::kInt32, std::vector<int64_t>{-1, 16}, false});
  for (const char* name : {"OUTPUT0", "OUTPUT1"}) s.outputs.push_back({name, DataType::kInt32, std::vector<int64_t>{-1, 16}, false});
  return s;
}

inference::ModelConfig Parse(const std::string& text) {
  auto config = ParseModelConfigText(text, "config.pbtxt");
  EXPECT_TRUE(config.ok()) << config.status().message();
  return config.ok() ? *config : inference::ModelConfig();
}

// Completes then validates, as a load does.
Status Check(inference::ModelConfig config, const ModelSignature& model = Simple(), const std::string& dir = "/tmp") {
  KILN_RETURN_IF_ERROR(AutoCompleteConfig("simple", model, &config));
  return ValidateModelConfig("simple", dir, model, config);
}

void ExpectError(const Status& status, const std::string& fragment) {
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find(fragment), std::string::npos) << status.message();
}

TEST(AutoCompleteTest, EmptyConfigIsDerivedFromTheModel) {
  inference::ModelConfig config;
  ASSERT_TRUE(AutoCompleteConfig("simple", Simple(), &config).ok());
  EXPECT_EQ(config.name(), "simple");
  EXPECT_EQ(config.platform(), "onnxruntime_onnx");
  EXPECT_EQ(config.backend(), "onnxruntime");
  EXPECT_EQ(config.max_batch_size(), kDefaultMaxBatchSize);
  EXPECT_TRUE(config.has_dynamic_batching());
  ASSERT_EQ(config.input_size(), 2);
  EXPECT_EQ(config.input(0).data_type(), inference::TYPE_INT32);
  ASSERT_EQ(config.input(0).dims_size(), 1);
  EXPECT_EQ(config.input(0).dims(0), 16);
  ASSERT_EQ(config.output_size(), 2);
  ASSERT_EQ(config.instance_group_size(), 1);
  EXPECT_EQ(config.instance_group(0).count(), 1);
  EXPECT_EQ(config.instance_group(0).kind(), inference::ModelInstanceGroup::KIND_CPU);
  EXPECT_TRUE(ValidateModelConfig("simple", "/tmp", Simple(), config).ok());
}

TEST(AutoCompleteTest, FixedFirstDimensionMeansNoBatching) {
  ModelSignature model;
  model.inputs.push_back({"x", DataType::kFloat, std::vector<int64_t>{1, 3}, false});
  model.outputs.push_back({"y", DataType::kFloat, std::vector<int64_t>{1, -1}, false});
  inference::ModelConfig config;
  ASSERT_TRUE(AutoCompleteConfig("m", model, &config).ok());
  EXPECT_EQ(config.max_batch_size(), 0);
  EXPECT_FALSE(config.has_dynamic_batching());
  EXPECT_EQ(config.input(0).dims_size(), 2);
  EXPECT_EQ(config.output(0).dims(1), -1);
}

TEST(AutoCompleteTest, PartialConfigKeepsWhatItSays) {
  auto config = Parse("max_batch_size: 2\ninput [ { name: \"INPUT0\" }, { name: \"INPUT1\" data_type: TYPE_INT32 dims: [16] } ]");
  ASSERT_TRUE(AutoCompleteConfig("simple", Simple(), &config).ok());
  EXPECT_EQ(config.max_batch_size(), 2);
  EXPECT_FALSE(config.has_dynamic_batching());
  EXPECT_EQ(config.input(0).data_type(), inference::TYPE_INT32);
  EXPECT_EQ(config.input(0).dims(0), 16);
  EXPECT_EQ(config.output_size(), 2);  // outputs filled in
}

TEST(ConfigValidatorTest, AcceptsTheTritonSimpleConfig) {
  EXPECT_TRUE(Check(Parse(R"(
name: "simple"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 16 ] }, { name: "INPUT1" data_type: TYPE_INT32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 16 ] }, { name: "OUTPUT1" data_type: TYPE_INT32 dims: [ 16 ] } ]
)")).ok());
  EXPECT_TRUE(Check(Parse("backend: \"onnxruntime\"\nmax_batch_size: 1")).ok());
}

TEST(ConfigValidatorTest, NamesTheFieldThatDisagrees) {
  ExpectError(Check(Parse("name: \"other\"")), "name:");
  ExpectError(Check(Parse("platform: \"tensorflow_savedmodel\"")), "platform");
  ExpectError(Check(Parse("backend: \"pytorch\"")), "backend");
  ExpectError(Check(Parse("max_batch_size: -1")), "max_batch_size");
  ExpectError(Check(Parse("max_batch_size: 4\ninput [ { name: \"INPUT0\" data_type: TYPE_FP32 dims: [16] } ]")),
              "input 'INPUT0': data_type TYPE_FP32 does not match the model's TYPE_INT32");
  ExpectError(Check(Parse("max_batch_size: 4\ninput [ { name: \"INPUT0\" data_type: TYPE_INT32 dims: [15] } ]")),
              "input 'INPUT0': dims [15]");
  ExpectError(Check(Parse("max_batch_size: 4\ninput [ { name: \"INPUT0\" data_type: TYPE_INT32 dims: [-1] } ]")),
              "dims [-1]");
  ExpectError(Check(Parse("max_batch_size: 4\ninput [ { name: \"BOGUS\" data_type: TYPE_INT32 dims: [16] } ]")),
              "input 'BOGUS': the model has no such input");
  ExpectError(Check(Parse("max_batch_size: 4\ninput [ { name: \"INPUT0\" data_type: TYPE_INT32 dims: [16] } ]")),
              "'INPUT1' is missing");
  ExpectError(Check(Parse("max_batch_size: 4\noutput [ { name: \"OUTPUT9\" data_type: TYPE_INT32 dims: [16] } ]")),
              "output 'OUTPUT9'");
  // Without batching the model's dynamic first dimension must be in dims.
  ExpectError(Check(Parse("max_batch_size: 0\ninput [ { name: \"INPUT0\" data_type: TYPE_INT32 dims: [16] } ]")),
              "input 'INPUT0': dims [16]");
  EXPECT_TRUE(Check(Parse("max_batch_size: 0\ninput [ { name: \"INPUT0\" data_type: TYPE_INT32 dims: [-1, 16] }, "
                          "{ name: \"INPUT1\" data_type: TYPE_INT32 dims: [3, 16] } ]")).ok());
  ExpectError(Check(Parse("instance_group [ { kind: KIND_GPU } ]")), "GPU");
  ExpectError(Check(Parse("sequence_batching { }")), "sequence_batching");
  ExpectError(Check(Parse("max_batch_size: 4\ndynamic_batching { preferred_batch_size: [ 8 ] }")), "preferred_batch_size");
  ExpectError(Check(Parse("max_batch_size: 4\ninput [ { name: \"INPUT0\" data_type: TYPE_INT32 dims: [16] optional: true } ]")),
              "optional");
}

TEST(ConfigValidatorTest, MaxBatchSizeNeedsADynamicFirstDimension) {
  ModelSignature model;
  model.inputs.push_back({"x", DataType::kFloat, std::vector<int64_t>{1, 3}, false});
  model.outputs.push_back({"y", DataType::kFloat, std::vector<int64_t>{1, 3}, false});
  auto config = Parse("name: \"simple\"\nmax_batch_size: 8");
  ExpectError(Check(config, model), "max_batch_size 8 needs a variable first (batch) dimension");
}

TEST(ConfigValidatorTest, Reshape) {
  ModelSignature model;
  model.inputs.push_back({"x", DataType::kFloat, std::vector<int64_t>{-1, 2, 3}, false});
  model.outputs.push_back({"y", DataType::kFloat, std::vector<int64_t>{-1, 6}, false});
  EXPECT_TRUE(Check(Parse("max_batch_size: 2\ninput [ { name: \"x\" data_type: TYPE_FP32 dims: [6] reshape: { shape: [2, 3] } } ]"),
                    model).ok());
  ExpectError(Check(Parse("max_batch_size: 2\ninput [ { name: \"x\" data_type: TYPE_FP32 dims: [7] reshape: { shape: [2, 3] } } ]"),
                    model),
              "reshape.shape [2,3] does not hold the same number of elements as dims [7]");
  ExpectError(Check(Parse("max_batch_size: 2\ninput [ { name: \"x\" data_type: TYPE_FP32 dims: [6] reshape: { shape: [3, 2] } } ]"),
                    model),
              "reshape.shape [3,2] do not match");
}

TEST(ConfigValidatorTest, LabelFileMustExistInsideTheModelFolder) {
  testing::TestRepository repo;
  repo.WriteFile("simple", "labels.txt", "a\nb\n");
  const std::string dir = repo.ModelDir("simple");
  auto with_label = [](const std::string& file) {
    return Parse("max_batch_size: 4\noutput [ { name: \"OUTPUT0\" data_type: TYPE_INT32 dims: [16] label_filename: \"" +
                 file + "\" } ]");
  };
  EXPECT_TRUE(Check(with_label("labels.txt"), Simple(), dir).ok());
  ExpectError(Check(with_label("missing.txt"), Simple(), dir), "label_filename 'missing.txt' does not exist");
  ExpectError(Check(with_label("../labels.txt"), Simple(), dir), "must not leave the model folder");
  ExpectError(Check(with_label("/etc/passwd"), Simple(), dir), "relative");
}

}  // namespace
}  // namespace kiln::server
