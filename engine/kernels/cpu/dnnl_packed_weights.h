// DnnlPackedWeights: a constant weight tensor reordered into the layouts
// oneDNN primitives ask for (blocked, prepacked), once per layout and shared
// by every plan that wants the same one. Used by every kernel that runs
// oneDNN with constant weights (fp32, int8 and bf16 convolutions and
// matmuls). A requested layout equal to the stored one is used in place.
//
// Release() lets the owner drop the plain weights once they are packed, so
// that they are not resident twice (the way ONNX Runtime frees prepacked
// initializers): a layout asked for later is then derived from a packed
// one, by a reorder back to the plain layout (into a temporary) and on to
// the new layout. Only done when that reorder exists and is exact.
//
// Thread-safety: Get may be called from several threads at once; Release
// must not run concurrently with Get (it is called at session creation).
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "engine/core/status.h"

namespace kiln::cpu {

class DnnlPackedWeights {
 public:
  // The weights in layout `desc`; `plain` describes `data` as stored, which
  // must stay valid until Release() succeeds (an initializer of the
  // session's graph). After that `data` is not read (may be null); `plain`
  // must still describe the bytes the weights had.
  Result<std::shared_ptr<const dnnl::memory>> Get(const dnnl::memory::desc& plain, const void* data,
                                                  const dnnl::memory::desc& desc) const;

  // True when the plain data is no longer needed: at least one layout is
  // stored in memory of its own, and the plain layout can be recovered
  // from it. False (and nothing changes) otherwise. Call no more than once.
  bool Release();
  bool released() const { return released_; }

 private:
  struct Layout {
    dnnl::memory::desc desc;
    std::shared_ptr<const dnnl::memory> memory;
    bool aliases_plain = false;  // wraps the caller's plain data (desc == plain)
  };
  // The plain bytes again, reordered from the first stored layout.
  Result<dnnl::memory> RecoverPlain() const;

  mutable std::mutex mutex_;
  mutable std::vector<Layout> packed_;       // guarded
  mutable dnnl::memory::desc first_plain_;  // guarded; `plain` of packed_[0]
  bool released_ = false;
};

}  // namespace kiln::cpu
