#include "engine/quantization/range_methods.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kiln::quantization {

AbsHistogram::AbsHistogram(float limit, int bins) : limit_(limit), counts_(static_cast<size_t>(std::max(bins, 1)), 0.0) {}

void AbsHistogram::Add(const float* values, int64_t count) {
  if (!(limit_ > 0.0f)) return;
  const double scale = static_cast<double>(counts_.size()) / static_cast<double>(limit_);
  const size_t last = counts_.size() - 1;
  for (int64_t i = 0; i < count; ++i) {
    float a = std::fabs(values[i]);
    if (!std::isfinite(a)) continue;
    size_t bin = std::min(static_cast<size_t>(static_cast<double>(a) * scale), last);
    counts_[bin] += 1.0;
  }
}

float PercentileThreshold(const AbsHistogram& histogram, double percent) {
  const auto& counts = histogram.counts();
  double total = 0;
  for (double c : counts) total += c;
  if (total <= 0) return histogram.limit();
  const double target = total * std::clamp(percent, 0.0, 100.0) / 100.0;
  double cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    if (cumulative >= target) return static_cast<float>(i + 1) * histogram.bin_width();
  }
  return histogram.limit();
}

namespace {

// Generalized KL divergence sum(p log(p/q) - p + q) of two histograms
// normalized by the same total: unlike the normalized KL, it also charges q
// for the mass it clipped away, so a candidate that crams a distribution of a
// few discrete values into one bin does not look perfect.
double Divergence(const std::vector<double>& p, const std::vector<double>& q, double total) {
  double d = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    double pi = p[i] / total;
    double qi = q[i] / total;
    if (pi > 0) d += pi * std::log(pi / std::max(qi, 1e-12)) - pi + qi;
    else d += qi;
  }
  return d;
}

}  // namespace

float EntropyThreshold(const AbsHistogram& histogram, int levels) {
  // Exact zeros (a large share after ReLU) are represented exactly whatever
  // the threshold; left in, their spike would dominate the divergence.
  std::vector<double> counts = histogram.counts();
  counts[0] = 0;
  const int bins = static_cast<int>(counts.size());
  double total = 0;
  for (double c : counts) total += c;
  if (bins <= levels || total <= 0) return histogram.limit();
  double best = std::numeric_limits<double>::infinity();
  int best_end = bins;
  std::vector<double> p, q;
  for (int end = levels; end <= bins; ++end) {
    // Reference: the first `end` bins with everything beyond folded into the last.
    p.assign(counts.begin(), counts.begin() + end);
    for (int i = end; i < bins; ++i) p.back() += counts[static_cast<size_t>(i)];
    // Candidate: the same bins merged into `levels` groups, each group's mass
    // spread evenly over its non-empty bins (clipped mass is lost).
    q.assign(static_cast<size_t>(end), 0.0);
    for (int level = 0; level < levels; ++level) {
      int begin = static_cast<int>(static_cast<int64_t>(level) * end / levels);
      int stop = static_cast<int>(static_cast<int64_t>(level + 1) * end / levels);
      double mass = 0;
      int nonempty = 0;
      for (int i = begin; i < stop; ++i) {
        mass += counts[static_cast<size_t>(i)];
        nonempty += counts[static_cast<size_t>(i)] > 0;
      }
      if (nonempty == 0) continue;
      for (int i = begin; i < stop; ++i) {
        if (counts[static_cast<size_t>(i)] > 0) q[static_cast<size_t>(i)] = mass / nonempty;
      }
    }
    double d = Divergence(p, q, total);
    if (d < best) {
      best = d;
      best_end = end;
    }
  }
  return std::min((static_cast<float>(best_end) + 0.5f) * histogram.bin_width(), histogram.limit());
}

}  // namespace kiln::quantization
