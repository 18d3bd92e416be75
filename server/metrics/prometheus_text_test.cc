#include "server/metrics/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>

namespace kiln::server {
namespace {

TEST(PrometheusText, CountersAndGaugesWithEscapedLabels) {
  PrometheusText out;
  out.Family("requests_total", "Requests.\nWith a \\ backslash", PrometheusText::Type::kCounter);
  out.Sample("requests_total", {{"model", "a\"b\\c\nd"}, {"version", "1"}}, 42);
  out.Sample("requests_total", {}, 0.5);
  out.Family("depth", "Depth.", PrometheusText::Type::kGauge);
  out.Sample("depth", {{"model", "m"}}, 3);
  EXPECT_EQ(out.text(),
            "# HELP requests_total Requests.\\nWith a \\\\ backslash\n"
            "# TYPE requests_total counter\n"
            "requests_total{model=\"a\\\"b\\\\c\\nd\",version=\"1\"} 42\n"
            "requests_total 0.5\n"
            "# HELP depth Depth.\n"
            "# TYPE depth gauge\n"
            "depth{model=\"m\"} 3\n");
}

TEST(PrometheusText, HistogramsAreCumulativeWithInfSumAndCount) {
  PrometheusText out;
  out.Family("latency_seconds", "Latency.", PrometheusText::Type::kHistogram);
  out.Histogram("latency_seconds", {{"model", "m"}}, {0.001, 0.01}, {2, 0, 3}, 0.125);
  EXPECT_EQ(out.text(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{model=\"m\",le=\"0.001\"} 2\n"
            "latency_seconds_bucket{model=\"m\",le=\"0.01\"} 2\n"
            "latency_seconds_bucket{model=\"m\",le=\"+Inf\"} 5\n"
            "latency_seconds_sum{model=\"m\"} 0.125\n"
            "latency_seconds_count{model=\"m\"} 5\n");
}

TEST(PrometheusText, FormatsValues) {
  EXPECT_EQ(FormatMetricValue(0), "0");
  EXPECT_EQ(FormatMetricValue(12345678901234), "12345678901234");
  EXPECT_EQ(FormatMetricValue(-7), "-7");
  EXPECT_EQ(FormatMetricValue(0.1), "0.1");
  EXPECT_EQ(FormatMetricValue(2.5e-7), "2.5e-07");
  EXPECT_EQ(FormatMetricValue(1e300), "1e+300");
  EXPECT_EQ(FormatMetricValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatMetricValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatMetricValue(NAN), "NaN");
}

}  // namespace
}  // namespace kiln::server
