#include "server/metrics/metrics_exporter.h"

#include <gtest/gtest.h>

#include <ctime>
#include <sstream>

#include "server/http/testing/fake_inference_service.h"
#include "server/http/testing/test_http_client.h"
#include "server/metrics/metrics_server.h"
#include "server/metrics/process_metrics.h"

namespace kiln::server {
namespace {

using http_testing::FakeInferenceService;

bool HasLine(const std::string& text, const std::string& line) {
  std::istringstream lines(text);
  for (std::string l; std::getline(lines, l);) {
    if (l == line) return true;
  }
  return false;
}

// Every line is a comment or `name{labels} value`, and every family has HELP and TYPE before its samples.
void ExpectWellFormed(const std::string& text) {
  std::istringstream lines(text);
  std::string family;
  for (std::string line; std::getline(lines, line);) {
    ASSERT_FALSE(line.empty());
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      family = line.substr(7, line.find(' ', 7) - 7);
      continue;
    }
    ASSERT_EQ(line.rfind(family, 0), 0u) << "sample outside its family: " << line;
    const size_t space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    const std::string value = line.substr(space + 1);
    EXPECT_TRUE(value == "+Inf" || value == "-Inf" || value == "NaN" || std::strtod(value.c_str(), nullptr) != 0 ||
                value == "0")
        << line;
  }
}

TEST(MetricsExporter, RendersTritonCountersKilnHistogramsAndProcessGauges) {
  FakeInferenceService service;
  RequestTimings timings;
  timings.total_ns = 3'000'000;  // 3 ms
  timings.queue_ns = 200'000;    // 200 µs
  timings.compute_input_ns = 10'000;
  timings.compute_infer_ns = 2'500'000;
  timings.compute_output_ns = 20'000;
  service.echo_v1().RecordSuccess(timings, 4);
  service.echo_v1().RecordSuccess(timings, 4);
  service.echo_v1().RecordExecution(8, 10'000, 2'500'000, 20'000);
  service.echo_v1().RecordExecution(3, 10'000, 2'500'000, 20'000);
  service.echo_v1().RecordFailure(1000);
  service.echo_v1().RecordRejected(10);
  service.echo_v1().SetQueueDepth(5);

  const std::string text = MetricsExporter(service).Render();
  ExpectWellFormed(text);
  const std::string v1 = R"({model="echo",version="1"})";
  const std::string v2 = R"({model="echo",version="2"})";
  EXPECT_TRUE(HasLine(text, "# TYPE nv_inference_request_success counter"));
  EXPECT_TRUE(HasLine(text, "nv_inference_request_success" + v1 + " 2"));
  EXPECT_TRUE(HasLine(text, "nv_inference_request_success" + v2 + " 0"));
  EXPECT_TRUE(HasLine(text, "nv_inference_request_failure" + v1 + " 2"));
  EXPECT_TRUE(HasLine(text, "nv_inference_count" + v1 + " 8"));
  EXPECT_TRUE(HasLine(text, "nv_inference_exec_count" + v1 + " 2"));
  EXPECT_TRUE(HasLine(text, "nv_inference_request_duration_us" + v1 + " 6000"));
  EXPECT_TRUE(HasLine(text, "nv_inference_queue_duration_us" + v1 + " 400"));
  EXPECT_TRUE(HasLine(text, "nv_inference_compute_input_duration_us" + v1 + " 20"));
  EXPECT_TRUE(HasLine(text, "nv_inference_compute_infer_duration_us" + v1 + " 5000"));
  EXPECT_TRUE(HasLine(text, "nv_inference_compute_output_duration_us" + v1 + " 40"));

  EXPECT_TRUE(HasLine(text, "# TYPE kiln_inference_request_duration_seconds histogram"));
  EXPECT_TRUE(HasLine(text, R"(kiln_inference_request_duration_seconds_bucket{model="echo",version="1",le="0.0025"} 0)"));
  EXPECT_TRUE(HasLine(text, R"(kiln_inference_request_duration_seconds_bucket{model="echo",version="1",le="0.005"} 2)"));
  EXPECT_TRUE(HasLine(text, R"(kiln_inference_request_duration_seconds_bucket{model="echo",version="1",le="+Inf"} 2)"));
  EXPECT_TRUE(HasLine(text, "kiln_inference_request_duration_seconds_sum" + v1 + " 0.006"));
  EXPECT_TRUE(HasLine(text, "kiln_inference_request_duration_seconds_count" + v1 + " 2"));
  EXPECT_TRUE(HasLine(text, R"(kiln_inference_queue_duration_seconds_bucket{model="echo",version="1",le="0.00025"} 2)"));
  EXPECT_TRUE(HasLine(text, "kiln_inference_compute_duration_seconds_count" + v1 + " 2"));

  EXPECT_TRUE(HasLine(text, R"(kiln_inference_batch_size_bucket{model="echo",version="1",le="2"} 0)"));
  EXPECT_TRUE(HasLine(text, R"(kiln_inference_batch_size_bucket{model="echo",version="1",le="4"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(kiln_inference_batch_size_bucket{model="echo",version="1",le="8"} 2)"));
  EXPECT_TRUE(HasLine(text, R"(kiln_inference_batch_size_bucket{model="echo",version="1",le="+Inf"} 2)"));
  EXPECT_TRUE(HasLine(text, "kiln_inference_batch_size_sum" + v1 + " 11"));
  EXPECT_TRUE(HasLine(text, "# TYPE kiln_inference_queue_depth gauge"));
  EXPECT_TRUE(HasLine(text, "kiln_inference_queue_depth" + v1 + " 5"));
  EXPECT_TRUE(HasLine(text, "kiln_inference_rejected_total" + v1 + " 1"));

  EXPECT_TRUE(HasLine(text, "# TYPE process_cpu_seconds_total counter"));
  EXPECT_NE(text.find("\nprocess_resident_memory_bytes "), std::string::npos);
  EXPECT_NE(text.find("\nprocess_open_fds "), std::string::npos);
  EXPECT_NE(text.find("\nprocess_start_time_seconds "), std::string::npos);
}

TEST(ProcessMetrics, ReadsPlausibleFigures) {
  const ProcessMetrics metrics = ReadProcessMetrics();
  EXPECT_GE(metrics.cpu_seconds, 0);
  EXPECT_GT(metrics.resident_bytes, 1 << 20);
  EXPECT_GE(metrics.virtual_bytes, metrics.resident_bytes);
  EXPECT_GE(metrics.open_fds, 3);
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_GT(metrics.start_time_seconds, now - 3600 * 24 * 365);
  EXPECT_LE(metrics.start_time_seconds, now + 1);
}

TEST(MetricsServer, ServesMetricsOverHttp) {
  FakeInferenceService service;
  MetricsServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  auto server = MetricsServer::Create(options, service);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ASSERT_TRUE((*server)->Start().ok());
  http_testing::TestHttpClient client((*server)->port());
  auto response = client.Request("GET", "/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("content-type"), kPrometheusContentType);
  EXPECT_NE(response.body.find("# TYPE nv_inference_request_success counter"), std::string::npos);
  EXPECT_EQ(client.Request("GET", "/").status, 404);
  EXPECT_EQ(client.Request("POST", "/metrics").status, 405);
  (*server)->Stop();
}

}  // namespace
}  // namespace kiln::server
