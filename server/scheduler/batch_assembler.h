// Batch assembly for dynamic batching: which requests may share one engine
// call, how their inputs are concatenated along the batch dimension (dim 0)
// and how the batch's outputs are cut back into per-request pieces.
//
// Pure functions over tensors; no shared state, safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/tensor.h"

namespace kiln::server {

using TensorMap = std::map<std::string, Tensor>;

// The batch size of a request of a batching model: the first dimension of
// its inputs (1 for a request without inputs or with a scalar input).
int64_t RequestBatchSize(const TensorMap& inputs);

// True when `a` and `b` can be merged into one batch: the same input names,
// and for each input the same dtype, rank and every dimension but the first.
bool CanMergeInputs(const TensorMap& a, const TensorMap& b);

// Concatenates the inputs of every part along dim 0 (parts must be pairwise
// mergeable; InvalidArgument otherwise). A single part is returned as is,
// sharing its storage.
Result<TensorMap> MergeInputs(const std::vector<const TensorMap*>& parts);

// Cuts every output along dim 0 into consecutive pieces of `batch_sizes`
// items, one map per request. The pieces share the outputs' storage. A
// single batch size returns the outputs unchanged. Internal error when an
// output's first dimension is not the sum of `batch_sizes`.
Result<std::vector<TensorMap>> SplitOutputs(const TensorMap& outputs, const std::vector<int64_t>& batch_sizes);

}  // namespace kiln::server
