// Which inputs an operator's output 0 may overwrite in place.
//
// A kernel declares it with OpKernel::InPlaceInput(); the elementwise
// operators of Kiln's CPU kernels below are known to qualify without it:
// each output element is computed from the same element of the candidate
// input (plus broadcast operands) and written after that element was read.
// The planner still checks dtype, shape and that nobody reads the input
// afterwards. Stateless; thread-safe.
#pragma once

#include <vector>

#include "engine/runtime/graph_plan.h"

namespace kiln::planner {

// Inputs of `step` whose storage output 0 may take over, best first.
std::vector<int> InPlaceCandidates(const GraphPlan::Step& step);

}  // namespace kiln::planner
