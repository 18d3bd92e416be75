// Encodes the server's per model-version statistics snapshots as the
// statistics extension's gRPC messages (inference::ModelStatistics).
// Stateless; thread-safe.
#pragma once

#include "server/core/model_statistics.h"
#include "server/proto/grpc_service.pb.h"

namespace kiln::server {

// Counters, cumulative durations and per-batch-size rows (ascending batch
// size). Fields Kiln does not track (cache hit/miss, memory usage, decoupled
// response statistics) stay empty.
void EncodeGrpcModelStatistics(const ModelStatisticsSnapshot& snapshot, inference::ModelStatistics* out);

}  // namespace kiln::server
