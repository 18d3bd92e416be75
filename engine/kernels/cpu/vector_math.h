// Vectorized float32 loops over contiguous arrays: elementwise arithmetic,
// exp/erf/tanh/sigmoid/GELU, and the row operations of softmax and layer
// normalization. Each function exists for AVX-512, AVX2+FMA and a generic
// 16-byte-vector build; the best one the CPU supports is chosen once, at
// first use (no -march flags: the variants carry their own target
// attributes, like gemm.cc's micro-kernels).
//
// The transcendental functions use their own polynomial approximations
// (relative error a few float ulps; erf/tanh/GELU absolute error below
// 1e-6), not libm, so results may differ from std::exp & co in the last bits.
//
// All functions are single-threaded and thread-safe; callers split large
// arrays over a thread pool themselves. Input and output may be the same
// array (in place); other overlaps are not allowed.
#pragma once

#include <cstdint>

namespace kiln::cpu::vec {

enum class BinaryOp { kAdd, kSub, kMul, kDiv };
enum class RowReduction { kMax, kSum };

// The instruction sets a build of these loops exists for.
enum class Isa { kGeneric, kAvx2, kAvx512 };

// One instruction set's implementations.
struct Functions {
  Isa isa;
  // out[i] = a[i * a_step] op b[i * b_step], steps 0 (broadcast) or 1.
  void (*binary)(BinaryOp op, const float* a, int64_t a_step, const float* b, int64_t b_step, float* out, int64_t n);
  void (*exp)(const float* x, float* y, int64_t n);
  void (*erf)(const float* x, float* y, int64_t n);
  void (*tanh)(const float* x, float* y, int64_t n);
  void (*sigmoid)(const float* x, float* y, int64_t n);
  void (*relu)(const float* x, float* y, int64_t n);
  // x * Phi(x) (exact, erf form) or its tanh approximation.
  void (*gelu)(const float* x, float* y, int64_t n, bool tanh_approximation);
  // y = softmax(x + bias) over n elements; bias may be null.
  void (*softmax_row)(const float* x, const float* bias, float* y, int64_t n);
  // y = (x - mean) / sqrt(var + epsilon) * scale + bias (bias may be null);
  // stores the row's mean and 1/sqrt(var + epsilon) when the pointers are set.
  void (*layer_norm_row)(const float* x, const float* scale, const float* bias, float* y, int64_t n, float epsilon,
                         float* mean_out, float* inv_std_out);
  // QuantizeLinear with one scale: y[i] = clamp(round_half_even(x[i] / scale)
  // + zero_point, qmin, qmax) stored as bytes (qmin/qmax 0/255: uint8,
  // -128/127: int8); NaN gives qmin.
  void (*quantize)(const float* x, void* y, int64_t n, float scale, int32_t zero_point, int32_t qmin, int32_t qmax);
  // *lo = min(x), *hi = max(x); NaNs are skipped (no numbers at all: +inf
  // and -inf).
  void (*min_max)(const float* x, int64_t n, float* lo, float* hi);
  // out[i] = rows[0][i] op ... op rows[count-1][i] (count >= 1), op max (as
  // std::max) or +, left to right: a pooling window's taps, channels-last.
  void (*reduce_rows)(RowReduction reduction, const float* const* rows, int64_t count, float* out, int64_t n);
};

// The best implementation for this CPU.
const Functions& Best();
// The implementation for `isa`, or nullptr when this CPU (or build) lacks it.
const Functions* ForIsa(Isa isa);
const char* IsaName(Isa isa);

inline void Binary(BinaryOp op, const float* a, int64_t a_step, const float* b, int64_t b_step, float* out,
                   int64_t n) {
  Best().binary(op, a, a_step, b, b_step, out, n);
}
inline void Exp(const float* x, float* y, int64_t n) { Best().exp(x, y, n); }
inline void Erf(const float* x, float* y, int64_t n) { Best().erf(x, y, n); }
inline void Tanh(const float* x, float* y, int64_t n) { Best().tanh(x, y, n); }
inline void Sigmoid(const float* x, float* y, int64_t n) { Best().sigmoid(x, y, n); }
inline void Relu(const float* x, float* y, int64_t n) { Best().relu(x, y, n); }
inline void Gelu(const float* x, float* y, int64_t n, bool tanh_approximation) {
  Best().gelu(x, y, n, tanh_approximation);
}
inline void SoftmaxRow(const float* x, const float* bias, float* y, int64_t n) { Best().softmax_row(x, bias, y, n); }
inline void LayerNormRow(const float* x, const float* scale, const float* bias, float* y, int64_t n, float epsilon,
                         float* mean_out = nullptr, float* inv_std_out = nullptr) {
  Best().layer_norm_row(x, scale, bias, y, n, epsilon, mean_out, inv_std_out);
}

inline void Quantize(const float* x, void* y, int64_t n, float scale, int32_t zero_point, int32_t qmin,
                     int32_t qmax) {
  Best().quantize(x, y, n, scale, zero_point, qmin, qmax);
}

inline void MinMax(const float* x, int64_t n, float* lo, float* hi) { Best().min_max(x, n, lo, hi); }
inline void ReduceRows(RowReduction reduction, const float* const* rows, int64_t count, float* out, int64_t n) {
  Best().reduce_rows(reduction, rows, count, out, n);
}

}  // namespace kiln::cpu::vec
