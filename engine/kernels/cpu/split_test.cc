// Split on inputs large enough to be copied by several threads (a
// transformer's fused Q/K/V projection), against the slices it must produce.
#include <gtest/gtest.h>

#include <vector>

#include "engine/passes/pass_test_util.h"

namespace kiln::cpu {
namespace {

using namespace passes::testing;

Tensor Counting(const Shape& shape) {
  Tensor t = Tensor::Allocate(DataType::kFloat, shape);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

Tensor Int64s(const std::vector<int64_t>& v) {
  Tensor t = Tensor::Allocate(DataType::kInt64, {static_cast<int64_t>(v.size())});
  for (size_t i = 0; i < v.size(); ++i) t.data<int64_t>()[i] = v[i];
  return t;
}

// Splits of [rows, cols] along `axis` into parts of `sizes`, on 1 and 2
// threads: every element of every output is the input's.
TEST(SplitTest, LargeInputsSplitOverThreads) {
  struct Case {
    int64_t rows, cols, axis;
    std::vector<int64_t> sizes;
  };
  for (const Case& c : {Case{300, 2304, 1, {768, 1000, 536}}, Case{300, 2304, 0, {100, 1, 199}},
                        Case{7, 99999, 1, {50000, 49999}}}) {
    for (int threads : {1, 2}) {
      ir::Model m = NewModel();
      AddInput(m, "x", {c.rows, c.cols});
      AddConstant(m, "split", Int64s(c.sizes));
      std::vector<std::string> outputs;
      for (size_t i = 0; i < c.sizes.size(); ++i) outputs.push_back("y" + std::to_string(i));
      ir::Node& split = AddNode(m, "Split", {"x", "split"}, outputs);
      SetInt(split, "axis", c.axis);
      for (const std::string& y : outputs) AddOutput(m, y);
      SessionOptions options;
      options.optimize.enabled = false;
      options.threads = threads;
      options.adapt_threads = false;
      auto session = Session::Create(m, options);
      ASSERT_TRUE(session.ok()) << session.status().ToString();
      auto got = (*session)->Run({{"x", Value(Counting({c.rows, c.cols}))}});
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      int64_t start = 0;
      for (size_t i = 0; i < c.sizes.size(); ++i) {
        const Tensor& y = (*got)[i].tensor();
        const int64_t rows = c.axis == 0 ? c.sizes[i] : c.rows, cols = c.axis == 1 ? c.sizes[i] : c.cols;
        ASSERT_EQ(y.shape(), (Shape{rows, cols}));
        for (int64_t r = 0; r < rows; ++r) {
          for (int64_t col = 0; col < cols; ++col) {
            const int64_t in_r = c.axis == 0 ? start + r : r, in_c = c.axis == 1 ? start + col : col;
            ASSERT_EQ(y.data<float>()[r * cols + col], static_cast<float>(in_r * c.cols + in_c))
                << "output " << i << " at " << r << "," << col << ", threads " << threads;
          }
        }
        start += c.sizes[i];
      }
    }
  }
}

}  // namespace
}  // namespace kiln::cpu
