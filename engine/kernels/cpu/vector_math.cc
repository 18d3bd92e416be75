// Vectorized float32 loops (see vector_math.h). The loop bodies are written
// once with GCC/Clang vector extensions over VB-byte vectors and inlined into
// per-instruction-set entry points carrying target attributes, so the
// compiler emits AVX-512, AVX2+FMA or SSE2 code for them from the same source.
#include "engine/kernels/cpu/vector_math.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

// The vector helpers below pass wide vectors by value; they are always
// inlined into functions compiled for the matching target, so the ABI note
// GCC gives for their declarations does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace kiln::cpu::vec {
namespace {

#if defined(__GNUC__) && defined(__x86_64__)
#define KILN_VEC_HAVE_X86_VARIANTS 1
#if defined(__clang__)
#define KILN_VEC_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define KILN_VEC_TARGET_AVX512 __attribute__((target("avx512f,fma")))
#else
#define KILN_VEC_TARGET_AVX2 __attribute__((target("avx2,fma"), optimize("fp-contract=fast")))
#define KILN_VEC_TARGET_AVX512 __attribute__((target("avx512f,fma"), optimize("fp-contract=fast")))
#endif
#else
#define KILN_VEC_HAVE_X86_VARIANTS 0
#endif

#define KILN_VEC_INLINE [[gnu::always_inline]] inline

// Polynomial coefficients.
// e^r for |r| <= ln2/2: its Taylor polynomial of degree 7.
constexpr float kExpTaylor[] = {1.0f, 1.0f, 0.5f, 1.0f / 6, 1.0f / 24, 1.0f / 120, 1.0f / 720, 1.0f / 5040};
// erf(x) = x * sum_k kErfTaylor[k] * x^(2k) for |x| < 1: 2/sqrt(pi) * (-1)^k / (k! (2k + 1)).
constexpr float kErfTaylor[] = {1.1283791670955126f,    -0.37612638903183754f,  0.11283791670955126f,
                                -0.026866170645131252f, 0.0052239776254421878f, -0.00085483270234508528f,
                                0.00012055332981789664f, -1.4925650358406251e-05f, 1.6462114365889247e-06f,
                                -1.6365844691234924e-07f, 1.4807192815879218e-08f, -1.2290555301717926e-09f};
// erfc(z) = t * exp(-z^2 + P(t)), t = 1 / (1 + z/2), z >= 0 (Chebyshev fit,
// relative error below 1.2e-7). Coefficients of P from t^0 to t^9.
constexpr float kErfcChebyshev[] = {-1.26551223f, 1.00002368f, 0.37409196f, 0.09678418f, -0.18628806f,
                                    0.27886807f,  -1.13520398f, 1.48851587f, -0.82215223f, 0.17087277f};
// tanh(x) = x * sum_k kTanhTaylor[k] * x^(2k) for |x| < kTanhSmall.
constexpr float kTanhTaylor[] = {1.0f,
                                 -0.33333333333333333f,
                                 0.13333333333333333f,
                                 -0.053968253968253968f,
                                 0.021869488536155203f,
                                 -0.0088632355299021966f,
                                 0.0035921280365724810f,
                                 -0.0014558343870513183f,
                                 0.00059002744094558598f};
constexpr float kTanhSmall = 0.55f;
constexpr float kSqrtHalf = 0.70710678118654752f;
constexpr float kSqrtTwoOverPi = 0.79788456080286536f;

// Float and int32 vectors of VB bytes (GCC ignores a vector_size that
// depends on a template parameter in a class template, hence the
// specializations).
template <int VB>
struct VectorTypes;
template <>
struct VectorTypes<16> {
  typedef float F __attribute__((vector_size(16)));
  typedef int32_t I __attribute__((vector_size(16)));
  typedef int8_t B __attribute__((vector_size(4)));
};
template <>
struct VectorTypes<32> {
  typedef float F __attribute__((vector_size(32)));
  typedef int32_t I __attribute__((vector_size(32)));
  typedef int8_t B __attribute__((vector_size(8)));
};
template <>
struct VectorTypes<64> {
  typedef float F __attribute__((vector_size(64)));
  typedef int32_t I __attribute__((vector_size(64)));
  typedef int8_t B __attribute__((vector_size(16)));
};

template <int VB>
struct Kernels {
  using V = typename VectorTypes<VB>::F;
  using VI = typename VectorTypes<VB>::I;
  using VB8 = typename VectorTypes<VB>::B;
  static constexpr int kLanes = VB / 4;

  KILN_VEC_INLINE static V Load(const float* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  KILN_VEC_INLINE static void Store(float* p, V v) { std::memcpy(p, &v, sizeof v); }
  KILN_VEC_INLINE static V Splat(float s) { return V{} + s; }
  KILN_VEC_INLINE static V AsFloat(VI i) {
    V f;
    std::memcpy(&f, &i, sizeof f);
    return f;
  }
  KILN_VEC_INLINE static VI AsInt(V f) {
    VI i;
    std::memcpy(&i, &f, sizeof i);
    return i;
  }
  // NaN-propagating for x: comparisons with NaN are false and keep x.
  KILN_VEC_INLINE static V Max(V x, V lo) { return x < lo ? lo : x; }
  KILN_VEC_INLINE static V Min(V x, V hi) { return x > hi ? hi : x; }
  KILN_VEC_INLINE static V Abs(V x) { return AsFloat(AsInt(x) & 0x7fffffff); }
  // |magnitude| with the sign of `sign`.
  KILN_VEC_INLINE static V CopySign(V magnitude, V sign) {
    return AsFloat((AsInt(magnitude) & 0x7fffffff) | (AsInt(sign) & static_cast<int32_t>(0x80000000u)));
  }
  // c[0] + c[1] x + ... + c[N-1] x^(N-1), unrolled.
  template <size_t N, size_t... I>
  KILN_VEC_INLINE static V HornerSteps(V x, const float (&c)[N], std::index_sequence<I...>) {
    V p = Splat(c[N - 1]);
    ((p = p * x + c[N - 2 - I]), ...);
    return p;
  }
  template <size_t N>
  KILN_VEC_INLINE static V Horner(V x, const float (&c)[N]) {
    return HornerSteps(x, c, std::make_index_sequence<N - 1>{});
  }
  KILN_VEC_INLINE static float HorizontalSum(V v) {
    float s = 0;
    for (int k = 0; k < kLanes; ++k) s += v[k];
    return s;
  }
  KILN_VEC_INLINE static float HorizontalMax(V v) {
    float m = v[0];
    for (int k = 1; k < kLanes; ++k) m = v[k] > m ? v[k] : m;
    return m;
  }

  // e^x: x = n ln2 + r with |r| <= ln2/2, e^r by its degree-7 Taylor
  // polynomial, 2^n applied in two halves so that results near the float
  // range's ends (overflow to inf, gradual underflow) come out right.
  KILN_VEC_INLINE static V Exp(V x) {
    x = Min(Max(x, Splat(-104.0f)), Splat(89.0f));
    constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
    const V n = (x * 1.44269504088896341f + kMagic) - kMagic;
    V r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    const V p = Horner(r, kExpTaylor);
    const VI ni = __builtin_convertvector(n, VI);
    const VI n1 = ni >> 1;
    const VI n2 = ni - n1;
    return p * AsFloat((n1 + 127) << 23) * AsFloat((n2 + 127) << 23);
  }
  // erfc(z) for z >= 0 (z large gives 0).
  KILN_VEC_INLINE static V ErfcNonNegative(V z) {
    const V t = Splat(1.0f) / (z * 0.5f + 1.0f);
    return t * Exp(Horner(t, kErfcChebyshev) - z * z);
  }
  KILN_VEC_INLINE static V Erf(V x) {
    const V a = Abs(x);
    const V small = x * Horner(x * x, kErfTaylor);
    const V large = CopySign(1.0f - ErfcNonNegative(a), x);
    return a < 1.0f ? small : large;
  }
  // 1 + erf(x), accurate also where erf(x) is close to -1.
  KILN_VEC_INLINE static V OnePlusErf(V x) {
    const V a = Abs(x);
    const V small = 1.0f + x * Horner(x * x, kErfTaylor);
    const V erfc = ErfcNonNegative(a);
    const V large = x < 0.0f ? erfc : 2.0f - erfc;
    return a < 1.0f ? small : large;
  }
  KILN_VEC_INLINE static V Tanh(V x) {
    const V a = Abs(x);
    const V small = x * Horner(x * x, kTanhTaylor);
    const V large = CopySign(1.0f - 2.0f / (Exp(a * 2.0f) + 1.0f), x);
    return a < kTanhSmall ? small : large;
  }
  KILN_VEC_INLINE static V Sigmoid(V x) { return Splat(1.0f) / (Exp(-x) + 1.0f); }
  KILN_VEC_INLINE static V GeluErf(V x) { return x * 0.5f * OnePlusErf(x * kSqrtHalf); }
  // 0.5 x (1 + tanh(u)) = x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3).
  KILN_VEC_INLINE static V GeluTanh(V x) {
    const V u = (x + x * x * x * 0.044715f) * kSqrtTwoOverPi;
    return x / (Exp(u * -2.0f) + 1.0f);
  }

  struct ExpOp {
    KILN_VEC_INLINE V operator()(V x) const { return Exp(x); }
  };
  struct ErfOp {
    KILN_VEC_INLINE V operator()(V x) const { return Erf(x); }
  };
  struct TanhOp {
    KILN_VEC_INLINE V operator()(V x) const { return Tanh(x); }
  };
  struct SigmoidOp {
    KILN_VEC_INLINE V operator()(V x) const { return Sigmoid(x); }
  };
  struct ReluOp {
    KILN_VEC_INLINE V operator()(V x) const { return x < 0.0f ? V{} : x; }
  };
  struct GeluErfOp {
    KILN_VEC_INLINE V operator()(V x) const { return GeluErf(x); }
  };
  struct GeluTanhOp {
    KILN_VEC_INLINE V operator()(V x) const { return GeluTanh(x); }
  };

  // y[i] = f(x[i]); the tail goes through a zero-padded vector.
  template <typename F>
  KILN_VEC_INLINE static void Map(const float* x, float* y, int64_t n, F f) {
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) Store(y + i, f(Load(x + i)));
    if (i < n) {
      float buffer[kLanes] = {};
      const size_t bytes = static_cast<size_t>(n - i) * sizeof(float);
      std::memcpy(buffer, x + i, bytes);
      Store(buffer, f(Load(buffer)));
      std::memcpy(y + i, buffer, bytes);
    }
  }

  // y[i] = clamp(round_half_even(x[i] / scale) + zero_point, qmin, qmax)
  // as bytes (uint8 or int8 by qmin / qmax). Clamping before rounding keeps
  // |v| < 2^22, where adding and subtracting 1.5 * 2^23 rounds exactly; the
  // rounded value is then read straight from the float's mantissa bits.
  KILN_VEC_INLINE static void Quantize(const float* x, void* y, int64_t n, float scale, int32_t zero_point,
                                       int32_t qmin, int32_t qmax) {
    constexpr float kRound = 12582912.0f;  // 1.5 * 2^23
    const V lo = Splat(static_cast<float>(qmin - zero_point));
    const V hi = Splat(static_cast<float>(qmax - zero_point));
    const V s = Splat(scale);
    const VI bias = AsInt(Splat(kRound)) - zero_point;
    auto quantize = [&](V v) {
      v = v / s;
      v = v >= lo ? v : lo;  // NaN -> qmin
      v = v > hi ? hi : v;
      return __builtin_convertvector(AsInt(v + kRound) - bias, VB8);
    };
    auto* out = static_cast<int8_t*>(y);
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      const VB8 q = quantize(Load(x + i));
      std::memcpy(out + i, &q, sizeof q);
    }
    if (i < n) {
      float buffer[kLanes] = {};
      std::memcpy(buffer, x + i, static_cast<size_t>(n - i) * sizeof(float));
      const VB8 q = quantize(Load(buffer));
      std::memcpy(out + i, &q, static_cast<size_t>(n - i));
    }
  }

  KILN_VEC_INLINE static void MinMax(const float* x, int64_t n, float* lo, float* hi) {
    // Comparisons with NaN are false, so NaNs never replace a bound.
    constexpr float kInf = std::numeric_limits<float>::infinity();
    V vlo = Splat(kInf), vhi = Splat(-kInf);
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      const V v = Load(x + i);
      vlo = v < vlo ? v : vlo;
      vhi = v > vhi ? v : vhi;
    }
    float l = kInf, h = -kInf;
    for (int k = 0; k < kLanes; ++k) {
      l = vlo[k] < l ? vlo[k] : l;
      h = vhi[k] > h ? vhi[k] : h;
    }
    for (; i < n; ++i) {
      l = x[i] < l ? x[i] : l;
      h = x[i] > h ? x[i] : h;
    }
    *lo = l;
    *hi = h;
  }

  // out = rows[0] op rows[1] op ... over n floats, op max or sum. Four
  // vectors of each row at a time stay in registers across all the rows, so
  // out is written once (a pooling window's taps reduced into its output).
  template <typename Op>
  KILN_VEC_INLINE static void ReduceRows(const float* const* rows, int64_t count, float* out, int64_t n, Op op) {
    int64_t i = 0;
    for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
      const float* r0 = rows[0] + i;
      V a0 = Load(r0), a1 = Load(r0 + kLanes), a2 = Load(r0 + 2 * kLanes), a3 = Load(r0 + 3 * kLanes);
      for (int64_t r = 1; r < count; ++r) {
        const float* row = rows[r] + i;
        a0 = op(a0, Load(row));
        a1 = op(a1, Load(row + kLanes));
        a2 = op(a2, Load(row + 2 * kLanes));
        a3 = op(a3, Load(row + 3 * kLanes));
      }
      Store(out + i, a0);
      Store(out + i + kLanes, a1);
      Store(out + i + 2 * kLanes, a2);
      Store(out + i + 3 * kLanes, a3);
    }
    for (; i + kLanes <= n; i += kLanes) {
      V a = Load(rows[0] + i);
      for (int64_t r = 1; r < count; ++r) a = op(a, Load(rows[r] + i));
      Store(out + i, a);
    }
    for (; i < n; ++i) {
      float a = rows[0][i];
      for (int64_t r = 1; r < count; ++r) a = op(a, rows[r][i]);
      out[i] = a;
    }
  }
  // std::max's choice: the first operand unless it is less than the second.
  struct MaxOp {
    KILN_VEC_INLINE V operator()(V a, V b) const { return Max(a, b); }
    KILN_VEC_INLINE float operator()(float a, float b) const { return a < b ? b : a; }
  };
  KILN_VEC_INLINE static void ReduceRows(RowReduction reduction, const float* const* rows, int64_t count, float* out,
                                         int64_t n) {
    if (reduction == RowReduction::kMax) {
      ReduceRows(rows, count, out, n, MaxOp{});
    } else {
      ReduceRows(rows, count, out, n, AddOp{});
    }
  }

  struct AddOp {
    KILN_VEC_INLINE V operator()(V a, V b) const { return a + b; }
    KILN_VEC_INLINE float operator()(float a, float b) const { return a + b; }
  };
  struct SubOp {
    KILN_VEC_INLINE V operator()(V a, V b) const { return a - b; }
    KILN_VEC_INLINE float operator()(float a, float b) const { return a - b; }
  };
  struct MulOp {
    KILN_VEC_INLINE V operator()(V a, V b) const { return a * b; }
    KILN_VEC_INLINE float operator()(float a, float b) const { return a * b; }
  };
  struct DivOp {
    KILN_VEC_INLINE V operator()(V a, V b) const { return a / b; }
    KILN_VEC_INLINE float operator()(float a, float b) const { return a / b; }
  };

  template <typename F>
  KILN_VEC_INLINE static void BinaryLoop(const float* a, int64_t a_step, const float* b, int64_t b_step, float* out,
                                         int64_t n, F f) {
    int64_t i = 0;
    if (a_step != 0 && b_step != 0) {
      for (; i + kLanes <= n; i += kLanes) Store(out + i, f(Load(a + i), Load(b + i)));
      for (; i < n; ++i) out[i] = f(a[i], b[i]);
    } else if (a_step != 0) {
      const V bv = Splat(b[0]);
      const float bs = b[0];
      for (; i + kLanes <= n; i += kLanes) Store(out + i, f(Load(a + i), bv));
      for (; i < n; ++i) out[i] = f(a[i], bs);
    } else if (b_step != 0) {
      const V av = Splat(a[0]);
      const float as = a[0];
      for (; i + kLanes <= n; i += kLanes) Store(out + i, f(av, Load(b + i)));
      for (; i < n; ++i) out[i] = f(as, b[i]);
    } else {
      const float v = f(a[0], b[0]);
      for (; i < n; ++i) out[i] = v;
    }
  }

  KILN_VEC_INLINE static void Binary(BinaryOp op, const float* a, int64_t a_step, const float* b, int64_t b_step,
                                     float* out, int64_t n) {
    switch (op) {
      case BinaryOp::kAdd:
        return BinaryLoop(a, a_step, b, b_step, out, n, AddOp{});
      case BinaryOp::kSub:
        return BinaryLoop(a, a_step, b, b_step, out, n, SubOp{});
      case BinaryOp::kMul:
        return BinaryLoop(a, a_step, b, b_step, out, n, MulOp{});
      case BinaryOp::kDiv:
        return BinaryLoop(a, a_step, b, b_step, out, n, DivOp{});
    }
  }

  KILN_VEC_INLINE static void SoftmaxRow(const float* x, const float* bias, float* y, int64_t n) {
    if (n <= 0) return;
    if (bias != nullptr) {
      BinaryLoop(x, 1, bias, 1, y, n, AddOp{});
      x = y;
    }
    int64_t i = 0;
    V vmax = Splat(-std::numeric_limits<float>::infinity());
    for (; i + kLanes <= n; i += kLanes) vmax = Max(Load(x + i), vmax);
    float m = HorizontalMax(vmax);
    for (; i < n; ++i) m = x[i] > m ? x[i] : m;
    // The sum of the exponentials, then the division by it.
    V vsum{};
    const V vm = Splat(m);
    i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      const V e = Exp(Load(x + i) - vm);
      Store(y + i, e);
      vsum += e;
    }
    float sum = HorizontalSum(vsum);
    if (i < n) {
      float buffer[kLanes] = {};
      const int64_t rest = n - i;
      std::memcpy(buffer, x + i, static_cast<size_t>(rest) * sizeof(float));
      Store(buffer, Exp(Load(buffer) - vm));
      for (int64_t k = 0; k < rest; ++k) sum += buffer[k];
      std::memcpy(y + i, buffer, static_cast<size_t>(rest) * sizeof(float));
    }
    const float inv = 1.0f / sum;
    const V vinv = Splat(inv);
    i = 0;
    for (; i + kLanes <= n; i += kLanes) Store(y + i, Load(y + i) * vinv);
    for (; i < n; ++i) y[i] *= inv;
  }

  KILN_VEC_INLINE static void LayerNormRow(const float* x, const float* scale, const float* bias, float* y, int64_t n,
                                           float epsilon, float* mean_out, float* inv_std_out) {
    if (n <= 0) return;
    V vsum{};
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) vsum += Load(x + i);
    float sum = HorizontalSum(vsum);
    for (; i < n; ++i) sum += x[i];
    const float mean = sum / static_cast<float>(n);
    const V vmean = Splat(mean);
    V vsq{};
    i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      const V d = Load(x + i) - vmean;
      vsq += d * d;
    }
    float sq = HorizontalSum(vsq);
    for (; i < n; ++i) sq += (x[i] - mean) * (x[i] - mean);
    const float inv_std = 1.0f / std::sqrt(sq / static_cast<float>(n) + epsilon);
    const V vinv = Splat(inv_std);
    i = 0;
    if (bias != nullptr) {
      for (; i + kLanes <= n; i += kLanes)
        Store(y + i, (Load(x + i) - vmean) * vinv * Load(scale + i) + Load(bias + i));
      for (; i < n; ++i) y[i] = (x[i] - mean) * inv_std * scale[i] + bias[i];
    } else {
      for (; i + kLanes <= n; i += kLanes) Store(y + i, (Load(x + i) - vmean) * vinv * Load(scale + i));
      for (; i < n; ++i) y[i] = (x[i] - mean) * inv_std * scale[i];
    }
    if (mean_out != nullptr) *mean_out = mean;
    if (inv_std_out != nullptr) *inv_std_out = inv_std;
  }
};

// Entry points of one instruction set: ATTR is its target attribute, VB its vector width.
#define KILN_VEC_DEFINE_ISA(NAME, ATTR, VB, ISA)                                                                    \
  ATTR void Binary##NAME(BinaryOp op, const float* a, int64_t as, const float* b, int64_t bs, float* out,         \
                         int64_t n) {                                                                               \
    Kernels<VB>::Binary(op, a, as, b, bs, out, n);                                                                 \
  }                                                                                                                 \
  ATTR void Exp##NAME(const float* x, float* y, int64_t n) { Kernels<VB>::Map(x, y, n, Kernels<VB>::ExpOp{}); }   \
  ATTR void Erf##NAME(const float* x, float* y, int64_t n) { Kernels<VB>::Map(x, y, n, Kernels<VB>::ErfOp{}); }   \
  ATTR void Tanh##NAME(const float* x, float* y, int64_t n) { Kernels<VB>::Map(x, y, n, Kernels<VB>::TanhOp{}); } \
  ATTR void Sigmoid##NAME(const float* x, float* y, int64_t n) {                                                   \
    Kernels<VB>::Map(x, y, n, Kernels<VB>::SigmoidOp{});                                                           \
  }                                                                                                                 \
  ATTR void Relu##NAME(const float* x, float* y, int64_t n) { Kernels<VB>::Map(x, y, n, Kernels<VB>::ReluOp{}); } \
  ATTR void Gelu##NAME(const float* x, float* y, int64_t n, bool tanh_approximation) {                             \
    if (tanh_approximation) {                                                                                       \
      Kernels<VB>::Map(x, y, n, Kernels<VB>::GeluTanhOp{});                                                        \
    } else {                                                                                                        \
      Kernels<VB>::Map(x, y, n, Kernels<VB>::GeluErfOp{});                                                         \
    }                                                                                                               \
  }                                                                                                                 \
  ATTR void SoftmaxRow##NAME(const float* x, const float* bias, float* y, int64_t n) {                             \
    Kernels<VB>::SoftmaxRow(x, bias, y, n);                                                                         \
  }                                                                                                                 \
  ATTR void LayerNormRow##NAME(const float* x, const float* scale, const float* bias, float* y, int64_t n,         \
                               float epsilon, float* mean_out, float* inv_std_out) {                               \
    Kernels<VB>::LayerNormRow(x, scale, bias, y, n, epsilon, mean_out, inv_std_out);                               \
  }                                                                                                                 \
  ATTR void Quantize##NAME(const float* x, void* y, int64_t n, float scale, int32_t zero_point, int32_t qmin,      \
                           int32_t qmax) {                                                                          \
    Kernels<VB>::Quantize(x, y, n, scale, zero_point, qmin, qmax);                                                 \
  }                                                                                                                 \
  ATTR void MinMax##NAME(const float* x, int64_t n, float* lo, float* hi) { Kernels<VB>::MinMax(x, n, lo, hi); }   \
  ATTR void ReduceRows##NAME(RowReduction reduction, const float* const* rows, int64_t count, float* out,          \
                             int64_t n) {                                                                           \
    Kernels<VB>::ReduceRows(reduction, rows, count, out, n);                                                       \
  }                                                                                                                 \
  constexpr Functions k##NAME##Functions = {ISA,             &Binary##NAME,      &Exp##NAME,  &Erf##NAME,         \
                                            &Tanh##NAME,     &Sigmoid##NAME,     &Relu##NAME, &Gelu##NAME,        \
                                            &SoftmaxRow##NAME, &LayerNormRow##NAME, &Quantize##NAME, &MinMax##NAME, \
                                            &ReduceRows##NAME};

KILN_VEC_DEFINE_ISA(Generic, , 16, Isa::kGeneric)
#if KILN_VEC_HAVE_X86_VARIANTS
KILN_VEC_DEFINE_ISA(Avx2, KILN_VEC_TARGET_AVX2, 32, Isa::kAvx2)
KILN_VEC_DEFINE_ISA(Avx512, KILN_VEC_TARGET_AVX512, 64, Isa::kAvx512)
#endif

const Functions& SelectBest() {
#if KILN_VEC_HAVE_X86_VARIANTS
  if (__builtin_cpu_supports("avx512f")) return kAvx512Functions;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return kAvx2Functions;
#endif
  return kGenericFunctions;
}

}  // namespace

const Functions& Best() {
  static const Functions& best = SelectBest();
  return best;
}

const Functions* ForIsa(Isa isa) {
  switch (isa) {
    case Isa::kGeneric:
      return &kGenericFunctions;
    case Isa::kAvx2:
#if KILN_VEC_HAVE_X86_VARIANTS
      if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &kAvx2Functions;
#endif
      return nullptr;
    case Isa::kAvx512:
#if KILN_VEC_HAVE_X86_VARIANTS
      if (__builtin_cpu_supports("avx512f")) return &kAvx512Functions;
#endif
      return nullptr;
  }
  return nullptr;
}

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kGeneric:
      return "generic";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "?";
}

}  // namespace kiln::cpu::vec
