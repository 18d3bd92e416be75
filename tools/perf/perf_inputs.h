// The input tensors `kiln perf` sends: read from .npy files or generated
// from the model's metadata (random floats in [-1, 1), zeros for integers
// and bools, "a" for BYTES), with the batch size in the first dimension.
//
// Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "server/client/client_tensor.h"
#include "server/core/inference_service.h"

namespace kiln::perf {

struct PerfInputOptions {
  // Replaces a leading -1 (the batch dimension) of every input.
  int64_t batch_size = 1;
  // Full shapes for inputs with other variable dimensions (those default to 1).
  std::map<std::string, std::vector<int64_t>> shapes;
  // Inputs read from .npy files. A file one dimension short of a batching
  // input (leading -1) is one batch item and is repeated batch_size times.
  std::map<std::string, std::string> files;
  uint32_t seed = 42;
};

Result<std::vector<server::ClientTensor>> MakePerfInputs(const server::ModelMetadata& metadata,
                                                         const PerfInputOptions& options);

}  // namespace kiln::perf
