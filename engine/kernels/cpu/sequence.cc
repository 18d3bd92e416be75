// Sequence operators: SequenceEmpty, SequenceConstruct, SequenceAt,
// SequenceInsert, SequenceErase and SequenceLength. Sequences hold shared
// tensors, so building a new sequence copies no element data.
#include "engine/kernels/cpu/kernel_util.h"

namespace kiln::cpu {
namespace {

Result<const Sequence*> InputSequence(const KernelContext& ctx, int i) {
  const Value& v = ctx.input_value(i);
  if (!v.is_sequence()) return Status::InvalidArgument("input " + std::to_string(i) + " must be a sequence, got " + v.Describe());
  return &v.sequence();
}

// Reads a scalar position input and maps it into [0, size) (or [0, size] when
// `allow_end`), counting negative positions from the back.
Result<int64_t> ReadPosition(const KernelContext& ctx, int i, int64_t size, bool allow_end) {
  KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
  const Tensor& t = ctx.input(i);
  if (t.num_elements() != 1 || (t.dtype() != DataType::kInt32 && t.dtype() != DataType::kInt64)) {
    return Status::InvalidArgument("position must be a scalar int32 or int64 tensor");
  }
  const int64_t position = t.GetInt(0);
  const int64_t hi = allow_end ? size : size - 1;
  if (position < -size || position > hi) {
    return Status::InvalidArgument("position " + std::to_string(position) + " is out of range for a sequence of " +
                                   std::to_string(size) + " tensors");
  }
  return position < 0 ? position + size : position;
}

Status CheckElementType(const Sequence& seq, const Tensor& t) {
  if (seq.elem_type != DataType::kUndefined && t.dtype() != seq.elem_type) {
    return Status::InvalidArgument("tensor of type " + std::string(DataTypeName(t.dtype())) +
                                   " does not match the sequence element type " +
                                   std::string(DataTypeName(seq.elem_type)));
  }
  return Status::Ok();
}

class SequenceEmptyKernel final : public OpKernel {
 public:
  explicit SequenceEmptyKernel(DataType dtype) : dtype_(dtype) {}
  Status Compute(KernelContext& ctx) const override {
    ctx.SetOutput(0, Value(Sequence{dtype_, {}}));
    return Status::Ok();
  }

 private:
  DataType dtype_;
};

class SequenceConstructKernel final : public OpKernel {
 public:
  explicit SequenceConstructKernel(const KernelInit&) {}
  Status Compute(KernelContext& ctx) const override {
    Sequence seq;
    seq.items.reserve(static_cast<size_t>(ctx.num_inputs()));
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(i));
      const Tensor& t = ctx.input(i);
      KILN_RETURN_IF_ERROR(CheckElementType(seq, t));
      seq.elem_type = t.dtype();
      seq.items.push_back(t);
    }
    ctx.SetOutput(0, Value(std::move(seq)));
    return Status::Ok();
  }
};

class SequenceAtKernel final : public OpKernel {
 public:
  explicit SequenceAtKernel(const KernelInit&) {}
  Status Compute(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(const Sequence* seq, InputSequence(ctx, 0));
    KILN_ASSIGN_OR_RETURN(int64_t position,
                          ReadPosition(ctx, 1, static_cast<int64_t>(seq->items.size()), /*allow_end=*/false));
    ctx.SetOutput(0, Value(seq->items[static_cast<size_t>(position)]));
    return Status::Ok();
  }
};

class SequenceInsertKernel final : public OpKernel {
 public:
  explicit SequenceInsertKernel(const KernelInit&) {}
  Status Compute(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(const Sequence* seq, InputSequence(ctx, 0));
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
    const Tensor& t = ctx.input(1);
    KILN_RETURN_IF_ERROR(CheckElementType(*seq, t));
    const int64_t size = static_cast<int64_t>(seq->items.size());
    int64_t position = size;
    if (ctx.has_input(2)) {
      KILN_ASSIGN_OR_RETURN(position, ReadPosition(ctx, 2, size, /*allow_end=*/true));
    }
    Sequence out;
    out.elem_type = t.dtype();
    out.items.reserve(seq->items.size() + 1);
    out.items.insert(out.items.end(), seq->items.begin(), seq->items.begin() + position);
    out.items.push_back(t);
    out.items.insert(out.items.end(), seq->items.begin() + position, seq->items.end());
    ctx.SetOutput(0, Value(std::move(out)));
    return Status::Ok();
  }
};

class SequenceEraseKernel final : public OpKernel {
 public:
  explicit SequenceEraseKernel(const KernelInit&) {}
  Status Compute(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(const Sequence* seq, InputSequence(ctx, 0));
    const int64_t size = static_cast<int64_t>(seq->items.size());
    if (size == 0) return Status::InvalidArgument("cannot erase from an empty sequence");
    int64_t position = size - 1;
    if (ctx.has_input(1)) {
      KILN_ASSIGN_OR_RETURN(position, ReadPosition(ctx, 1, size, /*allow_end=*/false));
    }
    Sequence out = *seq;
    out.items.erase(out.items.begin() + position);
    ctx.SetOutput(0, Value(std::move(out)));
    return Status::Ok();
  }
};

class SequenceLengthKernel final : public OpKernel {
 public:
  explicit SequenceLengthKernel(const KernelInit&) {}
  Status Compute(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(const Sequence* seq, InputSequence(ctx, 0));
    ctx.SetOutput(0, Value(Tensor::Scalar<int64_t>(static_cast<int64_t>(seq->items.size()))));
    return Status::Ok();
  }
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeSequenceEmpty(const KernelInit& init) {
  const int64_t code = init.node.GetInt("dtype", static_cast<int64_t>(DataType::kFloat));
  if (!IsKnownDataType(static_cast<int32_t>(code)) || code == 0) {
    return Status::InvalidArgument("dtype " + std::to_string(code) + " is not a known data type");
  }
  return std::unique_ptr<OpKernel>(new SequenceEmptyKernel(static_cast<DataType>(code)));
}
Result<std::unique_ptr<OpKernel>> MakeSequenceConstruct(const KernelInit& init) {
  return MakeKernel<SequenceConstructKernel>(init);
}
Result<std::unique_ptr<OpKernel>> MakeSequenceAt(const KernelInit& init) { return MakeKernel<SequenceAtKernel>(init); }
Result<std::unique_ptr<OpKernel>> MakeSequenceInsert(const KernelInit& init) {
  return MakeKernel<SequenceInsertKernel>(init);
}
Result<std::unique_ptr<OpKernel>> MakeSequenceErase(const KernelInit& init) {
  return MakeKernel<SequenceEraseKernel>(init);
}
Result<std::unique_ptr<OpKernel>> MakeSequenceLength(const KernelInit& init) {
  return MakeKernel<SequenceLengthKernel>(init);
}

}  // namespace kiln::cpu
