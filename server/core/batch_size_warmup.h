// Batch-size warmup: a model with dynamic_batching runs batches of any size
// from 1 to max_batch_size, and each size is a new input shape whose first
// run builds its memory plan and oneDNN primitives (milliseconds for a
// transformer, paid by whichever live requests formed that batch). At load,
// before the version is ready, this runs every size the batcher can form
// once on every instance, beyond what model_warmup asks (Triton runs each
// sample at its own batch_size only; Kiln extends each sample to every
// size). The shapes come from the model_warmup samples or, without any,
// from zero data at the configured dims when those are all fixed; a model
// with variable dims and no sample is left alone (the shapes its clients
// send are unknown), and so is one whose max_batch_size exceeds
// kMaxWarmedBatchSize: its load would run hundreds of shapes (sum 1..N
// samples each), and oneDNN's per-kernel primitive cache (32 shapes) would
// drop the early ones anyway.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/runtime/session.h"
#include "server/proto/model_config.pb.h"

namespace kiln::server {

inline constexpr int kMaxWarmedBatchSize = 32;

struct BatchSizeWarmup {
  uint32_t max_batch_size = 0;  // sizes 1..max_batch_size were warmed (0: none)
  int shapes = 0;               // distinct (sample, batch size) shapes run on each instance
  std::string skipped;          // why nothing was warmed, for a model that would want it
};

// Whether `config` has a batcher forming more than one batch size (at most
// kMaxWarmedBatchSize).
bool WantsBatchSizeWarmup(const inference::ModelConfig& config);

// Memory plans each Session should keep (SessionOptions::max_memory_plans)
// so that the warmed shapes are not evicted by one another: at least
// `default_plans`, and room for every warmed shape plus `default_plans`.
int MemoryPlansFor(const inference::ModelConfig& config, int default_plans);

// Runs the shapes described above. A run of a model_warmup sample that fails
// fails the load (the engine's error, naming the sample and batch size), as
// model_warmup itself does; a failing run of zero data only stops the warmup
// (`skipped` says why).
Result<BatchSizeWarmup> WarmBatchSizes(const inference::ModelConfig& config, const std::string& model_dir,
                                       const std::vector<std::shared_ptr<const Session>>& instances);

}  // namespace kiln::server
