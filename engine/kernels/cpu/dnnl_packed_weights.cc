#include "engine/kernels/cpu/dnnl_packed_weights.h"

#include "engine/kernels/cpu/dnnl_context.h"

namespace kiln::cpu {

Result<std::shared_ptr<const dnnl::memory>> DnnlPackedWeights::Get(const dnnl::memory::desc& plain, const void* data,
                                                                   const dnnl::memory::desc& desc) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [packed_desc, memory] : packed_) {
    if (packed_desc == desc) return memory;
  }
  const dnnl::memory src = DnnlWrap(plain, data);
  std::shared_ptr<const dnnl::memory> shared;
  if (desc == plain) {
    shared = std::make_shared<const dnnl::memory>(src);
  } else {
    KILN_ASSIGN_OR_RETURN(dnnl::memory packed, DnnlReorderToNew(src, desc, 1));
    shared = std::make_shared<const dnnl::memory>(std::move(packed));
  }
  packed_.emplace_back(desc, shared);
  return shared;
}

}  // namespace kiln::cpu
