// ShapeSignature: what a memory plan depends on — the kind, element type and
// shape of every graph input of one run. Two runs with equal signatures get
// the same plan; a new batch size or sequence length gives a new signature.
// Values are compared exactly (no hashing collisions: the key is the full
// encoding). Immutable value type.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "engine/core/value.h"

namespace kiln::planner {

class ShapeSignature {
 public:
  static ShapeSignature Of(const std::vector<Value>& inputs);

  bool operator==(const ShapeSignature& other) const { return code_ == other.code_; }
  size_t Hash() const;

 private:
  std::vector<int64_t> code_;  // per input: kind, dtype, rank, dims (sequences: items in turn)
};

struct ShapeSignatureHash {
  size_t operator()(const ShapeSignature& s) const { return s.Hash(); }
};

}  // namespace kiln::planner
