#include "engine/kernels/cpu/fft.h"

#include <cmath>
#include <numbers>
#include <utility>

namespace kiln::cpu {
namespace {

bool IsPowerOfTwo(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

}  // namespace

FftPlan::FftPlan(int64_t n, bool inverse) : n_(n), inverse_(inverse), power_of_two_(IsPowerOfTwo(n)) {
  const double pi = std::numbers::pi;
  if (power_of_two_) {
    twiddles_.resize(static_cast<size_t>(n / 2));
    for (int64_t k = 0; k < n / 2; ++k) twiddles_[static_cast<size_t>(k)] = std::polar(1.0, -2.0 * pi * k / n);
    return;
  }
  // X[k] = chirp[k] * sum_m (x[m] chirp[m]) conj(chirp[k - m]), chirp[k] = e^{-i pi k^2 / n}.
  chirp_.resize(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) {
    const int64_t k2 = (k * k) % (2 * n);  // keeps the angle small and exact
    chirp_[static_cast<size_t>(k)] = std::polar(1.0, -pi * static_cast<double>(k2) / n);
  }
  int64_t m = 1;
  while (m < 2 * n - 1) m *= 2;
  convolution_.emplace_back(m, false);
  filter_.assign(static_cast<size_t>(m), {0.0, 0.0});
  filter_[0] = std::conj(chirp_[0]);
  for (int64_t k = 1; k < n; ++k) {
    filter_[static_cast<size_t>(k)] = std::conj(chirp_[static_cast<size_t>(k)]);
    filter_[static_cast<size_t>(m - k)] = std::conj(chirp_[static_cast<size_t>(k)]);
  }
  convolution_[0].Radix2(filter_.data(), false);
}

void FftPlan::Radix2(std::complex<double>* data, bool inverse) const {
  const int64_t n = n_;
  for (int64_t i = 1, j = 0; i < n; ++i) {
    int64_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(data[i], data[j]);
  }
  for (int64_t len = 2; len <= n; len <<= 1) {
    const int64_t half = len / 2, stride = n / len;
    for (int64_t start = 0; start < n; start += len) {
      for (int64_t k = 0; k < half; ++k) {
        std::complex<double> w = twiddles_[static_cast<size_t>(k * stride)];
        if (inverse) w = std::conj(w);
        const std::complex<double> odd = data[start + k + half] * w;
        data[start + k + half] = data[start + k] - odd;
        data[start + k] += odd;
      }
    }
  }
}

void FftPlan::Transform(std::complex<double>* data, std::vector<std::complex<double>>& work) const {
  const int64_t n = n_;
  // The inverse transform is the conjugate of the forward transform of the conjugate.
  if (inverse_ && !power_of_two_) {
    for (int64_t i = 0; i < n; ++i) data[i] = std::conj(data[i]);
  }
  if (power_of_two_) {
    Radix2(data, inverse_);
  } else {
    const FftPlan& conv = convolution_[0];
    const size_t m = static_cast<size_t>(conv.size());
    work.assign(m, {0.0, 0.0});
    for (int64_t k = 0; k < n; ++k) work[static_cast<size_t>(k)] = data[k] * chirp_[static_cast<size_t>(k)];
    conv.Radix2(work.data(), false);
    for (size_t k = 0; k < m; ++k) work[k] *= filter_[k];
    conv.Radix2(work.data(), true);
    const double scale = 1.0 / static_cast<double>(m);
    for (int64_t k = 0; k < n; ++k) data[k] = work[static_cast<size_t>(k)] * scale * chirp_[static_cast<size_t>(k)];
    if (inverse_) {
      for (int64_t i = 0; i < n; ++i) data[i] = std::conj(data[i]);
    }
  }
  if (inverse_) {
    const double scale = 1.0 / static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i) data[i] *= scale;
  }
}

}  // namespace kiln::cpu
