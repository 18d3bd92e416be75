#include "server/grpc/grpc_statistics_encoder.h"

namespace kiln::server {
namespace {

void SetDuration(const DurationStat& from, inference::StatisticDuration* to) {
  to->set_count(from.count);
  to->set_ns(from.ns);
}

}  // namespace

void EncodeGrpcModelStatistics(const ModelStatisticsSnapshot& snapshot, inference::ModelStatistics* out) {
  out->set_name(snapshot.name);
  out->set_version(snapshot.version);
  out->set_last_inference(snapshot.last_inference_ms);
  out->set_inference_count(snapshot.inference_count);
  out->set_execution_count(snapshot.execution_count);
  inference::InferStatistics* stats = out->mutable_inference_stats();
  SetDuration(snapshot.success, stats->mutable_success());
  SetDuration(snapshot.fail, stats->mutable_fail());
  SetDuration(snapshot.queue, stats->mutable_queue());
  SetDuration(snapshot.compute_input, stats->mutable_compute_input());
  SetDuration(snapshot.compute_infer, stats->mutable_compute_infer());
  SetDuration(snapshot.compute_output, stats->mutable_compute_output());
  stats->mutable_cache_hit();
  stats->mutable_cache_miss();
  for (const auto& [batch_size, batch] : snapshot.batch_stats) {  // std::map: ascending
    inference::InferBatchStatistics* row = out->add_batch_stats();
    row->set_batch_size(batch_size);
    SetDuration(batch.compute_input, row->mutable_compute_input());
    SetDuration(batch.compute_infer, row->mutable_compute_infer());
    SetDuration(batch.compute_output, row->mutable_compute_output());
  }
}

}  // namespace kiln::server
