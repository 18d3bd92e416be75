// Discrete Fourier transform of one complex sequence of any length, used by
// DFT and STFT: radix-2 FFT for powers of two, Bluestein's algorithm (a
// chirp convolution done with power-of-two FFTs) for other lengths.
#pragma once

#include <complex>
#include <cstdint>
#include <vector>

namespace kiln::cpu {

class FftPlan {
 public:
  // A plan for length n >= 1. The inverse transform uses e^{+2 pi i km/n}
  // and scales by 1/n.
  FftPlan(int64_t n, bool inverse);

  int64_t size() const { return n_; }
  // Transforms data[0..n) in place. `work` is scratch storage reused
  // between calls (resized as needed), so one plan serves many threads.
  void Transform(std::complex<double>* data, std::vector<std::complex<double>>& work) const;

 private:
  // Unscaled in-place radix-2 transform of length n_ (a power of two).
  void Radix2(std::complex<double>* data, bool inverse) const;

  int64_t n_;
  bool inverse_;
  bool power_of_two_;
  // Power of two: twiddles e^{-2 pi i k/n} for k < n/2.
  std::vector<std::complex<double>> twiddles_;
  // Bluestein: chirp e^{-i pi k^2/n}, the power-of-two plan of the
  // convolution and the transformed conjugate chirp filter.
  std::vector<std::complex<double>> chirp_;
  std::vector<std::complex<double>> filter_;
  std::vector<FftPlan> convolution_;  // zero or one plan
};

}  // namespace kiln::cpu
