#include "engine/planner/shape_signature.h"

namespace kiln::planner {
namespace {

void Encode(const Tensor& t, std::vector<int64_t>& code) {
  code.push_back(static_cast<int64_t>(t.dtype()));
  code.push_back(t.rank());
  code.insert(code.end(), t.shape().begin(), t.shape().end());
}

}  // namespace

ShapeSignature ShapeSignature::Of(const std::vector<Value>& inputs) {
  ShapeSignature sig;
  for (const Value& v : inputs) {
    if (v.is_tensor()) {
      sig.code_.push_back(1);
      Encode(v.tensor(), sig.code_);
    } else if (v.is_sequence()) {
      sig.code_.push_back(2);
      sig.code_.push_back(static_cast<int64_t>(v.sequence().items.size()));
      for (const Tensor& t : v.sequence().items) Encode(t, sig.code_);
    } else {
      sig.code_.push_back(0);
    }
  }
  return sig;
}

size_t ShapeSignature::Hash() const {
  size_t h = 1469598103934665603ull;
  for (int64_t c : code_) h = (h ^ static_cast<size_t>(c)) * 1099511628211ull;
  return h;
}

}  // namespace kiln::planner
