// The internal operators of the "kiln" domain (Gelu, Attention, and the refusals of FusedConv and Int8MatMul) run directly,
// against naive references, including layouts the fusion passes rarely make
// and inputs they must refuse without crashing.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/passes/fusion_util.h"
#include "engine/passes/pass_test_util.h"

namespace kiln::cpu {
namespace {

using namespace passes::testing;

ir::Model KilnModel() {
  ir::Model m = NewModel();
  passes::ImportKilnDomain(m);
  return m;
}

ir::Node& AddKilnNode(ir::Model& m, const std::string& op, std::vector<std::string> in, std::vector<std::string> out) {
  ir::Node& n = AddNode(m, op, std::move(in), std::move(out));
  n.domain = passes::kKilnDomain;
  return n;
}

void SetFloat(ir::Node& n, const std::string& key, float v) {
  ir::Attribute a;
  a.name = key;
  a.type = ir::Attribute::Type::kFloat;
  a.f = v;
  n.attributes[key] = std::move(a);
}

void SetString(ir::Node& n, const std::string& key, const std::string& v) {
  ir::Attribute a;
  a.name = key;
  a.type = ir::Attribute::Type::kString;
  a.s = v;
  n.attributes[key] = std::move(a);
}

Tensor Pseudo(const Shape& shape, uint32_t seed) {
  Tensor t = Tensor::Allocate(DataType::kFloat, shape);
  uint32_t s = seed * 2654435761u + 7;
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    s = s * 1664525u + 1013904223u;
    t.data<float>()[i] = static_cast<float>(s >> 8) / static_cast<float>(1 << 24) * 4.0f - 2.0f;
  }
  return t;
}

Result<std::vector<Value>> RunOnce(const ir::Model& m, const std::map<std::string, Value>& feeds, int threads = 1) {
  SessionOptions options;
  options.optimize.enabled = false;
  options.threads = threads;
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::Create(m, options));
  return session->Run(feeds);
}

TEST(KilnGelu, ComputesBothFormsForFloatAndDouble) {
  for (const char* approximate : {"none", "tanh"}) {
    ir::Model m = KilnModel();
    AddInput(m, "x", {3, 50});
    m.graph.inputs[0].type = ir::TypeInfo::Tensor(DataType::kDouble, std::vector<ir::Dim>{{3, ""}, {50, ""}});
    SetString(AddKilnNode(m, "Gelu", {"x"}, {"y"}), "approximate", approximate);
    AddOutput(m, "y");
    Tensor xd = Tensor::Allocate(DataType::kDouble, {3, 50});
    for (int64_t i = 0; i < 150; ++i) xd.data<double>()[i] = -7.0 + 0.1 * static_cast<double>(i);
    auto out = RunOnce(m, {{"x", Value(xd)}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    const Tensor& y = (*out)[0].tensor();
    for (int64_t i = 0; i < 150; ++i) {
      const double v = xd.data<double>()[i];
      const double e = std::string(approximate) == "none"
                           ? 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)))
                           : 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
      EXPECT_NEAR(y.data<double>()[i], e, 1e-12) << approximate << " x=" << v;
    }
  }
}

TEST(KilnGelu, RefusesUnknownApproximation) {
  ir::Model m = KilnModel();
  AddInput(m, "x", {2});
  SetString(AddKilnNode(m, "Gelu", {"x"}, {"y"}), "approximate", "sigmoid");
  AddOutput(m, "y");
  auto out = RunOnce(m, {{"x", Value(Pseudo({2}, 1))}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("approximate"), std::string::npos);
}

// softmax(scale * Q K^T + mask) V on logical [b, h, s, d] arrays.
std::vector<float> NaiveAttention(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                                  const std::vector<float>* mask, int64_t B, int64_t H, int64_t Sq, int64_t Sk,
                                  int64_t D, int64_t Dv, float scale) {
  std::vector<float> out(static_cast<size_t>(B * H * Sq * Dv));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < Sq; ++i) {
        std::vector<double> s(static_cast<size_t>(Sk));
        double m = -1e300;
        for (int64_t j = 0; j < Sk; ++j) {
          double acc = 0;
          for (int64_t c = 0; c < D; ++c)
            acc += double(q[size_t(((b * H + h) * Sq + i) * D + c)]) * k[size_t(((b * H + h) * Sk + j) * D + c)];
          s[size_t(j)] = acc * scale + (mask ? (*mask)[size_t(i * Sk + j)] : 0.0);
          m = std::max(m, s[size_t(j)]);
        }
        double sum = 0;
        for (auto& e : s) sum += (e = std::exp(e - m));
        for (int64_t c = 0; c < Dv; ++c) {
          double acc = 0;
          for (int64_t j = 0; j < Sk; ++j) acc += s[size_t(j)] / sum * v[size_t(((b * H + h) * Sk + j) * Dv + c)];
          out[size_t(((b * H + h) * Sq + i) * Dv + c)] = static_cast<float>(acc);
        }
      }
  return out;
}

// Physical tensor of `phys_shape` holding logical [b,h,s,d] data where
// logical axis i is physical axis perm[i].
Tensor Permuted(const std::vector<float>& logical, const Shape& logical_shape, const std::vector<int64_t>& perm) {
  Shape phys(4);
  for (size_t i = 0; i < 4; ++i) phys[static_cast<size_t>(perm[i])] = logical_shape[i];
  Tensor t = Tensor::Allocate(DataType::kFloat, phys);
  int64_t idx[4];
  for (idx[0] = 0; idx[0] < logical_shape[0]; ++idx[0])
    for (idx[1] = 0; idx[1] < logical_shape[1]; ++idx[1])
      for (idx[2] = 0; idx[2] < logical_shape[2]; ++idx[2])
        for (idx[3] = 0; idx[3] < logical_shape[3]; ++idx[3]) {
          int64_t p[4];
          for (size_t i = 0; i < 4; ++i) p[perm[i]] = idx[i];
          const int64_t off = ((p[0] * phys[1] + p[1]) * phys[2] + p[2]) * phys[3] + p[3];
          const int64_t loff = ((idx[0] * logical_shape[1] + idx[1]) * logical_shape[2] + idx[2]) * logical_shape[3] + idx[3];
          t.data<float>()[off] = logical[static_cast<size_t>(loff)];
        }
  return t;
}

TEST(KilnAttention, MatchesNaiveReferenceInEveryLayout) {
  const int64_t B = 2, H = 3, Sq = 5, Sk = 7, D = 4, Dv = 6;
  auto values = [](const Shape& s, uint32_t seed) {
    Tensor t = Pseudo(s, seed);
    return std::vector<float>(t.data<float>(), t.data<float>() + t.num_elements());
  };
  const std::vector<float> q = values({B, H, Sq, D}, 1), k = values({B, H, Sk, D}, 2), v = values({B, H, Sk, Dv}, 3);
  std::vector<float> mask = values({Sq, Sk}, 4);
  mask[3] = -1e9f;
  const std::vector<float> expected = NaiveAttention(q, k, v, &mask, B, H, Sq, Sk, D, Dv, 0.7f);
  const std::vector<std::vector<int64_t>> layouts = {{0, 1, 2, 3}, {0, 2, 1, 3}, {0, 1, 3, 2}, {3, 2, 1, 0}};
  for (const auto& qp : layouts) {
    for (const auto& kp : layouts) {
      const std::vector<int64_t>& vp = layouts[(&kp - layouts.data() + 1) % layouts.size()];
      for (const auto& op : {std::vector<int64_t>{0, 1, 2, 3}, std::vector<int64_t>{0, 2, 1, 3},
                             std::vector<int64_t>{0, 1, 3, 2}}) {
        ir::Model m = KilnModel();
        ir::Node& n = AddKilnNode(m, "Attention", {"q", "k", "v", "mask"}, {"y"});
        SetFloat(n, "scale", 0.7f);
        SetInts(n, "q_perm", qp);
        SetInts(n, "k_perm", kp);
        SetInts(n, "v_perm", vp);
        SetInts(n, "out_perm", op);
        for (const char* name : {"q", "k", "v"}) AddInput(m, name, {-1, -1, -1, -1});
        AddInput(m, "mask", {Sq, Sk});
        AddOutput(m, "y");
        Tensor mask_t = Tensor::Allocate(DataType::kFloat, {Sq, Sk});
        std::copy(mask.begin(), mask.end(), mask_t.data<float>());
        for (int threads : {1, 3}) {
          auto out = RunOnce(m,
                             {{"q", Value(Permuted(q, {B, H, Sq, D}, qp))},
                              {"k", Value(Permuted(k, {B, H, Sk, D}, kp))},
                              {"v", Value(Permuted(v, {B, H, Sk, Dv}, vp))},
                              {"mask", Value(mask_t)}},
                             threads);
          ASSERT_TRUE(out.ok()) << out.status().ToString();
          // Output axis i holds logical axis op[i]: the same as Permuted with the inverse view.
          std::vector<int64_t> inverse(4);
          for (size_t i = 0; i < 4; ++i) inverse[static_cast<size_t>(op[i])] = static_cast<int64_t>(i);
          Tensor expect = Permuted(expected, {B, H, Sq, Dv}, inverse);
          ASSERT_EQ((*out)[0].tensor().shape(), expect.shape());
          for (int64_t i = 0; i < expect.num_elements(); ++i)
            ASSERT_NEAR((*out)[0].tensor().data<float>()[i], expect.data<float>()[i], 1e-5)
                << "element " << i << " threads " << threads;
        }
      }
    }
  }
}

TEST(KilnAttention, SplitsQueryRowsOverThreadsAndBroadcastsAPerRowMask) {
  // One (batch, head) pair and 40 query rows: three threads work on blocks of rows.
  const int64_t Sq = 40, Sk = 9, D = 3, Dv = 2;
  const Tensor q = Pseudo({1, 1, Sq, D}, 11), k = Pseudo({1, 1, Sk, D}, 12), v = Pseudo({1, 1, Sk, Dv}, 13);
  const Tensor row_mask = Pseudo({Sq, 1}, 14);  // one value per query row, broadcast along the keys
  std::vector<float> full_mask(static_cast<size_t>(Sq * Sk));
  for (int64_t i = 0; i < Sq; ++i)
    for (int64_t j = 0; j < Sk; ++j) full_mask[static_cast<size_t>(i * Sk + j)] = row_mask.data<float>()[i];
  auto as_vector = [](const Tensor& t) { return std::vector<float>(t.data<float>(), t.data<float>() + t.num_elements()); };
  const std::vector<float> expected =
      NaiveAttention(as_vector(q), as_vector(k), as_vector(v), &full_mask, 1, 1, Sq, Sk, D, Dv, 1.5f);
  ir::Model m = KilnModel();
  SetFloat(AddKilnNode(m, "Attention", {"q", "k", "v", "mask"}, {"y"}), "scale", 1.5f);
  for (const char* name : {"q", "k", "v"}) AddInput(m, name, {-1, -1, -1, -1});
  AddInput(m, "mask", {Sq, 1});
  AddOutput(m, "y");
  for (int threads : {1, 3}) {
    auto out = RunOnce(m, {{"q", Value(q)}, {"k", Value(k)}, {"v", Value(v)}, {"mask", Value(row_mask)}}, threads);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    const Tensor& y = (*out)[0].tensor();
    ASSERT_EQ(y.shape(), (Shape{1, 1, Sq, Dv}));
    for (int64_t i = 0; i < y.num_elements(); ++i)
      ASSERT_NEAR(y.data<float>()[i], expected[static_cast<size_t>(i)], 1e-5) << "element " << i;
  }
}

TEST(KilnAttention, RefusesMismatchedShapes) {
  ir::Model m = KilnModel();
  AddKilnNode(m, "Attention", {"q", "k", "v", "mask"}, {"y"});
  for (const char* name : {"q", "k", "v", "mask"}) AddInput(m, name, {-1, -1, -1, -1});
  AddOutput(m, "y");
  const Value mask(Pseudo({1, 1, 3, 3}, 4));
  // Feature sizes of Q and K differ.
  auto out = RunOnce(m, {{"q", Value(Pseudo({1, 2, 3, 4}, 1))},
                         {"k", Value(Pseudo({1, 2, 3, 5}, 2))},
                         {"v", Value(Pseudo({1, 2, 3, 4}, 3))},
                         {"mask", mask}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  // Head counts 2 and 3 do not broadcast.
  out = RunOnce(m, {{"q", Value(Pseudo({1, 2, 3, 4}, 1))},
                    {"k", Value(Pseudo({1, 3, 3, 4}, 2))},
                    {"v", Value(Pseudo({1, 2, 3, 4}, 3))},
                    {"mask", mask}});
  ASSERT_FALSE(out.ok());
  // A mask wider than the scores.
  out = RunOnce(m, {{"q", Value(Pseudo({1, 2, 3, 4}, 1))},
                    {"k", Value(Pseudo({1, 2, 3, 4}, 2))},
                    {"v", Value(Pseudo({1, 2, 3, 4}, 3))},
                    {"mask", Value(Pseudo({1, 1, 3, 4}, 4))}});
  ASSERT_FALSE(out.ok());
}

}  // namespace
}  // namespace kiln::cpu

namespace kiln::cpu {
namespace {

TEST(KilnFusedConv, RefusesUnknownAlgorithm) {
  ir::Model m = KilnModel();
  AddInput(m, "x", {1, 2, 4, 4});
  AddConstant(m, "w", Pseudo({2, 2, 3, 3}, 2));
  SetString(AddKilnNode(m, "FusedConv", {"x", "w"}, {"y"}), "algorithm", "fastest");
  AddOutput(m, "y");
  auto out = RunOnce(m, {{"x", Value(Pseudo({1, 2, 4, 4}, 3))}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("unknown algorithm 'fastest'"), std::string::npos) << out.status().message();
}

TEST(KilnInt8MatMul, RefusesDynamicQuantizationWithGivenInputScale) {
  // dynamic_quantization computes x's scale; one given as an input is a contradiction.
  ir::Model m = KilnModel();
  AddInput(m, "x", {2, 4});
  AddConstant(m, "xs", Scalar(0.1f));
  Tensor w = Tensor::Allocate(DataType::kInt8, {4, 3}, /*zeroed=*/true);
  AddConstant(m, "w", w);
  AddConstant(m, "ws", Pseudo({3}, 4));
  ir::Node& node = AddKilnNode(m, "Int8MatMul", {"x", "xs", "", "w", "ws"}, {"y"});
  SetInt(node, "dynamic_quantization", 1);
  AddOutput(m, "y");
  auto out = RunOnce(m, {{"x", Value(Pseudo({2, 4}, 5))}});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("dynamic quantization"), std::string::npos) << out.status().message();
}

}  // namespace
}  // namespace kiln::cpu
