// DnnlPackedWeights: a constant weight tensor reordered into the layouts
// oneDNN primitives ask for (blocked, prepacked), once per layout and shared
// by every plan that wants the same one. Used by every kernel that runs
// oneDNN with constant weights (fp32, int8 and bf16 convolutions and
// matmuls). A requested layout equal to the stored one is used in place.
//
// Thread-safety: Get may be called from several threads at once.
#pragma once

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "engine/core/status.h"

namespace kiln::cpu {

class DnnlPackedWeights {
 public:
  // The weights in layout `desc`; `plain` describes `data` as stored, which
  // must outlive this object (an initializer of the session's graph).
  Result<std::shared_ptr<const dnnl::memory>> Get(const dnnl::memory::desc& plain, const void* data,
                                                  const dnnl::memory::desc& desc) const;

 private:
  mutable std::mutex mutex_;
  mutable std::vector<std::pair<dnnl::memory::desc, std::shared_ptr<const dnnl::memory>>> packed_;  // guarded
};

}  // namespace kiln::cpu
