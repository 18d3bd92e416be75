#include "engine/kernels/cpu/dnnl_packed_weights.h"

#include "engine/kernels/cpu/dnnl_context.h"

namespace kiln::cpu {

Result<std::shared_ptr<const dnnl::memory>> DnnlPackedWeights::Get(const dnnl::memory::desc& plain, const void* data,
                                                                   const dnnl::memory::desc& desc) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const Layout& layout : packed_) {
    if (layout.desc == desc) return layout.memory;
  }
  Layout layout{desc, nullptr, false};
  if (released_) {
    // `plain` describes the same bytes as first_plain_ (possibly with other
    // dimensions of equal order, e.g. leading ones), so wrap the recovered
    // bytes with it and reorder on.
    KILN_ASSIGN_OR_RETURN(dnnl::memory recovered, RecoverPlain());
    const dnnl::memory src = DnnlWrap(plain, recovered.get_data_handle());
    KILN_ASSIGN_OR_RETURN(dnnl::memory packed, DnnlReorderToNew(src, desc, 1));
    layout.memory = std::make_shared<const dnnl::memory>(std::move(packed));
  } else {
    const dnnl::memory src = DnnlWrap(plain, data);
    if (desc == plain) {
      layout.memory = std::make_shared<const dnnl::memory>(src);
      layout.aliases_plain = true;
    } else {
      KILN_ASSIGN_OR_RETURN(dnnl::memory packed, DnnlReorderToNew(src, desc, 1));
      layout.memory = std::make_shared<const dnnl::memory>(std::move(packed));
    }
    if (packed_.empty()) first_plain_ = plain;
  }
  packed_.push_back(std::move(layout));
  return packed_.back().memory;
}

Result<dnnl::memory> DnnlPackedWeights::RecoverPlain() const {
  return DnnlReorderToNew(*packed_.front().memory, first_plain_, 1);
}

bool DnnlPackedWeights::Release() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (released_ || packed_.empty()) return false;
  for (const Layout& layout : packed_) {
    if (layout.aliases_plain) return false;
  }
  // Same data type and dimensions both ways, so the reorder only moves
  // elements (exact); refuse layouts oneDNN cannot reorder back (Winograd,
  // int8 with compensation).
  const dnnl::memory::desc& packed = packed_.front().desc;
  if (packed.data_type() != first_plain_.data_type() || packed.dims() != first_plain_.dims()) return false;
  const Status reorderable = DnnlCatch("weight reorder", [&] {
    (void)dnnl::reorder::primitive_desc(DnnlEngine(), packed, DnnlEngine(), first_plain_);
  });
  if (!reorderable.ok()) return false;
  released_ = true;
  return true;
}

}  // namespace kiln::cpu
