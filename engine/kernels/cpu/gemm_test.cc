#include "engine/kernels/cpu/gemm.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

namespace kiln::cpu {
namespace {

// Plain triple loop in double as the reference.
std::vector<float> ReferenceGemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                                 const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> c(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < k; ++p) {
        const float av = trans_a ? a[static_cast<size_t>(p * m + i)] : a[static_cast<size_t>(i * k + p)];
        const float bv = trans_b ? b[static_cast<size_t>(j * k + p)] : b[static_cast<size_t>(p * n + j)];
        sum += static_cast<double>(av) * bv;
      }
      c[static_cast<size_t>(i * n + j)] = static_cast<float>(sum);
    }
  }
  return c;
}

// Large enough products to be split; the result must not depend on the pool.
TEST(Gemm, ThreadCountDoesNotChangeResult) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  struct Case {
    int64_t m, n, k;
  };
  ThreadPool pools[] = {ThreadPool(2), ThreadPool(3), ThreadPool(4)};
  for (Case cs : {Case{64, 1000, 147}, Case{700, 49, 300}, Case{128, 768, 768}, Case{257, 259, 513}}) {
    for (bool trans_a : {false, true}) {
      for (bool trans_b : {false, true}) {
        std::vector<float> a(static_cast<size_t>(cs.m * cs.k)), b(static_cast<size_t>(cs.k * cs.n));
        for (float& v : a) v = dist(rng);
        for (float& v : b) v = dist(rng);
        const int64_t lda = trans_a ? cs.m : cs.k, ldb = trans_b ? cs.k : cs.n;
        std::vector<float> single(static_cast<size_t>(cs.m * cs.n), 1.0f);
        Gemm(trans_a, trans_b, cs.m, cs.n, cs.k, 1.0f, a.data(), lda, b.data(), ldb, 0.5f, single.data(), cs.n);
        const std::vector<float> want = ReferenceGemm(trans_a, trans_b, cs.m, cs.n, cs.k, a, b);
        for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(single[i], want[i] + 0.5f, 1e-3f) << "element " << i;
        for (ThreadPool& pool : pools) {
          std::vector<float> parallel(single.size(), 1.0f);
          Gemm(trans_a, trans_b, cs.m, cs.n, cs.k, 1.0f, a.data(), lda, b.data(), ldb, 0.5f, parallel.data(), cs.n,
               &pool);
          EXPECT_EQ(std::memcmp(parallel.data(), single.data(), single.size() * sizeof(float)), 0)
              << cs.m << "x" << cs.n << "x" << cs.k << " trans_a " << trans_a << " trans_b " << trans_b << " threads "
              << pool.size();
        }
      }
    }
  }
}

}  // namespace
}  // namespace kiln::cpu
