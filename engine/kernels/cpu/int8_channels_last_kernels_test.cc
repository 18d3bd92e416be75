// The kernels of int8 channels-last chains (passes/int8_channels_last.h) run
// directly on channels-last data: each must give exactly the planar
// operator's result in channels-last memory order (quantize / dequantize
// at the chain edges, Int8Add with and without broadcasting, int8 max
// pooling), and refuse what it cannot take without crashing.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "engine/passes/fusion_util.h"
#include "engine/passes/pass_test_util.h"

namespace kiln::cpu {
namespace {

using namespace passes::testing;

ir::Model KilnModel() {
  ir::Model m = NewModel(13);
  passes::ImportKilnDomain(m);
  return m;
}

ir::Node& AddKilnNode(ir::Model& m, const std::string& op, std::vector<std::string> in, std::vector<std::string> out) {
  ir::Node& n = AddNode(m, op, std::move(in), std::move(out));
  n.domain = passes::kKilnDomain;
  return n;
}

void SetString(ir::Node& n, const std::string& key, const std::string& v) {
  ir::Attribute a;
  a.name = key;
  a.type = ir::Attribute::Type::kString;
  a.s = v;
  n.attributes[key] = std::move(a);
}

void AddTypedInput(ir::Model& m, const std::string& name, DataType type, const Shape& shape) {
  AddInput(m, name, shape);
  std::vector<ir::Dim> dims;
  for (int64_t d : shape) dims.push_back({d, ""});
  m.graph.inputs.back().type = ir::TypeInfo::Tensor(type, dims);
}

Tensor QuantScalar(DataType type, int32_t v) {
  Tensor t = Tensor::Allocate(type, {});
  if (type == DataType::kUInt8) {
    t.data<uint8_t>()[0] = static_cast<uint8_t>(v);
  } else {
    t.data<int8_t>()[0] = static_cast<int8_t>(v);
  }
  return t;
}

Tensor RandomFloat(const Shape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-3.0f, 3.0f);
  Tensor t = Tensor::Allocate(DataType::kFloat, shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = uniform(rng);
  return t;
}

Tensor RandomBytes(DataType type, const Shape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  Tensor t = Tensor::Allocate(type, shape);
  auto* p = static_cast<uint8_t*>(t.raw_data());
  for (int64_t i = 0; i < t.num_elements(); ++i) p[i] = static_cast<uint8_t>(rng());
  return t;
}

// The same NCHW tensor with its memory in NHWC order.
Tensor ToChannelsLast(const Tensor& t) {
  const int64_t n = t.dim(0), c = t.dim(1), p = t.dim(2) * t.dim(3);
  const size_t size = DataTypeSize(t.dtype());
  Tensor out = Tensor::Allocate(t.dtype(), t.shape());
  const auto* src = static_cast<const uint8_t*>(t.raw_data());
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t q = 0; q < p; ++q) {
        std::memcpy(dst + size * ((b * p + q) * c + ch), src + size * ((b * c + ch) * p + q), size);
      }
  return out;
}

Tensor RunOne(const ir::Model& m, const std::map<std::string, Value>& feeds, int threads = 2) {
  SessionOptions options;
  options.optimize.enabled = false;
  options.threads = threads;
  auto session = Session::Create(m, options);
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  if (!session.ok()) return Tensor();
  auto out = (*session)->Run(feeds);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? (*out)[0].tensor() : Tensor();
}

void ExpectBytesEqual(const Tensor& actual, const Tensor& expected) {
  ASSERT_EQ(actual.dtype(), expected.dtype());
  ASSERT_EQ(actual.shape(), expected.shape());
  const size_t bytes = static_cast<size_t>(actual.num_elements()) * DataTypeSize(actual.dtype());
  EXPECT_EQ(std::memcmp(actual.raw_data(), expected.raw_data(), bytes), 0);
}

// Odd sizes (not multiples of the 32-element transpose tiles), batch 2.
const Shape kShape{2, 37, 5, 9};

TEST(Int8ChannelsLastKernels, QuantizeAndDequantizeEdgesMatchPlanarOperators) {
  // kShape goes through the tiled transpose; images of 1, 3 and 4 channels
  // (more positions than one 512-position block, not a multiple of it)
  // through the interleaving quantize.
  for (const Shape& shape : {kShape, Shape{2, 3, 23, 29}, Shape{1, 1, 17, 61}, Shape{2, 4, 3, 5}})
  for (DataType type : {DataType::kUInt8, DataType::kInt8}) {
    SCOPED_TRACE(ShapeToString(shape));
    const int32_t zero_point = type == DataType::kUInt8 ? 131 : -3;
    const Tensor x = RandomFloat(shape, 1);
    auto model = [&](const std::string& op, bool kiln, DataType in_type) {
      ir::Model m = KilnModel();
      AddTypedInput(m, "x", in_type, shape);
      AddConstant(m, "s", Scalar(0.021f));
      AddConstant(m, "zp", QuantScalar(type, zero_point));
      if (kiln) {
        AddKilnNode(m, op, {"x", "s", "zp"}, {"y"});
      } else {
        AddNode(m, op, {"x", "s", "zp"}, {"y"});
      }
      AddOutput(m, "y");
      return m;
    };
    const Tensor planar_q = RunOne(model("QuantizeLinear", false, DataType::kFloat), {{"x", Value(x)}});
    const Tensor last_q = RunOne(model("QuantizeLinearToChannelsLast", true, DataType::kFloat), {{"x", Value(x)}});
    ExpectBytesEqual(last_q, ToChannelsLast(planar_q));

    const Tensor planar_dq = RunOne(model("DequantizeLinear", false, type), {{"x", Value(planar_q)}});
    const Tensor last_dq =
        RunOne(model("DequantizeLinearFromChannelsLast", true, type), {{"x", Value(ToChannelsLast(planar_q))}});
    ExpectBytesEqual(last_dq, planar_dq);
  }
}

TEST(Int8ChannelsLastKernels, EdgesRefuseWhatTheyCannotTake) {
  ir::Model m = KilnModel();
  AddTypedInput(m, "x", DataType::kFloat, {4, 6});
  AddConstant(m, "s", Scalar(0.5f));
  AddKilnNode(m, "QuantizeLinearToChannelsLast", {"x", "s"}, {"y"});
  AddOutput(m, "y");
  SessionOptions options;
  options.optimize.enabled = false;
  auto session = Session::Create(m, options);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto out = (*session)->Run({{"x", Value(RandomFloat({4, 6}, 2))}});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("4-D"), std::string::npos) << out.status().message();
}

TEST(Int8ChannelsLastKernels, Int8AddComputesInChannelsLastOrder) {
  // Same shapes, and a per-channel addend [N, C, 1, 1] broadcast over H x W.
  for (const Shape& b_shape : {kShape, Shape{2, 37, 1, 1}}) {
    ir::Model m = KilnModel();
    AddTypedInput(m, "a", DataType::kUInt8, kShape);
    AddTypedInput(m, "b", DataType::kUInt8, b_shape);
    AddConstant(m, "sa", Scalar(0.03f));
    AddConstant(m, "sb", Scalar(0.05f));
    AddConstant(m, "sy", Scalar(0.07f));
    AddConstant(m, "za", QuantScalar(DataType::kUInt8, 120));
    AddConstant(m, "zb", QuantScalar(DataType::kUInt8, 7));
    AddConstant(m, "zy", QuantScalar(DataType::kUInt8, 30));
    ir::Node& add = AddKilnNode(m, "Int8Add", {"a", "sa", "za", "b", "sb", "zb", "sy", "zy"}, {"y"});
    SetString(add, "activation", "Relu");
    AddOutput(m, "y");
    ir::Model channels_last = m;
    SetInt(channels_last.graph.nodes[0], "channels_last", 1);
    const Tensor a = RandomBytes(DataType::kUInt8, kShape, 3);
    const Tensor b = RandomBytes(DataType::kUInt8, b_shape, 4);
    const Tensor planar = RunOne(m, {{"a", Value(a)}, {"b", Value(b)}});
    const Tensor last = RunOne(channels_last, {{"a", Value(ToChannelsLast(a))}, {"b", Value(ToChannelsLast(b))}});
    ExpectBytesEqual(last, ToChannelsLast(planar));
  }
}

TEST(Int8ChannelsLastKernels, MaxPoolOnInt8ChannelsLast) {
  for (DataType type : {DataType::kUInt8, DataType::kInt8}) {
    auto model = [&](bool channels_last) {
      ir::Model m = KilnModel();
      AddTypedInput(m, "x", type, kShape);
      ir::Node& pool = AddNode(m, "MaxPool", {"x"}, {"y"});
      if (channels_last) {
        pool.domain = passes::kKilnDomain;
        pool.op_type = "MaxPoolChannelsLast";
      }
      SetInts(pool, "kernel_shape", {3, 3});
      SetInts(pool, "strides", {2, 2});
      SetInts(pool, "pads", {1, 1, 1, 0});
      AddOutput(m, "y");
      return m;
    };
    const Tensor x = RandomBytes(type, kShape, 5);
    const Tensor planar = RunOne(model(false), {{"x", Value(x)}});
    const Tensor last = RunOne(model(true), {{"x", Value(ToChannelsLast(x))}});
    ExpectBytesEqual(last, ToChannelsLast(planar));
  }
}

}  // namespace
}  // namespace kiln::cpu
