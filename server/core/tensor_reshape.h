// Maps tensor shapes between the configuration's view (dims, what clients
// send and receive) and the model's view (reshape.shape, what the engine
// sees), as config.pbtxt's `reshape` asks. The batch dimension, when the
// model batches, is carried through unchanged. Variable (-1) dimensions map
// to each other in order. Pure functions; thread-safe.
#pragma once

#include <google/protobuf/repeated_field.h>

#include "engine/core/tensor.h"

namespace kiln::server {

using ConfigDims = google::protobuf::RepeatedField<int64_t>;

// `shape` follows `from` (after `batch_dims` leading dimensions); returns
// the shape following `to`, with `to`'s variable dimensions taken, in
// order, from `shape`'s values at `from`'s variable positions (or, when that
// does not line up, the one variable dimension inferred from the element
// count).
Shape MapShape(const Shape& shape, const ConfigDims& from, const ConfigDims& to, size_t batch_dims);

}  // namespace kiln::server
