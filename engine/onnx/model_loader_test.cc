#include "engine/onnx/model_loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/runtime/session.h"
#include "tests/support/model_builder.h"

namespace kiln::onnx_import {
namespace {

namespace fs = std::filesystem;

class ModelLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kiln_loader_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Y = X + W where W lives in an external data file at `location`.
  std::string SaveWithExternalWeights(const std::string& location, int64_t length) {
    testing::ModelBuilder b;
    b.Input("X", DataType::kFloat, {4}).Node("Add", {"X", "W"}, {"Y"}).Output("Y", DataType::kFloat, {4});
    auto* w = b.proto().mutable_graph()->add_initializer();
    w->set_name("W");
    w->set_data_type(onnx::TensorProto::FLOAT);
    w->add_dims(4);
    w->set_data_location(onnx::TensorProto::EXTERNAL);
    auto add = [&](const std::string& k, const std::string& v) {
      auto* e = w->add_external_data();
      e->set_key(k);
      e->set_value(v);
    };
    add("location", location);
    add("offset", "8");
    add("length", std::to_string(length));
    std::string path = (dir_ / "model.onnx").string();
    b.Save(path);
    return path;
  }

  fs::path dir_;
};

TEST_F(ModelLoaderTest, ReadsExternalData) {
  float weights[6] = {0, 0, 1, 2, 3, 4};  // 8 bytes of padding, then 4 floats
  std::ofstream(dir_ / "weights.bin", std::ios::binary).write(reinterpret_cast<const char*>(weights), sizeof weights);
  auto session = Session::Create(SaveWithExternalWeights("weights.bin", 16));
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto out = (*session)->Run({{"X", Tensor::FromVector<float>({4}, {10, 10, 10, 10})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].tensor().ToVector<float>(), (std::vector<float>{11, 12, 13, 14}));
}

TEST_F(ModelLoaderTest, RejectsTruncatedExternalData) {
  float weights[3] = {0, 0, 1};
  std::ofstream(dir_ / "weights.bin", std::ios::binary).write(reinterpret_cast<const char*>(weights), sizeof weights);
  auto model = LoadModelFile(SaveWithExternalWeights("weights.bin", 16));
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("truncated"), std::string::npos) << model.status().message();
}

TEST_F(ModelLoaderTest, RefusesExternalDataOutsideTheModelFolder) {
  auto model = LoadModelFile(SaveWithExternalWeights("../../etc/passwd", 16));
  ASSERT_FALSE(model.ok());
  EXPECT_TRUE(model.status().IsInvalidArgument() || model.status().code() == StatusCode::kNotFound);
}

TEST_F(ModelLoaderTest, MissingExternalFileIsNamed) {
  auto model = LoadModelFile(SaveWithExternalWeights("absent.bin", 16));
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("absent.bin"), std::string::npos) << model.status().message();
}

}  // namespace
}  // namespace kiln::onnx_import
