#include "server/core/batch_size_warmup.h"

#include <random>
#include <string>

#include "server/core/model_warmup.h"

namespace kiln::server {
namespace {

// The samples whose shapes are warmed: the configured ones, or one of zero
// data at the configured dims; empty with `why` set when there is none.
std::vector<inference::ModelWarmup> Templates(const inference::ModelConfig& config, std::string* why) {
  std::vector<inference::ModelWarmup> samples(config.model_warmup().begin(), config.model_warmup().end());
  if (!samples.empty()) return samples;
  inference::ModelWarmup zeros;
  zeros.set_name("batch sizes");
  for (const auto& input : config.input()) {
    if (input.optional()) continue;
    for (int64_t d : input.dims()) {
      if (d < 0) {
        *why = "input '" + input.name() + "' has variable dims and no model_warmup sample gives them";
        return {};
      }
    }
    auto& in = (*zeros.mutable_inputs())[input.name()];
    in.set_data_type(input.data_type());
    in.set_zero_data(true);
  }
  samples.push_back(std::move(zeros));
  return samples;
}

}  // namespace

bool WantsBatchSizeWarmup(const inference::ModelConfig& config) {
  return config.has_dynamic_batching() && config.max_batch_size() > 1 &&
         config.max_batch_size() <= kMaxWarmedBatchSize;
}

int MemoryPlansFor(const inference::ModelConfig& config, int default_plans) {
  if (!WantsBatchSizeWarmup(config)) return default_plans;
  const int samples = std::max(1, config.model_warmup_size());
  return std::max(default_plans, samples * config.max_batch_size() + default_plans);
}

Result<BatchSizeWarmup> WarmBatchSizes(const inference::ModelConfig& config, const std::string& model_dir,
                                       const std::vector<std::shared_ptr<const Session>>& instances) {
  BatchSizeWarmup done;
  if (config.has_dynamic_batching() && config.max_batch_size() > kMaxWarmedBatchSize) {
    done.skipped = "max_batch_size " + std::to_string(config.max_batch_size()) + " is above " +
                   std::to_string(kMaxWarmedBatchSize) + " (too many shapes to run at load)";
    return done;
  }
  if (!WantsBatchSizeWarmup(config)) return done;
  const auto samples = Templates(config, &done.skipped);
  if (samples.empty()) return done;
  std::mt19937 rng(7);
  const auto max_batch = static_cast<uint32_t>(config.max_batch_size());
  for (const auto& sample : samples) {
    for (uint32_t size = 1; size <= max_batch; ++size) {
      // A configured sample already ran at its own batch size.
      if (!config.model_warmup().empty() && size == sample.batch_size()) continue;
      KILN_ASSIGN_OR_RETURN(auto feeds, WarmupFeeds(config, model_dir, sample, size, rng));
      for (const auto& session : instances) {
        auto result = session->Run(feeds);
        if (result.ok()) continue;
        Status error = result.status().WithContext("batch-size warmup of '" + sample.name() + "' at batch size " +
                                                   std::to_string(size));
        // Zero data is Kiln's guess, not the user's: a model it does not suit still loads.
        if (!config.model_warmup().empty()) return error;
        return BatchSizeWarmup{0, done.shapes, error.message()};
      }
      ++done.shapes;
    }
  }
  done.max_batch_size = max_batch;
  return done;
}

}  // namespace kiln::server
