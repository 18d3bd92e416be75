// Range selection for activations: a histogram of |x| over [0, limit] and
// the clip thresholds that the percentile and entropy (KL divergence)
// methods choose from it. Not thread-safe; one histogram per tensor.
#pragma once

#include <cstdint>
#include <vector>

namespace kiln::quantization {

class AbsHistogram {
 public:
  // `limit`: the largest |x| calibration saw (from a min/max pass).
  explicit AbsHistogram(float limit, int bins = 2048);

  void Add(const float* values, int64_t count);

  float limit() const { return limit_; }
  const std::vector<double>& counts() const { return counts_; }
  float bin_width() const { return limit_ / static_cast<float>(counts_.size()); }

 private:
  float limit_;
  std::vector<double> counts_;
};

// Smallest threshold T with at least `percent`% of the values' |x| <= T.
float PercentileThreshold(const AbsHistogram& histogram, double percent);

// The threshold T whose clipped distribution, quantized to `levels` bins,
// is closest (KL divergence) to the observed one.
float EntropyThreshold(const AbsHistogram& histogram, int levels = 128);

}  // namespace kiln::quantization
