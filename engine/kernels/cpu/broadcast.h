// Multidirectional (NumPy-style) broadcasting: output shapes, and iteration
// over an output in contiguous runs with per-input offsets and steps.
#pragma once

#include <array>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/tensor.h"

namespace kiln::cpu {

// The broadcast of `shapes`, or InvalidArgument naming the clash.
Result<Shape> BroadcastShapes(const std::vector<Shape>& shapes);

// Strides of `in` (right-aligned to `out`'s rank) for walking `out`; 0 on
// broadcast dimensions.
std::vector<int64_t> BroadcastStrides(const Shape& in, const Shape& out);

// Walks `out` in runs along its last dimension. For each run calls
// run(out_offset, in_offsets, in_steps, count): element k of the run is
// output[out_offset + k] computed from input j at in_offsets[j] + k * in_steps[j].
template <size_t N, typename F>
void ForEachBroadcastRun(const Shape& out, const std::array<const Shape*, N>& ins, F&& run) {
  const int64_t total = NumElements(out);
  if (total == 0) return;
  std::array<int64_t, N> offsets{};
  std::array<int64_t, N> steps{};
  bool all_same = true;
  for (size_t j = 0; j < N; ++j) all_same = all_same && *ins[j] == out;
  if (all_same || out.empty()) {
    for (size_t j = 0; j < N; ++j) steps[j] = out.empty() ? 0 : 1;
    run(int64_t{0}, offsets, steps, total);
    return;
  }
  const size_t rank = out.size();
  std::array<std::vector<int64_t>, N> strides;
  for (size_t j = 0; j < N; ++j) {
    strides[j] = BroadcastStrides(*ins[j], out);
    steps[j] = strides[j][rank - 1];
  }
  const int64_t inner = out[rank - 1];
  std::vector<int64_t> index(rank, 0);
  for (int64_t o = 0; o < total; o += inner) {
    run(o, offsets, steps, inner);
    // Advance the outer index (all but the last dimension).
    for (size_t d = rank - 1; d-- > 0;) {
      ++index[d];
      for (size_t j = 0; j < N; ++j) offsets[j] += strides[j][d];
      if (index[d] < out[d]) break;
      for (size_t j = 0; j < N; ++j) offsets[j] -= strides[j][d] * out[d];
      index[d] = 0;
    }
  }
}

}  // namespace kiln::cpu

namespace kiln::cpu {

// out = op(a, b) elementwise with broadcasting; `out` already has the
// broadcast shape. TA/TB/TO are the element types of a, b and out.
template <typename TA, typename TB, typename TO, typename Op>
void BinaryBroadcastLoop(const Tensor& a, const Tensor& b, Tensor& out, Op op) {
  const TA* pa = a.data<TA>();
  const TB* pb = b.data<TB>();
  TO* po = out.data<TO>();
  ForEachBroadcastRun<2>(out.shape(), {&a.shape(), &b.shape()},
                         [&](int64_t o, const std::array<int64_t, 2>& off, const std::array<int64_t, 2>& step,
                             int64_t n) {
                           const TA* x = pa + off[0];
                           const TB* y = pb + off[1];
                           TO* z = po + o;
                           if (step[0] == 1 && step[1] == 1) {
                             for (int64_t k = 0; k < n; ++k) z[k] = op(x[k], y[k]);
                           } else if (step[0] == 1) {
                             const TB yv = y[0];
                             for (int64_t k = 0; k < n; ++k) z[k] = op(x[k], yv);
                           } else if (step[1] == 1) {
                             const TA xv = x[0];
                             for (int64_t k = 0; k < n; ++k) z[k] = op(xv, y[k]);
                           } else {
                             for (int64_t k = 0; k < n; ++k) z[k] = op(x[0], y[0]);
                           }
                         });
}

// Opset < 7 binary ops broadcast only B onto A, starting at `axis` of A
// (attribute broadcast=1). Returns B's shape padded with 1s to A's rank.
Result<Shape> LegacyBroadcastShape(const Shape& a, const Shape& b, int64_t axis, bool has_axis);

}  // namespace kiln::cpu
