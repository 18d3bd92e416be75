#include "engine/kernels/cpu/vector_math.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace kiln::cpu::vec {
namespace {

// Every implementation this CPU can run.
std::vector<const Functions*> Available() {
  std::vector<const Functions*> all;
  for (Isa isa : {Isa::kGeneric, Isa::kAvx2, Isa::kAvx512})
    if (const Functions* f = ForIsa(isa)) all.push_back(f);
  return all;
}

// Inputs from -lo to hi with a few awkward values; `n` elements.
std::vector<float> Grid(int64_t n, float lo, float hi) {
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    x[static_cast<size_t>(i)] = lo + (hi - lo) * static_cast<float>(i) / static_cast<float>(n > 1 ? n - 1 : 1);
  return x;
}

void ExpectClose(float actual, double expected, double rtol, double atol, const char* what, float x, Isa isa) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << what << "(" << x << ") on " << IsaName(isa);
    return;
  }
  if (std::isinf(static_cast<float>(expected))) {  // beyond float's range
    EXPECT_EQ(actual, static_cast<float>(expected)) << what << "(" << x << ") on " << IsaName(isa);
    return;
  }
  EXPECT_NEAR(actual, expected, atol + rtol * std::fabs(expected)) << what << "(" << x << ") on " << IsaName(isa);
}

TEST(VectorMath, BestIsOneOfTheAvailable) {
  bool found = false;
  for (const Functions* f : Available()) found = found || f == &Best();
  EXPECT_TRUE(found);
}

TEST(VectorMath, UnaryFunctionsMatchLibm) {
  std::vector<float> x = Grid(1001, -12.0f, 12.0f);
  const float specials[] = {0.0f, -0.0f, 1e-6f, -1e-6f, 0.5499f, 0.55f, 0.9999f, 1.0f, -1.0f, 87.0f, 88.7f, 89.0f,
                            -87.0f, -100.0f, -110.0f, 1000.0f, -1000.0f,
                            std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN()};
  x.insert(x.end(), std::begin(specials), std::end(specials));
  const int64_t n = static_cast<int64_t>(x.size());
  std::vector<float> y(x.size());
  for (const Functions* f : Available()) {
    f->exp(x.data(), y.data(), n);
    for (size_t i = 0; i < x.size(); ++i) ExpectClose(y[i], std::exp(double(x[i])), 3e-7, 1e-37, "exp", x[i], f->isa);
    f->erf(x.data(), y.data(), n);
    for (size_t i = 0; i < x.size(); ++i) ExpectClose(y[i], std::erf(double(x[i])), 1e-6, 1e-7, "erf", x[i], f->isa);
    f->tanh(x.data(), y.data(), n);
    for (size_t i = 0; i < x.size(); ++i) ExpectClose(y[i], std::tanh(double(x[i])), 1e-6, 1e-7, "tanh", x[i], f->isa);
    f->sigmoid(x.data(), y.data(), n);
    for (size_t i = 0; i < x.size(); ++i)
      ExpectClose(y[i], 1.0 / (1.0 + std::exp(-double(x[i]))), 1e-6, 1e-30, "sigmoid", x[i], f->isa);
    f->relu(x.data(), y.data(), n);
    for (size_t i = 0; i < x.size(); ++i)
      ExpectClose(y[i], x[i] < 0 ? 0.0 : double(x[i]), 0, 0, "relu", x[i], f->isa);
    f->gelu(x.data(), y.data(), n, false);
    for (size_t i = 0; i < x.size(); ++i) {
      const double v = x[i];
      // -inf gives NaN (-inf * 0), as the unfused x * 0.5 * (1 + erf(x / sqrt 2)) does.
      const double expected = std::isinf(v) ? (v > 0 ? v : std::nan("")) : 0.5 * v * std::erfc(-v / std::sqrt(2.0));
      ExpectClose(y[i], expected, 1e-6, 1e-7, "gelu", x[i], f->isa);
    }
    f->gelu(x.data(), y.data(), n, true);
    for (size_t i = 0; i < x.size(); ++i) {
      const double v = x[i];
      if (std::isinf(v)) continue;
      const double expected = 0.5 * v * (1 + std::tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
      ExpectClose(y[i], expected, 1e-6, 1e-7, "gelu_tanh", x[i], f->isa);
    }
  }
}

TEST(VectorMath, EveryLengthAndInPlace) {
  for (const Functions* f : Available()) {
    for (int64_t n = 0; n <= 40; ++n) {
      std::vector<float> x = Grid(n, -3.0f, 2.0f);
      std::vector<float> y = x;
      f->exp(y.data(), y.data(), n);  // in place
      for (int64_t i = 0; i < n; ++i)
        ExpectClose(y[static_cast<size_t>(i)], std::exp(double(x[static_cast<size_t>(i)])), 3e-7, 0, "exp",
                    x[static_cast<size_t>(i)], f->isa);
    }
  }
}

TEST(VectorMath, BinaryOpsWithBroadcastOperands) {
  const int64_t n = 37;
  std::vector<float> a = Grid(n, -2.0f, 3.0f), b = Grid(n, 0.5f, 4.0f), out(static_cast<size_t>(n));
  struct Case {
    BinaryOp op;
    double (*f)(double, double);
  };
  const Case cases[] = {{BinaryOp::kAdd, [](double x, double y) { return x + y; }},
                        {BinaryOp::kSub, [](double x, double y) { return x - y; }},
                        {BinaryOp::kMul, [](double x, double y) { return x * y; }},
                        {BinaryOp::kDiv, [](double x, double y) { return x / y; }}};
  for (const Functions* f : Available()) {
    for (const Case& c : cases) {
      for (int64_t as : {0, 1}) {
        for (int64_t bs : {0, 1}) {
          f->binary(c.op, a.data(), as, b.data(), bs, out.data(), n);
          for (int64_t i = 0; i < n; ++i) {
            const float x = a[static_cast<size_t>(i * as)], y = b[static_cast<size_t>(i * bs)];
            EXPECT_FLOAT_EQ(out[static_cast<size_t>(i)], static_cast<float>(c.f(x, y)))
                << "op " << static_cast<int>(c.op) << " steps " << as << bs << " on " << IsaName(f->isa);
          }
        }
      }
    }
  }
}

TEST(VectorMath, SoftmaxRowWithAndWithoutBias) {
  for (const Functions* f : Available()) {
    for (int64_t n : {1, 7, 16, 33, 128}) {
      std::vector<float> x = Grid(n, -5.0f, 9.0f), bias(static_cast<size_t>(n), 0.0f), y(static_cast<size_t>(n));
      if (n > 2) bias[1] = -std::numeric_limits<float>::infinity();
      for (int with_bias = 0; with_bias < 2; ++with_bias) {
        f->softmax_row(x.data(), with_bias ? bias.data() : nullptr, y.data(), n);
        double m = -1e300, sum = 0;
        for (int64_t i = 0; i < n; ++i) m = std::max(m, double(x[size_t(i)]) + (with_bias ? bias[size_t(i)] : 0));
        for (int64_t i = 0; i < n; ++i) sum += std::exp(double(x[size_t(i)]) + (with_bias ? bias[size_t(i)] : 0) - m);
        for (int64_t i = 0; i < n; ++i) {
          const double e = std::exp(double(x[size_t(i)]) + (with_bias ? bias[size_t(i)] : 0) - m) / sum;
          ExpectClose(y[size_t(i)], e, 1e-6, 1e-9, "softmax", x[size_t(i)], f->isa);
        }
      }
    }
  }
}

TEST(VectorMath, LayerNormRow) {
  for (const Functions* f : Available()) {
    for (int64_t n : {1, 5, 16, 100}) {
      std::vector<float> x = Grid(n, -1.0f, 3.0f), scale = Grid(n, 0.5f, 1.5f), bias = Grid(n, -0.2f, 0.2f);
      std::vector<float> y(static_cast<size_t>(n));
      float mean = 0, inv_std = 0;
      f->layer_norm_row(x.data(), scale.data(), bias.data(), y.data(), n, 1e-5f, &mean, &inv_std);
      double m = 0, var = 0;
      for (float v : x) m += v;
      m /= double(n);
      for (float v : x) var += (v - m) * (v - m);
      var /= double(n);
      const double inv = 1 / std::sqrt(var + 1e-5);
      EXPECT_NEAR(mean, m, 1e-6);
      EXPECT_NEAR(inv_std, inv, 1e-5 * inv);
      for (int64_t i = 0; i < n; ++i) {
        const double e = (x[size_t(i)] - m) * inv * scale[size_t(i)] + bias[size_t(i)];
        ExpectClose(y[size_t(i)], e, 1e-5, 1e-6, "layer_norm", x[size_t(i)], f->isa);
      }
    }
  }
}
}  // namespace
}  // namespace kiln::cpu::vec

namespace kiln::cpu::vec {
namespace {

// The scalar definition of QuantizeLinear (ONNX): saturate(round(x / scale) + zero_point).
int32_t ReferenceQuantize(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax) {
  if (std::isnan(x)) return qmin;
  const float r = std::nearbyint(x / scale) + static_cast<float>(zero_point);
  return static_cast<int32_t>(std::min<float>(std::max<float>(r, qmin), qmax));
}

TEST(VectorMath, QuantizeMatchesReferenceForBothByteTypes) {
  // Halfway cases (round to even), saturation on both sides, NaN, infinities
  // and every tail length.
  std::vector<float> x = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 1e9f, -1e9f,
                          std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity(), 0.0f, -0.0f};
  for (float v : Grid(181, -300.0f, 300.0f)) x.push_back(v * 0.37f);
  struct Range {
    int32_t qmin, qmax, zero_point;
  };
  for (const Functions* f : Available()) {
    for (const Range r : {Range{0, 255, 128}, Range{0, 255, 0}, Range{-128, 127, 0}, Range{-128, 127, -5}}) {
      for (float scale : {1.0f, 0.5f, 0.0371f}) {
        for (size_t n = 0; n <= x.size(); n += (n < 40 ? 1 : 17)) {
          std::vector<int8_t> y(n + 1, 42);
          f->quantize(x.data(), y.data(), static_cast<int64_t>(n), scale, r.zero_point, r.qmin, r.qmax);
          for (size_t i = 0; i < n; ++i) {
            const int32_t got = r.qmin < 0 ? static_cast<int32_t>(y[i]) : static_cast<int32_t>(static_cast<uint8_t>(y[i]));
            ASSERT_EQ(got, ReferenceQuantize(x[i], scale, r.zero_point, r.qmin, r.qmax))
                << "x=" << x[i] << " scale=" << scale << " zp=" << r.zero_point << " on " << IsaName(f->isa);
          }
          ASSERT_EQ(y[n], 42) << "wrote past the end, n=" << n;
        }
      }
    }
  }
}
}  // namespace
}  // namespace kiln::cpu::vec

namespace kiln::cpu::vec {
namespace {

TEST(VectorMath, MinMaxSkipsNaNsAtAnyPosition) {
  for (const Functions* f : Available()) {
    for (int64_t n = 1; n <= 70; ++n) {
      std::vector<float> x = Grid(n, -3.0f, 5.0f);
      for (int64_t nan_at : {int64_t{0}, n / 2, n - 1}) {
        std::vector<float> y = x;
        if (n > 1) y[static_cast<size_t>(nan_at)] = std::numeric_limits<float>::quiet_NaN();
        float expected_lo = std::numeric_limits<float>::infinity(), expected_hi = -expected_lo;
        for (float v : y) {
          if (std::isnan(v)) continue;
          expected_lo = std::min(expected_lo, v);
          expected_hi = std::max(expected_hi, v);
        }
        float lo = 0, hi = 0;
        f->min_max(y.data(), n, &lo, &hi);
        EXPECT_EQ(lo, expected_lo) << "n=" << n << " nan at " << nan_at << " on " << IsaName(f->isa);
        EXPECT_EQ(hi, expected_hi) << "n=" << n << " nan at " << nan_at << " on " << IsaName(f->isa);
      }
    }
  }
}
TEST(VectorMath, ReduceRowsMaxAndSumOverEveryLengthAndCount) {
  for (const Functions* f : Available()) {
    for (int64_t n : {int64_t{1}, int64_t{15}, int64_t{16}, int64_t{17}, int64_t{63}, int64_t{64}, int64_t{65},
                      int64_t{100}, int64_t{130}}) {
      for (int64_t count : {int64_t{1}, int64_t{2}, int64_t{4}, int64_t{9}}) {
        std::vector<std::vector<float>> data;
        std::vector<const float*> rows;
        for (int64_t r = 0; r < count; ++r) {
          data.push_back(Grid(n, -2.0f + 0.37f * static_cast<float>(r), 3.0f - 0.55f * static_cast<float>(r)));
        }
        for (const auto& row : data) rows.push_back(row.data());
        for (RowReduction reduction : {RowReduction::kMax, RowReduction::kSum}) {
          std::vector<float> out(static_cast<size_t>(n), -99.0f);
          f->reduce_rows(reduction, rows.data(), count, out.data(), n);
          for (int64_t i = 0; i < n; ++i) {
            float expected = data[0][static_cast<size_t>(i)];
            for (int64_t r = 1; r < count; ++r) {
              const float v = data[static_cast<size_t>(r)][static_cast<size_t>(i)];
              expected = reduction == RowReduction::kMax ? std::max(expected, v) : expected + v;
            }
            EXPECT_EQ(out[static_cast<size_t>(i)], expected)
                << (reduction == RowReduction::kMax ? "max" : "sum") << " n=" << n << " count=" << count
                << " at " << i << " on " << IsaName(f->isa);
          }
        }
      }
    }
  }
}


}  // namespace
}  // namespace kiln::cpu::vec
