#include "engine/passes/conv_channels_last.h"

#include <cmath>
#include <map>

#include "engine/passes/conv_fusion.h"
#include "engine/passes/pass_test_util.h"

namespace kiln::passes {
namespace {

using namespace testing;

ir::Node& AddConv(ir::Model& m, const std::string& x, const std::string& w, const std::string& y, int64_t pad) {
  ir::Node& conv = AddNode(m, "Conv", {x, w}, {y});
  SetInts(conv, "pads", {pad, pad, pad, pad});
  return conv;
}

// x -> conv a (3x3) -> conv b (1x1) -> + a -> relu -> conv c (3x3, stride 2) -> y
ir::Model Chain() {
  ir::Model m = NewModel();
  AddInput(m, "x", {1, 3, 6, 6});
  AddConstant(m, "Wa", Ramp({4, 3, 3, 3}));
  AddConstant(m, "Wb", Ramp({4, 4, 1, 1}));
  AddConstant(m, "Wc", Ramp({5, 4, 3, 3}));
  AddConv(m, "x", "Wa", "a", 1);
  DeclareFloat(m, "a", {1, 4, 6, 6});
  AddConv(m, "a", "Wb", "b", 0);
  DeclareFloat(m, "b", {1, 4, 6, 6});
  AddNode(m, "Add", {"b", "a"}, {"s"});
  DeclareFloat(m, "s", {1, 4, 6, 6});
  AddNode(m, "Relu", {"s"}, {"r"});
  ir::Node& c = AddConv(m, "r", "Wc", "y", 1);
  SetInts(c, "strides", {2, 2});
  AddOutput(m, "y");
  return m;
}

TEST(ConvChannelsLast, ChainsConvolutionsAndKeepsResults) {
  ir::Model m = Chain();
  const ir::Model original = m;
  ASSERT_TRUE(*ConvFusionPass().Run(m));  // b + a -> relu fused into b
  ASSERT_TRUE(*ConvChannelsLastPass().Run(m));
  ASSERT_EQ(m.graph.nodes.size(), 3u);
  const ir::Node& a = m.graph.nodes[0];
  const ir::Node& b = m.graph.nodes[1];
  const ir::Node& c = m.graph.nodes[2];
  EXPECT_EQ(a.op_type, "FusedConv");
  EXPECT_EQ(a.GetInt("x_channels_last", 0), 0);  // the graph input stays plain
  EXPECT_EQ(a.GetInt("y_channels_last", 0), 1);  // read by b as X and as residual
  EXPECT_EQ(b.GetInt("x_channels_last", 0), 1);
  EXPECT_EQ(b.GetInt("z_channels_last", 0), 1);
  EXPECT_EQ(b.GetInt("y_channels_last", 0), 1);
  EXPECT_EQ(c.GetInt("x_channels_last", 0), 1);
  EXPECT_EQ(c.GetInt("y_channels_last", 0), 0);  // a graph output stays plain
  EXPECT_FALSE(*ConvChannelsLastPass().Run(m));  // idempotent
  ExpectSameResults(original, m, {{"x", Value(Ramp({1, 3, 6, 6}))}});
}

TEST(ConvChannelsLast, KeepsValuesWithOtherReadersPlain) {
  ir::Model m = Chain();  // unfused: a is read by an Add, b by an Add
  EXPECT_FALSE(*ConvChannelsLastPass().Run(m));
}

// A float tensor of `shape` with values in [-scale, scale], varying with `seed`.
Tensor Wavy(const Shape& shape, int seed, float scale = 1.0f) {
  Tensor t = Tensor::Allocate(DataType::kFloat, shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) {
    t.data<float>()[i] = scale * std::sin(0.37f * static_cast<float>(i) + static_cast<float>(seed));
  }
  return t;
}

// Convolution weights [out, in, k, k] scaled by 1/sqrt(in * k * k), so that
// chained layers keep their outputs near 1.
Tensor Weights(int64_t out, int64_t in, int64_t k, int seed) {
  return Wavy({out, in, k, k}, seed, 1.0f / std::sqrt(static_cast<float>(in * k * k)));
}

// On small images, chained convolutions with large weights run on oneDNN's
// packed weights without the primitive (kernels/cpu/packed_conv_gemm.h):
// 1x1 with and without the residual sum, ReLU or none, in 48-channel blocks
// with a partial last one (2048 -> 500 -> 2048); strided 1x1 (e); 3x3 with
// padding (g) and with stride 2 as well (h), in 32-channel blocks; on one
// thread and two, as the planar graph gives.
//   x -> a (3x3) -> b (1x1) -> c (1x1) + a -> relu -> d (3x3) -> y
//                                                 \-> e (1x1, stride 2) -> g (3x3) -> h (3x3, stride 2) -> f -> y2
TEST(ConvChannelsLast, LargeWeightsOnFewPositionsKeepResults) {
  struct Image {
    int64_t batch, size;
  };
  // One 7x7 image (49 positions), and two 5x5 ones (50: taps in another image's rows).
  for (const Image image : {Image{1, 7}, Image{2, 5}}) {
    for (bool relu_b : {false, true}) {
      for (int threads : {1, 2}) {
        const int64_t n = image.batch, hw = image.size;
        ir::Model m = NewModel();
        AddInput(m, "x", {n, 8, hw, hw});
        AddConstant(m, "Wa", Weights(2048, 8, 3, 1));
        AddConstant(m, "Wb", Weights(500, 2048, 1, 2));
        AddConstant(m, "Bb", Wavy({500}, 3));
        AddConstant(m, "Wc", Weights(2048, 500, 1, 4));
        AddConstant(m, "Bc", Wavy({2048}, 5));
        AddConstant(m, "Wd", Weights(4, 2048, 3, 6));
        AddConv(m, "x", "Wa", "a", 1);
        DeclareFloat(m, "a", {n, 2048, hw, hw});
        AddNode(m, "Conv", {"a", "Wb", "Bb"}, {relu_b ? "b0" : "b"});
        if (relu_b) {
          DeclareFloat(m, "b0", {n, 500, hw, hw});
          AddNode(m, "Relu", {"b0"}, {"b"});
        }
        DeclareFloat(m, "b", {n, 500, hw, hw});
        AddNode(m, "Conv", {"b", "Wc", "Bc"}, {"c"});
        DeclareFloat(m, "c", {n, 2048, hw, hw});
        AddNode(m, "Add", {"c", "a"}, {"s"});
        DeclareFloat(m, "s", {n, 2048, hw, hw});
        AddNode(m, "Relu", {"s"}, {"r"});
        AddConv(m, "r", "Wd", "y", 1);
        AddConstant(m, "We", Weights(512, 2048, 1, 8));
        AddConstant(m, "Wf", Weights(4, 512, 3, 9));
        ir::Node& e = AddConv(m, "r", "We", "e", 0);
        SetInts(e, "strides", {2, 2});
        AddConstant(m, "Wg", Weights(512, 512, 3, 10));
        AddConstant(m, "Wh", Weights(512, 512, 3, 11));
        AddConv(m, "e", "Wg", "g", 1);
        ir::Node& h = AddConv(m, "g", "Wh", "h", 1);
        SetInts(h, "strides", {2, 2});
        AddConv(m, "h", "Wf", "y2", 1);
        AddOutput(m, "y");
        AddOutput(m, "y2");
        const ir::Model original = m;
        ASSERT_TRUE(*ConvFusionPass().Run(m));
        ASSERT_TRUE(*ConvChannelsLastPass().Run(m));
        ASSERT_EQ(m.graph.nodes.size(), 8u);
        EXPECT_EQ(m.graph.nodes[1].GetInt("x_channels_last", 0), 1);
        EXPECT_EQ(m.graph.nodes[2].GetInt("z_channels_last", 0), 1);
        for (size_t e_g_h : {4, 5, 6}) {
          EXPECT_EQ(m.graph.nodes[e_g_h].GetInt("x_channels_last", 0), 1);
          EXPECT_EQ(m.graph.nodes[e_g_h].GetInt("y_channels_last", 0), 1);
        }
        SessionOptions options;
        options.optimize.enabled = false;
        options.threads = threads;
        options.adapt_threads = false;
        const std::map<std::string, Value> feeds{{"x", Value(Wavy({n, 8, hw, hw}, 7))}};
        auto expected = Session::Create(original, options);
        auto actual = Session::Create(m, options);
        ASSERT_TRUE(expected.ok() && actual.ok());
        auto want = (*expected)->Run(feeds);
        auto got = (*actual)->Run(feeds);
        ASSERT_TRUE(want.ok() && got.ok());
        for (size_t i = 0; i < 2; ++i) {
          EXPECT_EQ(kiln::testing::CompareValues((*got)[i], (*want)[i], {1e-4, 1e-4}), "")
              << "output " << i << ", " << (relu_b ? "relu" : "no activation") << ", threads " << threads
              << ", batch " << n;
        }
      }
    }
  }
}

// x -> conv a -> pool -> conv b -> y1
//                    \-> conv c -> y2
// `channels` of a: 5 takes the pooling's scalar loop only, 70 its vector
// loops too.
ir::Model PoolStem(const std::string& pool_op, int64_t channels = 5) {
  ir::Model m = NewModel();
  AddInput(m, "x", {2, 3, 9, 9});
  AddConstant(m, "Wa", Ramp({channels, 3, 3, 3}));
  AddConstant(m, "Wb", Ramp({4, channels, 1, 1}));
  AddConstant(m, "Wc", Ramp({3, channels, 3, 3}));
  AddConv(m, "x", "Wa", "a", 1);
  ir::Node& pool = AddNode(m, pool_op, {"a"}, {"p"});
  SetInts(pool, "kernel_shape", {3, 2});
  SetInts(pool, "strides", {2, 2});
  SetInts(pool, "pads", {1, 0, 1, 1});
  AddConv(m, "p", "Wb", "y1", 0);
  AddConv(m, "p", "Wc", "y2", 1);
  AddOutput(m, "y1");
  AddOutput(m, "y2");
  return m;
}

TEST(ConvChannelsLast, PoolBetweenConvolutionsJoinsTheChain) {
  for (const std::string op : {"MaxPool", "AveragePool"}) {
    for (int64_t include_pad : {0, 1}) {
      for (int64_t channels : {5, 70}) {
        ir::Model m = PoolStem(op, channels);
        SetInt(m.graph.nodes[1], "count_include_pad", include_pad);
        const ir::Model original = m;
        ASSERT_TRUE(*ConvChannelsLastPass().Run(m));
        const ir::Node& pool = m.graph.nodes[1];
        EXPECT_EQ(pool.domain, "kiln");
        EXPECT_EQ(pool.op_type, op + "ChannelsLast");
        EXPECT_EQ(m.graph.nodes[0].GetInt("y_channels_last", 0), 1);
        EXPECT_EQ(m.graph.nodes[2].GetInt("x_channels_last", 0), 1);
        EXPECT_EQ(m.graph.nodes[3].GetInt("x_channels_last", 0), 1);
        EXPECT_FALSE(*ConvChannelsLastPass().Run(m));  // idempotent
        ExpectSameResults(original, m, {{"x", Value(Ramp({2, 3, 9, 9}))}});
      }
    }
  }
}

TEST(ConvChannelsLast, PoolWithOtherReadersOrIndicesStaysPlain) {
  ir::Model with_indices = PoolStem("MaxPool");
  with_indices.graph.nodes[1].outputs.push_back("indices");
  AddOutput(with_indices, "indices");
  EXPECT_FALSE(*ConvChannelsLastPass().Run(with_indices));
  EXPECT_EQ(with_indices.graph.nodes[1].op_type, "MaxPool");

  ir::Model read_by_relu = PoolStem("MaxPool");
  AddNode(read_by_relu, "Relu", {"p"}, {"r"});
  AddOutput(read_by_relu, "r");
  EXPECT_FALSE(*ConvChannelsLastPass().Run(read_by_relu));
  EXPECT_EQ(read_by_relu.graph.nodes[1].op_type, "MaxPool");
}

// x -> conv a -> conv b -> global pool -> y
ir::Model Head(const std::string& global_pool) {
  ir::Model m = NewModel();
  AddInput(m, "x", {2, 3, 7, 5});
  AddConstant(m, "Wa", Ramp({6, 3, 3, 3}));
  AddConstant(m, "Wb", Ramp({19, 6, 1, 1}));
  AddConv(m, "x", "Wa", "a", 1);
  AddConv(m, "a", "Wb", "b", 0);
  AddNode(m, global_pool, {"b"}, {"y"});
  AddOutput(m, "y");
  return m;
}

TEST(ConvChannelsLast, GlobalPoolEndsTheChain) {
  for (const std::string op : {"GlobalAveragePool", "GlobalMaxPool"}) {
    ir::Model m = Head(op);
    const ir::Model original = m;
    ASSERT_TRUE(*ConvChannelsLastPass().Run(m));
    const ir::Node& b = m.graph.nodes[1];
    const ir::Node& pool = m.graph.nodes[2];
    EXPECT_EQ(b.GetInt("x_channels_last", 0), 1) << op;
    EXPECT_EQ(b.GetInt("y_channels_last", 0), 1) << op;  // read only by the global pool
    EXPECT_EQ(pool.domain, "kiln");
    EXPECT_EQ(pool.op_type, op + "ChannelsLast");
    EXPECT_EQ(pool.outputs[0], "y");  // the graph output: the same bytes in either layout
    EXPECT_FALSE(*ConvChannelsLastPass().Run(m));  // idempotent
    ExpectSameResults(original, m, {{"x", Value(Ramp({2, 3, 7, 5}))}});
  }
}

TEST(ConvChannelsLast, GlobalPoolOfAValueOthersReadStaysPlain) {
  ir::Model m = Head("GlobalAveragePool");
  AddNode(m, "Relu", {"b"}, {"r"});
  AddOutput(m, "r");
  ASSERT_TRUE(*ConvChannelsLastPass().Run(m));  // a -> b still chains
  EXPECT_EQ(m.graph.nodes[1].GetInt("y_channels_last", 0), 0);
  EXPECT_EQ(m.graph.nodes[2].op_type, "GlobalAveragePool");
  EXPECT_TRUE(m.graph.nodes[2].domain.empty());
}

}  // namespace
}  // namespace kiln::passes
