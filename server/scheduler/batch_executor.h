// ExecuteBatch: runs one batch of queued requests as a single engine call on
// one model instance — merge the inputs, Session::Run, split the outputs —
// and measures the three phases (compute_input / compute_infer /
// compute_output of the statistics extension).
//
// A free function: the caller (an instance's worker thread) owns the batch;
// Session::Run is thread-safe, so instances may execute concurrently.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/runtime/session.h"
#include "server/scheduler/batch_assembler.h"
#include "server/scheduler/request_queue.h"

namespace kiln::server {

struct BatchOutcome {
  // One per request of the batch, in batch order: its outputs, or the error
  // that stopped the batch (every request then gets it).
  std::vector<Result<TensorMap>> results;
  uint64_t compute_input_ns = 0;
  uint64_t compute_infer_ns = 0;
  uint64_t compute_output_ns = 0;
};

BatchOutcome ExecuteBatch(const Session& session, const std::vector<QueuedRequest>& batch);

}  // namespace kiln::server
