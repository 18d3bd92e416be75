// PrometheusText: writes the Prometheus text exposition format (version
// 0.0.4): "# HELP" and "# TYPE" once per metric family, then its samples;
// label values escaped (\\, \", \n); counters, gauges and cumulative
// histograms (_bucket{le=...} including le="+Inf", _sum, _count).
//
// Callers pass metric and label names that are valid Prometheus names
// (constants in code). One writer builds one scrape: not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::server {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class PrometheusText {
 public:
  enum class Type { kCounter, kGauge, kHistogram };

  // Starts a family: its HELP and TYPE lines. Samples that follow belong to it.
  void Family(std::string_view name, std::string_view help, Type type);
  // One counter or gauge sample of the current family.
  void Sample(std::string_view name, const MetricLabels& labels, double value);
  // One histogram of the current family. `bounds`: ascending bucket upper
  // bounds (without +Inf); `counts`: observations per bucket, not
  // cumulative, bounds.size() + 1 entries (the last above every bound);
  // `sum`: the sum of the observations.
  void Histogram(std::string_view name, const MetricLabels& labels, const std::vector<double>& bounds,
                 const std::vector<uint64_t>& counts, double sum);

  const std::string& text() const { return text_; }
  std::string Take() { return std::move(text_); }

 private:
  void WriteSample(std::string_view name, std::string_view suffix, const MetricLabels& labels,
                   const std::pair<std::string, std::string>* extra, std::string_view value);

  std::string text_;
};

// A label value with \, " and newline escaped.
std::string EscapeLabelValue(std::string_view value);
// HELP text with \ and newline escaped.
std::string EscapeHelp(std::string_view help);
// Sample values: integers exactly ("42"), others in shortest round-trip
// form, "+Inf", "-Inf", "NaN".
std::string FormatMetricValue(double value);

}  // namespace kiln::server
