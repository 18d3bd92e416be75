// `kiln quantize` end to end: quantize a small CNN from a folder of
// calibration sets, run the QDQ model with `kiln run`, and compare with the
// float model; plus the documented exit statuses for bad usage.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "engine/io/file_bytes.h"
#include "engine/io/npy.h"
#include "tests/support/kiln_command.h"
#include "tests/support/model_builder.h"

namespace fs = std::filesystem;
using kiln::DataType;
using kiln::Tensor;
using kiln::testing::CommandResult;
using kiln::testing::ModelBuilder;
using kiln::testing::RunCommand;
using kiln::testing::Slurp;

namespace {

std::vector<float> Normal(size_t n, float scale, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

Tensor RandomInput(uint32_t seed) {
  std::vector<float> v = Normal(2 * 3 * 6 * 6, 1.0f, seed);
  return Tensor::FromVector<float>({2, 3, 6, 6}, v);
}

class QuantizeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kiln_quantize_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CommandResult Kiln(const std::string& args) { return RunCommand(KILN_BINARY, args, dir_); }

  // x[N,3,6,6] -> Conv(8, 3x3) -> Relu -> MaxPool 2 -> Flatten -> Gemm(8*2*2 -> 4) -> y
  std::string SaveCnn() {
    ModelBuilder b(13);
    b.Input("x", DataType::kFloat, {-1, 3, 6, 6}).Output("y", DataType::kFloat, {-1, 4});
    b.Initializer("w", Normal(8 * 3 * 9, 0.3f, 1), {8, 3, 3, 3});
    b.Initializer("b", Normal(8, 0.1f, 2), {8});
    b.Initializer("fc", Normal(32 * 4, 0.3f, 3), {32, 4});
    b.Node("Conv", {"x", "w", "b"}, {"c"}).Node("Relu", {"c"}, {"r"});
    b.Node("MaxPool", {"r"}, {"p"});
    auto* pool = b.proto().mutable_graph()->mutable_node(2);
    auto* k = pool->add_attribute();
    k->set_name("kernel_shape");
    k->set_type(onnx::AttributeProto::INTS);
    k->add_ints(2);
    k->add_ints(2);
    auto* s = pool->add_attribute();
    s->set_name("strides");
    s->set_type(onnx::AttributeProto::INTS);
    s->add_ints(2);
    s->add_ints(2);
    b.Node("Flatten", {"p"}, {"f"}).Node("Gemm", {"f", "fc"}, {"y"});
    std::string path = (dir_ / "cnn.onnx").string();
    b.Save(path);
    return path;
  }

  void WriteSet(const fs::path& folder, uint32_t seed) {
    fs::create_directories(folder);
    ASSERT_TRUE(kiln::io::WriteNpyFile((folder / "x.npy").string(), RandomInput(seed)).ok());
  }

  fs::path dir_;
};

TEST_F(QuantizeCli, QuantizeThenRunMatchesTheFloatModel) {
  std::string model = SaveCnn();
  for (uint32_t i = 0; i < 4; ++i) WriteSet(dir_ / "calib" / ("set" + std::to_string(i)), 10 + i);
  WriteSet(dir_ / "eval" / "only", 99);
  std::string int8 = (dir_ / "cnn_int8.onnx").string();
  CommandResult q = Kiln("quantize " + model + " --out " + int8 + " --calibration " + (dir_ / "calib").string() +
                         " --per-channel --eval " + (dir_ / "eval").string());
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_NE(q.out.find("4 calibration sets"), std::string::npos) << q.out;
  EXPECT_NE(q.out.find("cosine"), std::string::npos) << q.out;
  EXPECT_NE(q.out.find("top-1 agree"), std::string::npos) << q.out;
  EXPECT_TRUE(q.err.empty()) << "no progress output when stdout is not a terminal: " << q.err;

  const std::string in = (dir_ / "eval" / "only").string();
  ASSERT_EQ(Kiln("run " + model + " --inputs " + in + " --outputs " + (dir_ / "out_float").string()).exit_code, 0);
  CommandResult r = Kiln("run " + int8 + " --inputs " + in + " --outputs " + (dir_ / "out_int8").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ref = kiln::io::ReadNpyFile((dir_ / "out_float" / "y.npy").string());
  auto got = kiln::io::ReadNpyFile((dir_ / "out_int8" / "y.npy").string());
  ASSERT_TRUE(ref.ok() && got.ok());
  ASSERT_EQ(ref->shape(), got->shape());
  double dot = 0, nr = 0, ng = 0, max_ref = 0, max_err = 0;
  for (int64_t i = 0; i < ref->num_elements(); ++i) {
    double a = ref->data<float>()[i], b = got->data<float>()[i];
    dot += a * b;
    nr += a * a;
    ng += b * b;
    max_ref = std::max(max_ref, std::fabs(a));
    max_err = std::max(max_err, std::fabs(a - b));
  }
  EXPECT_GT(dot / std::sqrt(nr * ng), 0.99);
  EXPECT_LT(max_err, 0.1 * max_ref);  // a few quantization steps of the output range
}

TEST_F(QuantizeCli, DynamicNeedsNoCalibration) {
  std::string model = SaveCnn();
  CommandResult q = Kiln("quantize " + model + " --out " + (dir_ / "dyn.onnx").string() + " --dynamic");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_NE(q.out.find("dynamic: 1 MatMul/Gemm node quantized"), std::string::npos) << q.out;
  EXPECT_NE(q.out.find("random inputs"), std::string::npos) << q.out;
}

TEST_F(QuantizeCli, BadUsageIsExitTwo) {
  std::string model = SaveCnn();
  std::string out = " --out " + (dir_ / "o.onnx").string();
  CommandResult none = Kiln("quantize " + model + out);
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("--calibration"), std::string::npos) << none.err;
  EXPECT_EQ(Kiln("quantize " + model + out + " --calibration-random 2 --method nope").exit_code, 2);
  EXPECT_EQ(Kiln("quantize " + model + " --calibration-random 2").exit_code, 2);  // no --out
  CommandResult missing = Kiln("quantize " + model + out + " --calibration " + (dir_ / "missing").string());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err.rfind("kiln: ", 0), 0u) << missing.err;
  fs::create_directories(dir_ / "wrong");
  ASSERT_TRUE(kiln::io::WriteNpyFile((dir_ / "wrong" / "x.npy").string(), Tensor::FromVector<float>({2}, {1, 2})).ok());
  CommandResult wrong = Kiln("quantize " + model + out + " --calibration " + (dir_ / "wrong").string());
  EXPECT_EQ(wrong.exit_code, 2) << wrong.err;
  EXPECT_EQ(Kiln("quantize " + (dir_ / "nope.onnx").string() + out + " --calibration-random 2").exit_code, 2);
}

}  // namespace
