// TestRepository: a model repository in a fresh temporary folder, filled by
// tests with small ONNX models (tests/support/model_builder.h) and
// config.pbtxt text; removed on destruction. Test-only.
#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "tests/support/model_builder.h"

namespace kiln::server::testing {

class TestRepository {
 public:
  TestRepository() {
    static std::atomic<int> counter{0};
    root_ = std::filesystem::temp_directory_path() /
            ("kiln_repo_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  ~TestRepository() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  std::string path() const { return root_.string(); }
  std::string ModelDir(const std::string& model) const { return (root_ / model).string(); }

  void AddVersion(const std::string& model, int64_t version, const kiln::testing::ModelBuilder& builder,
                  const std::string& file = "model.onnx") const {
    const auto dir = root_ / model / std::to_string(version);
    std::filesystem::create_directories(dir);
    builder.Save((dir / file).string());
  }
  void WriteFile(const std::string& model, const std::string& relative, const std::string& text) const {
    const auto file = root_ / model / relative;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
  }
  void WriteConfig(const std::string& model, const std::string& text) const { WriteFile(model, "config.pbtxt", text); }
  void RemoveVersion(const std::string& model, int64_t version) const {
    std::filesystem::remove_all(root_ / model / std::to_string(version));
  }
  void RemoveModel(const std::string& model) const { std::filesystem::remove_all(root_ / model); }

 private:
  std::filesystem::path root_;
};

// INT32 INPUT0/INPUT1 [-1,16] -> OUTPUT0 = sum, OUTPUT1 = difference (like
// Triton's example "simple"); `offset` is added to OUTPUT0 so that versions
// can be told apart.
inline kiln::testing::ModelBuilder SimpleAddSub(int offset = 0) {
  kiln::testing::ModelBuilder b;
  b.Input("INPUT0", DataType::kInt32, {-1, 16})
      .Input("INPUT1", DataType::kInt32, {-1, 16})
      .Output("OUTPUT0", DataType::kInt32, {-1, 16})
      .Output("OUTPUT1", DataType::kInt32, {-1, 16});
  if (offset == 0) {
    b.Node("Add", {"INPUT0", "INPUT1"}, {"OUTPUT0"});
  } else {
    b.Node("Add", {"INPUT0", "INPUT1"}, {"sum"});
    auto* init = b.proto().mutable_graph()->add_initializer();
    init->set_name("offset");
    init->set_data_type(6);  // INT32
    init->add_int32_data(offset);
    b.Node("Add", {"sum", "offset"}, {"OUTPUT0"});
  }
  b.Node("Sub", {"INPUT0", "INPUT1"}, {"OUTPUT1"});
  return b;
}

// FP32 "scores" [-1,4] -> "probs" [-1,4] (identity): a classifier whose
// answer is its input.
inline kiln::testing::ModelBuilder TinyClassifier() {
  kiln::testing::ModelBuilder b;
  b.Input("scores", DataType::kFloat, {-1, 4}).Output("probs", DataType::kFloat, {-1, 4});
  b.Node("Identity", {"scores"}, {"probs"});
  return b;
}

}  // namespace kiln::server::testing
