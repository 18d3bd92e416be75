// The classification extension: an output requested with
// `classification: k` comes back as the k highest-scoring entries of each
// batch item, as BYTES strings "score:index" or "score:index:label" (labels
// from the output's label_filename, one per line), highest first.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/tensor.h"

namespace kiln::server {

// `batched`: the first dimension is the batch; the result is [batch, k'] (or
// [k'] unbatched) with k' = min(k, entries per item). InvalidArgument for a
// non-numeric output.
Result<Tensor> Classify(const Tensor& scores, bool batched, uint32_t k, const std::vector<std::string>& labels);

// One label per line (a trailing '\r' is dropped). NotFound when unreadable.
Result<std::vector<std::string>> ReadLabelFile(const std::string& path);

}  // namespace kiln::server
