#include "tools/perf/step_report.h"

#include <cstdio>
#include <numeric>
#include <sstream>

namespace kiln::perf {
namespace {

struct Totals {
  uint64_t success = 0, executions = 0, inferences = 0;
  uint64_t queue_ns = 0, input_ns = 0, infer_ns = 0, output_ns = 0;
};

Totals Sum(const std::vector<server::ModelStatisticsSnapshot>& snapshots) {
  Totals t;
  for (const auto& s : snapshots) {
    t.success += s.success.count;
    t.executions += s.execution_count;
    t.inferences += s.inference_count;
    t.queue_ns += s.queue.ns;
    t.input_ns += s.compute_input.ns;
    t.infer_ns += s.compute_infer.ns;
    t.output_ns += s.compute_output.ns;
  }
  return t;
}

uint64_t Minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

std::string Fixed(double v, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", digits, v);
  return buffer;
}

double Mean(const std::vector<double>& values) {
  return values.empty() ? 0 : std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
      out += buffer;
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

}  // namespace

ServerSplit DiffStatistics(const std::vector<server::ModelStatisticsSnapshot>& before,
                           const std::vector<server::ModelStatisticsSnapshot>& after) {
  const Totals a = Sum(before);
  const Totals b = Sum(after);
  ServerSplit split;
  split.available = true;
  split.requests = Minus(b.success, a.success);
  split.executions = Minus(b.executions, a.executions);
  split.inferences = Minus(b.inferences, a.inferences);
  if (split.requests > 0) {
    const double n = static_cast<double>(split.requests) * 1000.0;
    split.queue_us = static_cast<double>(Minus(b.queue_ns, a.queue_ns)) / n;
    split.compute_input_us = static_cast<double>(Minus(b.input_ns, a.input_ns)) / n;
    split.compute_infer_us = static_cast<double>(Minus(b.infer_ns, a.infer_ns)) / n;
    split.compute_output_us = static_cast<double>(Minus(b.output_ns, a.output_ns)) / n;
  }
  return split;
}

double StepReport::Throughput() const {
  if (measurement.window_s <= 0) return 0;
  return static_cast<double>(measurement.succeeded) * static_cast<double>(batch_size) / measurement.window_s;
}

std::string FormatStepText(const StepReport& r) {
  const StepMeasurement& m = r.measurement;
  const auto& l = m.latencies_us;
  std::ostringstream out;
  if (m.step.concurrency > 0) {
    out << "Concurrency: " << m.step.concurrency;
  } else {
    out << "Request rate: " << Fixed(m.step.request_rate, 1) << "/s";
  }
  out << "  throughput: " << Fixed(r.Throughput(), 1) << " infer/s  (" << m.succeeded << " requests in "
      << Fixed(m.window_s, 1) << " s)\n";
  out << "  client latency us: avg " << Fixed(Mean(l), 0) << "  p50 " << Fixed(Percentile(l, 50), 0) << "  p90 "
      << Fixed(Percentile(l, 90), 0) << "  p95 " << Fixed(Percentile(l, 95), 0) << "  p99 "
      << Fixed(Percentile(l, 99), 0) << "\n";
  if (r.server.available && r.server.requests > 0) {
    out << "  server per request us: queue " << Fixed(r.server.queue_us, 0) << "  compute input "
        << Fixed(r.server.compute_input_us, 0) << "  compute infer " << Fixed(r.server.compute_infer_us, 0)
        << "  compute output " << Fixed(r.server.compute_output_us, 0) << "  (" << r.server.executions
        << " executions, avg batch "
        << Fixed(r.server.executions ? static_cast<double>(r.server.inferences) / static_cast<double>(r.server.executions) : 0, 1)
        << ")\n";
  } else if (!r.server.available) {
    out << "  server statistics: unavailable\n";
  }
  if (m.rejected > 0) {
    out << "  rejected (overload): " << m.rejected << "  answered in p50 " << Fixed(Percentile(m.rejected_latencies_us, 50), 0)
        << " us, p99 " << Fixed(Percentile(m.rejected_latencies_us, 99), 0) << " us\n";
  }
  if (m.failed > 0) out << "  failed: " << m.failed << "  first error: " << m.first_error << "\n";
  if (m.sent_late > 0) out << "  sent late (generator saturated): " << m.sent_late << "\n";
  return out.str();
}

std::string FormatStepJson(const StepReport& r) {
  const StepMeasurement& m = r.measurement;
  const auto& l = m.latencies_us;
  std::ostringstream out;
  out << "{";
  if (m.step.concurrency > 0) {
    out << "\"concurrency\": " << m.step.concurrency;
  } else {
    out << "\"request_rate\": " << Fixed(m.step.request_rate, 3);
  }
  out << ", \"window_s\": " << Fixed(m.window_s, 3) << ", \"succeeded\": " << m.succeeded
      << ", \"rejected\": " << m.rejected << ", \"failed\": " << m.failed << ", \"sent_late\": " << m.sent_late
      << ", \"throughput\": " << Fixed(r.Throughput(), 3) << ", \"latency_us\": {\"avg\": " << Fixed(Mean(l), 1)
      << ", \"p50\": " << Fixed(Percentile(l, 50), 1) << ", \"p90\": " << Fixed(Percentile(l, 90), 1)
      << ", \"p95\": " << Fixed(Percentile(l, 95), 1) << ", \"p99\": " << Fixed(Percentile(l, 99), 1)
      << ", \"max\": " << Fixed(l.empty() ? 0 : l.back(), 1) << "}"
      << ", \"rejected_latency_us\": {\"p50\": " << Fixed(Percentile(m.rejected_latencies_us, 50), 1)
      << ", \"p99\": " << Fixed(Percentile(m.rejected_latencies_us, 99), 1) << "}";
  if (r.server.available) {
    out << ", \"server\": {\"requests\": " << r.server.requests << ", \"executions\": " << r.server.executions
        << ", \"inferences\": " << r.server.inferences << ", \"queue_us\": " << Fixed(r.server.queue_us, 1)
        << ", \"compute_input_us\": " << Fixed(r.server.compute_input_us, 1)
        << ", \"compute_infer_us\": " << Fixed(r.server.compute_infer_us, 1)
        << ", \"compute_output_us\": " << Fixed(r.server.compute_output_us, 1) << "}";
  }
  if (!m.first_error.empty()) out << ", \"first_error\": " << JsonString(m.first_error);
  out << "}";
  return out.str();
}

}  // namespace kiln::perf
