// Packed, register-blocked GEMM (GotoBLAS-style loop nest).
//
// op(B) is packed into KC x NR column panels and op(A) into MR x KC row
// panels, both zero-padded to full panels, so the micro-kernel always runs a
// fixed MR x NR tile whose accumulators the compiler keeps in vector
// registers. The generic kernel uses 16-byte vectors (SSE2 on any x86-64);
// on x86-64, AVX2+FMA and AVX-512 variants with wider tiles are chosen at
// run time when the CPU has them.
#include "engine/kernels/cpu/gemm.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>

namespace kiln::cpu {
namespace {

#if defined(__GNUC__) && defined(__x86_64__)
#define KILN_GEMM_HAVE_X86_VARIANTS 1
#if defined(__clang__)
// Clang contracts a * b + c within one expression into an FMA by default.
#define KILN_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define KILN_TARGET_AVX512 __attribute__((target("avx512f,fma")))
#else
// GCC in ISO mode does not contract unless told: fuse the multiply-adds into FMAs.
#define KILN_TARGET_AVX2 __attribute__((target("avx2,fma"), optimize("fp-contract=fast")))
#define KILN_TARGET_AVX512 __attribute__((target("avx512f,fma"), optimize("fp-contract=fast")))
#endif
#else
#define KILN_GEMM_HAVE_X86_VARIANTS 0
#endif

// Cache blocking: a KC x NC panel of B stays in L2/L3, an MC x KC block of A in L2.
constexpr int64_t kBlockK = 256;
constexpr int64_t kBlockM = 72;  // multiple of every MR below
constexpr int64_t kBlockN = 512;
// Up to this many rows of A, op(B) = B^T is used in place rather than packed.
constexpr int64_t kSmallM = 4;

// out[MR][NR] = sum_p a[p][0..MR) x b[p][0..NR) over kc packed steps. The
// accumulators are GCC/Clang vector-extension values of VB bytes, which the
// compiler maps to the target's SIMD registers. Inlined into each
// micro-kernel so it is compiled for that kernel's target.
template <typename T, int MR, int NR, int VB>
[[gnu::always_inline]] inline void MicroKernelBody(int64_t kc, const T* __restrict a, const T* __restrict b,
                                                   T* __restrict out) {
  using Vec [[gnu::vector_size(VB)]] = T;
  constexpr int kLanes = VB / static_cast<int>(sizeof(T));
  constexpr int kCols = NR / kLanes;
  static_assert(NR % kLanes == 0, "NR must be a whole number of vectors");
  Vec acc[MR][kCols];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < kCols; ++j) acc[i][j] = Vec{};
  for (int64_t p = 0; p < kc; ++p) {
    Vec bv[kCols];
    for (int j = 0; j < kCols; ++j) std::memcpy(&bv[j], b + p * NR + j * kLanes, sizeof(Vec));
    for (int i = 0; i < MR; ++i) {
      const Vec av = a[p * MR + i] - Vec{};  // broadcast (x - 0 == x, also for -0)
      for (int j = 0; j < kCols; ++j) acc[i][j] += av * bv[j];
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < kCols; ++j) std::memcpy(out + i * NR + j * kLanes, &acc[i][j], sizeof(Vec));
}

template <typename T>
using MicroKernelFn = void (*)(int64_t kc, const T* a, const T* b, T* out);

void KernelF32Generic(int64_t kc, const float* a, const float* b, float* out) {
  MicroKernelBody<float, 6, 8, 16>(kc, a, b, out);
}
void KernelF64Generic(int64_t kc, const double* a, const double* b, double* out) {
  MicroKernelBody<double, 6, 4, 16>(kc, a, b, out);
}
#if KILN_GEMM_HAVE_X86_VARIANTS
KILN_TARGET_AVX512 void KernelF32Avx512(int64_t kc, const float* a, const float* b, float* out) {
  MicroKernelBody<float, 6, 32, 64>(kc, a, b, out);
}
KILN_TARGET_AVX512 void KernelF64Avx512(int64_t kc, const double* a, const double* b, double* out) {
  MicroKernelBody<double, 6, 16, 64>(kc, a, b, out);
}
KILN_TARGET_AVX2 void KernelF32Avx2(int64_t kc, const float* a, const float* b, float* out) {
  MicroKernelBody<float, 6, 16, 32>(kc, a, b, out);
}
KILN_TARGET_AVX2 void KernelF64Avx2(int64_t kc, const double* a, const double* b, double* out) {
  MicroKernelBody<double, 6, 8, 32>(kc, a, b, out);
}
#endif

template <typename T>
struct KernelConfig {
  MicroKernelFn<T> kernel;
  int mr;
  int nr;
};

template <typename T>
KernelConfig<T> SelectKernel();

template <>
KernelConfig<float> SelectKernel<float>() {
#if KILN_GEMM_HAVE_X86_VARIANTS
  if (__builtin_cpu_supports("avx512f")) return {&KernelF32Avx512, 6, 32};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {&KernelF32Avx2, 6, 16};
#endif
  return {&KernelF32Generic, 6, 8};
}

template <>
KernelConfig<double> SelectKernel<double>() {
#if KILN_GEMM_HAVE_X86_VARIANTS
  if (__builtin_cpu_supports("avx512f")) return {&KernelF64Avx512, 6, 16};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {&KernelF64Avx2, 6, 8};
#endif
  return {&KernelF64Generic, 6, 4};
}

// Packs op(A)[i0 .. i0+mc, p0 .. p0+kc) into MR-row panels: panel r holds
// rows [r*MR, r*MR+MR) as dst[p * MR + i]; rows past mc are zero.
template <typename T>
void PackA(bool trans_a, const T* a, int64_t lda, int64_t i0, int64_t mc, int64_t p0, int64_t kc, int mr, T* dst) {
  for (int64_t r = 0; r < mc; r += mr) {
    const int64_t rows = std::min<int64_t>(mr, mc - r);
    if (!trans_a) {
      // Read each row of A contiguously; the strided writes stay in the small panel.
      for (int64_t i = 0; i < rows; ++i) {
        const T* src = a + (i0 + r + i) * lda + p0;
        for (int64_t p = 0; p < kc; ++p) dst[p * mr + i] = src[p];
      }
      for (int64_t i = rows; i < mr; ++i) {
        for (int64_t p = 0; p < kc; ++p) dst[p * mr + i] = T(0);
      }
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        const T* src = a + (p0 + p) * lda + i0 + r;
        T* d = dst + p * mr;
        for (int64_t i = 0; i < rows; ++i) d[i] = src[i];
        for (int64_t i = rows; i < mr; ++i) d[i] = T(0);
      }
    }
    dst += kc * mr;
  }
}

// Packs op(B)[p0 .. p0+kc, j0 .. j0+nc) into NR-column panels: panel s holds
// columns [s*NR, s*NR+NR) as dst[p * NR + j]; columns past nc are zero.
template <typename T>
void PackB(bool trans_b, const T* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int nr, T* dst) {
  for (int64_t s = 0; s < nc; s += nr) {
    const int64_t cols = std::min<int64_t>(nr, nc - s);
    if (!trans_b) {
      for (int64_t p = 0; p < kc; ++p) {
        const T* src = b + (p0 + p) * ldb + j0 + s;
        T* d = dst + p * nr;
        for (int64_t j = 0; j < cols; ++j) d[j] = src[j];
        for (int64_t j = cols; j < nr; ++j) d[j] = T(0);
      }
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        T* d = dst + p * nr;
        for (int64_t j = cols; j < nr; ++j) d[j] = T(0);
      }
      for (int64_t j = 0; j < cols; ++j) {
        const T* src = b + (j0 + s + j) * ldb + p0;
        for (int64_t p = 0; p < kc; ++p) dst[p * nr + j] = src[p];
      }
    }
    dst += kc * nr;
  }
}

// C tile (rows x cols, row stride ldc) = alpha * acc + beta * C; beta == 0
// overwrites C without reading it (so NaNs in uninitialised C do not leak).
template <typename T>
void StoreTile(const T* acc, int nr, int64_t rows, int64_t cols, T alpha, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < rows; ++i) {
    const T* src = acc + i * nr;
    T* dst = c + i * ldc;
    if (beta == T(0)) {
      for (int64_t j = 0; j < cols; ++j) dst[j] = alpha * src[j];
    } else if (beta == T(1)) {
      for (int64_t j = 0; j < cols; ++j) dst[j] += alpha * src[j];
    } else {
      for (int64_t j = 0; j < cols; ++j) dst[j] = alpha * src[j] + beta * dst[j];
    }
  }
}

template <typename T>
void ScaleC(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    if (beta == T(0)) {
      std::fill(row, row + n, T(0));
    } else if (beta != T(1)) {
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

// Dot product of two contiguous vectors with vector partial sums.
template <typename T>
T Dot(const T* a, const T* b, int64_t k) {
  using Vec [[gnu::vector_size(16)]] = T;
  constexpr int64_t kLanes = 16 / static_cast<int64_t>(sizeof(T));
  Vec s0{}, s1{};
  int64_t p = 0;
  for (; p + 2 * kLanes <= k; p += 2 * kLanes) {
    Vec a0, a1, b0, b1;
    std::memcpy(&a0, a + p, sizeof(Vec));
    std::memcpy(&a1, a + p + kLanes, sizeof(Vec));
    std::memcpy(&b0, b + p, sizeof(Vec));
    std::memcpy(&b1, b + p + kLanes, sizeof(Vec));
    s0 += a0 * b0;
    s1 += a1 * b1;
  }
  s0 += s1;
  T sum = T(0);
  for (int64_t l = 0; l < kLanes; ++l) sum += s0[l];
  for (; p < k; ++p) sum += a[p] * b[p];
  return sum;
}

// The packed loop nest over the whole of C (m x n): packs blocks of op(B)
// and op(A) and runs the micro-kernel on every MR x NR tile.
template <typename T>
void PackedGemm(const KernelConfig<T>& config, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha,
                const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  const int mr = config.mr;
  const int nr = config.nr;

  const int64_t nc_max = std::min(kBlockN, (n + nr - 1) / nr * nr);
  const int64_t kc_max = std::min(kBlockK, k);
  const int64_t mc_max = std::min(kBlockM, (m + mr - 1) / mr * mr);
  // One allocation for both packed buffers and the tile; 64-byte aligned.
  const size_t b_elems = static_cast<size_t>(nc_max * kc_max);
  const size_t a_elems = static_cast<size_t>(mc_max * kc_max);
  const size_t tile_elems = static_cast<size_t>(mr * nr);
  constexpr size_t kAlign = 64 / sizeof(T);
  auto round_up = [](size_t x) { return (x + kAlign - 1) / kAlign * kAlign; };
  std::unique_ptr<T[]> storage(new T[round_up(b_elems) + round_up(a_elems) + tile_elems + kAlign]);
  T* base = storage.get();
  base += (kAlign - (reinterpret_cast<uintptr_t>(base) / sizeof(T)) % kAlign) % kAlign;
  T* packed_b = base;
  T* packed_a = packed_b + round_up(b_elems);
  T* tile = packed_a + round_up(a_elems);

  for (int64_t j0 = 0; j0 < n; j0 += kBlockN) {
    const int64_t nc = std::min(kBlockN, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += kBlockK) {
      const int64_t kc = std::min(kBlockK, k - p0);
      // The first K block applies beta; later ones accumulate.
      const T beta_here = p0 == 0 ? beta : T(1);
      PackB(trans_b, b, ldb, p0, kc, j0, nc, nr, packed_b);
      for (int64_t i0 = 0; i0 < m; i0 += kBlockM) {
        const int64_t mc = std::min(kBlockM, m - i0);
        PackA(trans_a, a, lda, i0, mc, p0, kc, mr, packed_a);
        for (int64_t jr = 0; jr < nc; jr += nr) {
          const int64_t cols = std::min<int64_t>(nr, nc - jr);
          const T* bp = packed_b + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += mr) {
            const int64_t rows = std::min<int64_t>(mr, mc - ir);
            config.kernel(kc, packed_a + ir * kc, bp, tile);
            StoreTile(tile, nr, rows, cols, alpha, beta_here, c + (i0 + ir) * ldc + j0 + jr, ldc);
          }
        }
      }
    }
  }
}

// Below this many multiply-adds a GEMM runs on the calling thread: waking
// workers would cost more than it saves.
constexpr int64_t kMinParallelWork = int64_t{1} << 20;

// Splits C into blocks of whole rows or whole columns and runs PackedGemm on
// each, in parallel on `pool`. Every element of C is computed by exactly the
// same sequence of operations as in the single-threaded loop (the K
// dimension is never split), so the result does not depend on the number of
// threads.
template <typename T>
void ParallelPackedGemm(const KernelConfig<T>& config, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                        T alpha, const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc,
                        ThreadPool* pool) {
  const int64_t threads = pool != nullptr ? pool->size() : 1;
  if (threads <= 1 || m * n * k < kMinParallelWork) {
    PackedGemm(config, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  // A few blocks per thread so that a thread that falls behind is helped
  // out. Splitting columns repacks A once per block, splitting rows repacks
  // B once per block: the minimum block sizes keep that copying small next
  // to the block's arithmetic.
  const int64_t target_blocks = threads * 8;
  const bool split_columns = n >= m;
  const int64_t unit = split_columns ? config.nr : config.mr;
  const int64_t extent = split_columns ? n : m;
  const int64_t per_block_raw = std::max<int64_t>((extent + target_blocks - 1) / target_blocks, 4 * unit);
  const int64_t per_block = (per_block_raw + unit - 1) / unit * unit;
  const int64_t blocks = (extent + per_block - 1) / per_block;
  ParallelFor(pool, blocks, 1, [&](int64_t first, int64_t last) {
    for (int64_t block = first; block < last; ++block) {
      const int64_t lo = block * per_block;
      const int64_t len = std::min(per_block, extent - lo);
      if (split_columns) {
        PackedGemm(config, trans_a, trans_b, m, len, k, alpha, a, lda, trans_b ? b + lo * ldb : b + lo, ldb, beta,
                   c + lo, ldc);
      } else {
        PackedGemm(config, trans_a, trans_b, len, n, k, alpha, trans_a ? a + lo : a + lo * lda, lda, b, ldb, beta,
                   c + lo * ldc, ldc);
      }
    }
  });
}

template <typename T>
void GemmImpl(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
              const T* b, int64_t ldb, T beta, T* c, int64_t ldc, ThreadPool* pool) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == T(0)) {
    ScaleC(m, n, beta, c, ldc);
    return;
  }
  if (m == 1 && !trans_b) {
    // Row vector times matrix: streaming over B's rows beats packing it.
    ScaleC(m, n, beta, c, ldc);
    const int64_t a_step = trans_a ? lda : 1;
    for (int64_t p = 0; p < k; ++p) {
      const T av = alpha * a[p * a_step];
      const T* brow = b + p * ldb;
      for (int64_t j = 0; j < n; ++j) c[j] += av * brow[j];
    }
    return;
  }
  if (m <= kSmallM && !trans_a && trans_b) {
    // A few rows times a transposed matrix (e.g. recurrent steps): rows of A
    // and B are both contiguous, so dot products beat packing all of B.
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        const T dot = alpha * Dot(a + i * lda, b + j * ldb, k);
        T& out = c[i * ldc + j];
        out = beta == T(0) ? dot : dot + beta * out;
      }
    }
    return;
  }
  static const KernelConfig<T> config = SelectKernel<T>();
  ParallelPackedGemm(config, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, pool);
}

}  // namespace

void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc, ThreadPool* pool) {
  GemmImpl<float>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, pool);
}

void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc, ThreadPool* pool) {
  GemmImpl<double>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, pool);
}

}  // namespace kiln::cpu
