// OpKernel: the compiled, ready-to-run form of one node.
//
// A factory (KernelFactory) builds a kernel once per node when a session is
// created: it reads and validates attributes there, so Compute only does the
// work. Compute is const and may be called from several threads at once
// (one session serves concurrent requests); a kernel that caches anything
// guards the cache itself.
#pragma once

#include <functional>
#include <memory>

#include "engine/core/status.h"
#include "engine/ir/graph.h"

namespace kiln {

class KernelContext;
class GraphPlan;

class OpKernel {
 public:
  virtual ~OpKernel() = default;
  virtual Status Compute(KernelContext& ctx) const = 0;
  // The input whose storage output 0 may reuse ("run in place"), or -1.
  // Declare it only when Compute reads element j of that input solely
  // before writing element j of output 0 (elementwise kernels). The memory
  // planner reuses the storage only when the input has output 0's dtype and
  // shape and no later node reads it. Kernels of the operators listed in
  // planner/in_place_ops.cc are treated as declaring it already.
  virtual int InPlaceInput() const { return -1; }
  // Called at session creation, right after the kernel is built, for each
  // of its inputs fed by an initializer. A kernel that keeps its own copy
  // of that constant (packed weights) and from then on never reads the
  // input's data (even for new shapes) drops its reference to the data and
  // returns true. Once every reader has, the plan frees the initializer's
  // storage: at run time the input is a tensor of the same type and shape
  // whose raw_data() is null.
  virtual bool ReleaseConstantInput(size_t input) {
    (void)input;
    return false;
  }
};

// What a kernel factory sees of its node at session creation.
struct KernelInit {
  const ir::Node& node;
  int64_t opset;             // version of the node's domain imported by the model
  const ir::Graph& graph;    // the graph holding the node (for declared types)
  // Compiles a subgraph (If/Loop/Scan body) into a plan for KernelContext::RunSubgraph.
  std::function<Result<std::shared_ptr<const GraphPlan>>(const ir::Graph&)> compile_subgraph;
  // Threads a Run of the session uses inside kernels (its ThreadPool's
  // size; 1 when single-threaded). oneDNN fixes a primitive's thread count
  // when the primitive is created, so kernels that create them at session
  // creation need it then. A run may still use one thread only
  // (ThreadCountChooser): at run time, read the count from the
  // KernelContext (DnnlSessionThreads).
  int threads = 1;

  // Declared or inferred element type of input i, or kUndefined.
  DataType InputType(size_t i) const;
  DataType OutputType(size_t i) const;
  // The constant tensor feeding input i when it is an initializer, else nullptr.
  const Tensor* ConstantInput(size_t i) const;
};

using KernelFactory = Result<std::unique_ptr<OpKernel>> (*)(const KernelInit&);

// Factory for a kernel class whose constructor takes `const KernelInit&`.
template <typename K>
Result<std::unique_ptr<OpKernel>> MakeKernel(const KernelInit& init) {
  return std::unique_ptr<OpKernel>(new K(init));
}

}  // namespace kiln
