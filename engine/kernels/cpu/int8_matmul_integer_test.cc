// The oneDNN MatMulInteger path (constant int8 B, runtime scalar zero point
// of A) must give exactly the int32 products of the definition.
#include <gtest/gtest.h>

#include <random>

#include "engine/onnx/model_loader.h"
#include "engine/runtime/session.h"
#include "tests/support/model_builder.h"

namespace kiln::cpu {
namespace {

TEST(DnnlMatMulInteger, MatchesTheDefinitionExactly) {
  const int64_t m = 6, k = 37, n = 11;
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> u8(0, 255), s8(-127, 127);
  std::vector<int8_t> b(static_cast<size_t>(k * n));
  for (auto& v : b) v = static_cast<int8_t>(s8(rng));
  testing::ModelBuilder builder(13);
  builder.Input("a", DataType::kUInt8, {2, 3, k}).Input("a_zp", DataType::kUInt8, {});
  builder.Output("y", DataType::kInt32, {2, 3, n});
  auto* init = builder.proto().mutable_graph()->add_initializer();
  init->set_name("b");
  init->set_data_type(onnx::TensorProto::INT8);
  init->add_dims(k);
  init->add_dims(n);
  init->set_raw_data(std::string(reinterpret_cast<const char*>(b.data()), b.size()));
  builder.Node("MatMulInteger", {"a", "b", "a_zp"}, {"y"});
  auto model = onnx_import::LoadModelBytes(builder.Serialize(), "");
  ASSERT_TRUE(model.ok()) << model.status().message();
  SessionOptions options;
  options.threads = 2;
  auto session = Session::Create(std::move(model).value(), options);
  ASSERT_TRUE(session.ok()) << session.status().message();

  Tensor a = Tensor::Allocate(DataType::kUInt8, {2, 3, k});
  for (int64_t i = 0; i < a.num_elements(); ++i) a.data<uint8_t>()[i] = static_cast<uint8_t>(u8(rng));
  for (uint8_t zp : {uint8_t{0}, uint8_t{131}}) {
    auto out = (*session)->Run({{"a", a}, {"a_zp", Tensor::Scalar<uint8_t>(zp)}});
    ASSERT_TRUE(out.ok()) << out.status().message();
    const Tensor& y = (*out)[0].tensor();
    ASSERT_EQ(y.shape(), (Shape{2, 3, n}));
    for (int64_t r = 0; r < m; ++r) {
      for (int64_t c = 0; c < n; ++c) {
        int32_t expected = 0;
        for (int64_t i = 0; i < k; ++i) {
          expected += (static_cast<int32_t>(a.data<uint8_t>()[r * k + i]) - zp) * b[static_cast<size_t>(i * n + c)];
        }
        ASSERT_EQ(y.data<int32_t>()[r * n + c], expected) << "row " << r << " column " << c << " zp " << int(zp);
      }
    }
  }
}

}  // namespace
}  // namespace kiln::cpu
