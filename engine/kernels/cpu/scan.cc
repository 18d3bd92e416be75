// Scan: iterates a body subgraph over slices of scan inputs, carrying state
// variables between iterations and stacking per-iteration scan outputs.
// Opset 8 has a batch axis 0, sequence axis 1 and optional sequence_lens;
// opset 9+ has per-input/output axes and directions and no batching.
#include <algorithm>

#include "engine/kernels/cpu/control_flow_util.h"
#include "engine/kernels/cpu/kernel_util.h"
#include "engine/kernels/cpu/tensor_slices.h"

namespace kiln::cpu {
namespace {

class ScanKernel final : public OpKernel {
 public:
  ScanKernel(std::shared_ptr<const GraphPlan> body, bool batched, size_t num_states, size_t num_scan_inputs,
             size_t num_scan_outputs, std::vector<int64_t> input_axes, std::vector<int64_t> input_reverse,
             std::vector<int64_t> output_axes, std::vector<int64_t> output_reverse)
      : body_(std::move(body)),
        batched_(batched),
        num_states_(num_states),
        num_scan_inputs_(num_scan_inputs),
        num_scan_outputs_(num_scan_outputs),
        input_axes_(std::move(input_axes)),
        input_reverse_(std::move(input_reverse)),
        output_axes_(std::move(output_axes)),
        output_reverse_(std::move(output_reverse)) {}

  Status Compute(KernelContext& ctx) const override {
    return batched_ ? ComputeBatched(ctx) : ComputeUnbatched(ctx);
  }

 private:
  // Outputs of one scan over `length` steps: final states, and for each scan
  // output its per-step values in step order.
  struct ScanResult {
    std::vector<Value> states;
    std::vector<std::vector<Tensor>> scan_parts;
  };

  // Runs the body `length` times. Step t reads scan input i at index t (or
  // length-1-t when reversed) along seq_axes[i].
  Result<ScanResult> RunSteps(KernelContext& ctx, std::vector<Value> states, const std::vector<Tensor>& scan_inputs,
                              const std::vector<int64_t>& seq_axes, int64_t length) const {
    ScanResult result;
    result.scan_parts.resize(num_scan_outputs_);
    for (auto& parts : result.scan_parts) parts.reserve(static_cast<size_t>(length));
    for (int64_t t = 0; t < length; ++t) {
      std::vector<Value> body_inputs;
      body_inputs.reserve(num_states_ + num_scan_inputs_);
      for (Value& v : states) body_inputs.push_back(std::move(v));
      for (size_t i = 0; i < num_scan_inputs_; ++i) {
        const int64_t index = input_reverse_[i] ? length - 1 - t : t;
        body_inputs.emplace_back(SliceAlongAxis(scan_inputs[i], seq_axes[i], index));
      }
      KILN_ASSIGN_OR_RETURN(std::vector<Value> outs, ctx.RunSubgraph(*body_, std::move(body_inputs)));
      for (size_t i = 0; i < num_states_; ++i) states[i] = std::move(outs[i]);
      for (size_t k = 0; k < num_scan_outputs_; ++k) {
        Value& v = outs[num_states_ + k];
        if (!v.is_tensor()) {
          return Status::InvalidArgument("scan output " + std::to_string(k) + " of the body must be a tensor, got " +
                                         v.Describe());
        }
        result.scan_parts[k].push_back(std::move(v.tensor()));
      }
    }
    result.states = std::move(states);
    return result;
  }

  const ir::TypeInfo& ScanOutputType(size_t k) const { return body_->graph().outputs[num_states_ + k].type; }

  Status ComputeUnbatched(KernelContext& ctx) const {
    std::vector<Value> states(num_states_);
    for (size_t i = 0; i < num_states_; ++i) states[i] = ctx.input_value(static_cast<int>(i));
    std::vector<Tensor> scan_inputs(num_scan_inputs_);
    std::vector<int64_t> seq_axes(num_scan_inputs_);
    int64_t length = -1;
    for (size_t i = 0; i < num_scan_inputs_; ++i) {
      const int index = static_cast<int>(num_states_ + i);
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(index));
      scan_inputs[i] = ctx.input(index);
      if (scan_inputs[i].rank() == 0) return Status::InvalidArgument("scan input " + std::to_string(i) + " is a scalar");
      KILN_ASSIGN_OR_RETURN(seq_axes[i], NormalizeAxis(input_axes_[i], scan_inputs[i].rank(), "scan_input_axes"));
      const int64_t len = scan_inputs[i].dim(static_cast<int>(seq_axes[i]));
      if (length >= 0 && len != length) {
        return Status::InvalidArgument("scan inputs have different sequence lengths: " + std::to_string(length) +
                                       " and " + std::to_string(len));
      }
      length = len;
    }
    if (length < 0) length = 0;
    KILN_ASSIGN_OR_RETURN(ScanResult result, RunSteps(ctx, std::move(states), scan_inputs, seq_axes, length));
    for (size_t i = 0; i < num_states_; ++i) ctx.SetOutput(static_cast<int>(i), std::move(result.states[i]));
    for (size_t k = 0; k < num_scan_outputs_; ++k) {
      const int out_index = static_cast<int>(num_states_ + k);
      std::vector<Tensor>& parts = result.scan_parts[k];
      if (parts.empty()) {
        ctx.SetOutput(out_index, Value(EmptyScanOutput(ScanOutputType(k), output_axes_[k])));
        continue;
      }
      KILN_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(output_axes_[k], parts[0].rank() + 1, "scan_output_axes"));
      if (output_reverse_[k]) std::reverse(parts.begin(), parts.end());
      auto stacked = StackAlongNewAxis(parts, axis);
      if (!stacked.ok()) return stacked.status().WithContext("scan output " + std::to_string(k));
      ctx.SetOutput(out_index, Value(std::move(stacked).value()));
    }
    return Status::Ok();
  }

  // Opset 8: inputs (sequence_lens, states..., scan inputs...), all batched on axis 0.
  Status ComputeBatched(KernelContext& ctx) const {
    std::vector<Tensor> initial(num_states_);
    std::vector<Tensor> scan_inputs(num_scan_inputs_);
    int64_t batch = -1;
    int64_t max_length = -1;
    for (size_t i = 0; i < num_states_ + num_scan_inputs_; ++i) {
      const int index = static_cast<int>(i) + 1;
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(index));
      const Tensor& t = ctx.input(index);
      const bool is_scan = i >= num_states_;
      if (t.rank() < (is_scan ? 2 : 1)) {
        return Status::InvalidArgument("input " + std::to_string(index) + " needs a batch axis" +
                                       (is_scan ? " and a sequence axis" : ""));
      }
      if (batch >= 0 && t.dim(0) != batch) {
        return Status::InvalidArgument("inputs have different batch sizes: " + std::to_string(batch) + " and " +
                                       std::to_string(t.dim(0)));
      }
      batch = t.dim(0);
      if (!is_scan) {
        initial[i] = t;
        continue;
      }
      if (max_length >= 0 && t.dim(1) != max_length) {
        return Status::InvalidArgument("scan inputs have different sequence lengths: " + std::to_string(max_length) +
                                       " and " + std::to_string(t.dim(1)));
      }
      max_length = t.dim(1);
      scan_inputs[i - num_states_] = t;
    }
    if (batch < 0) return Status::InvalidArgument("Scan has no inputs");
    if (max_length < 0) max_length = 0;
    std::vector<int64_t> lengths(static_cast<size_t>(batch), max_length);
    if (ctx.has_input(0)) {
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
      lengths = ctx.input(0).ToInt64Vector();
      if (static_cast<int64_t>(lengths.size()) != batch) {
        return Status::InvalidArgument("sequence_lens has " + std::to_string(lengths.size()) +
                                       " entries for a batch of " + std::to_string(batch));
      }
      for (int64_t len : lengths) {
        if (len < 0 || len > max_length) {
          return Status::InvalidArgument("sequence length " + std::to_string(len) + " is outside [0, " +
                                         std::to_string(max_length) + "]");
        }
      }
    }

    std::vector<std::vector<Tensor>> final_states(num_states_);
    std::vector<Tensor> scan_outputs(num_scan_outputs_);
    const std::vector<int64_t> seq_axes(num_scan_inputs_, 0);  // axis 1 of the input is axis 0 of its batch slice
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<Value> states(num_states_);
      for (size_t i = 0; i < num_states_; ++i) states[i] = Value(SliceAlongAxis(initial[i], 0, b));
      std::vector<Tensor> batch_inputs(num_scan_inputs_);
      for (size_t i = 0; i < num_scan_inputs_; ++i) batch_inputs[i] = SliceAlongAxis(scan_inputs[i], 0, b);
      const int64_t length = lengths[static_cast<size_t>(b)];
      KILN_ASSIGN_OR_RETURN(ScanResult result, RunSteps(ctx, std::move(states), batch_inputs, seq_axes, length));
      for (size_t i = 0; i < num_states_; ++i) {
        if (!result.states[i].is_tensor()) return Status::InvalidArgument("Scan state values must be tensors");
        final_states[i].push_back(std::move(result.states[i].tensor()));
      }
      for (size_t k = 0; k < num_scan_outputs_; ++k) {
        if (result.scan_parts[k].empty()) continue;
        auto stacked = StackAlongNewAxis(result.scan_parts[k], 0);
        if (!stacked.ok()) return stacked.status().WithContext("scan output " + std::to_string(k));
        KILN_RETURN_IF_ERROR(WriteBatchRow(*stacked, b, batch, max_length, scan_outputs[k]));
      }
    }

    for (size_t i = 0; i < num_states_; ++i) {
      if (batch == 0) {
        ctx.SetOutput(static_cast<int>(i), Value(initial[i]));
        continue;
      }
      auto stacked = StackAlongNewAxis(final_states[i], 0);
      if (!stacked.ok()) return stacked.status().WithContext("state " + std::to_string(i));
      ctx.SetOutput(static_cast<int>(i), Value(std::move(stacked).value()));
    }
    for (size_t k = 0; k < num_scan_outputs_; ++k) {
      if (!scan_outputs[k].defined()) {
        // No step ran in any batch row: shape the output from the declared element type.
        Tensor element = EmptyScanOutput(ScanOutputType(k), 0);
        Shape shape = element.shape();
        shape[0] = max_length;
        shape.insert(shape.begin(), batch);
        scan_outputs[k] = Tensor::Allocate(element.dtype(), shape, /*zeroed=*/true);
      }
      ctx.SetOutput(static_cast<int>(num_states_ + k), Value(std::move(scan_outputs[k])));
    }
    return Status::Ok();
  }

  // Copies one batch row's stacked scan output [length, ...] into row b of
  // `out` [batch, max_length, ...], allocating `out` (zero padded) on first use.
  static Status WriteBatchRow(const Tensor& row, int64_t b, int64_t batch, int64_t max_length, Tensor& out) {
    Shape element(row.shape().begin() + 1, row.shape().end());
    if (!out.defined()) {
      Shape shape = element;
      shape.insert(shape.begin(), {batch, max_length});
      out = Tensor::Allocate(row.dtype(), shape, /*zeroed=*/true);
    } else if (row.dtype() != out.dtype() || !std::equal(element.begin(), element.end(), out.shape().begin() + 2,
                                                         out.shape().end())) {
      return Status::InvalidArgument("scan output elements differ in type or shape between batch rows");
    }
    const int64_t row_size = max_length * NumElements(element);
    CopyElements(row, 0, out, b * row_size, row.num_elements());
    return Status::Ok();
  }

  std::shared_ptr<const GraphPlan> body_;
  bool batched_;
  size_t num_states_;
  size_t num_scan_inputs_;
  size_t num_scan_outputs_;
  std::vector<int64_t> input_axes_;
  std::vector<int64_t> input_reverse_;
  std::vector<int64_t> output_axes_;
  std::vector<int64_t> output_reverse_;
};

// Reads a per-input or per-output list attribute, `fallback` for each entry when absent.
Result<std::vector<int64_t>> ReadListAttribute(const ir::Node& node, const std::string& name, size_t count,
                                               int64_t fallback) {
  if (!node.HasAttribute(name)) return std::vector<int64_t>(count, fallback);
  std::vector<int64_t> values = node.GetInts(name);
  if (values.size() != count) {
    return Status::InvalidArgument(name + " has " + std::to_string(values.size()) + " entries, expected " +
                                   std::to_string(count));
  }
  return values;
}

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeScan(const KernelInit& init) {
  const ir::Node& node = init.node;
  const ir::Graph* body = node.GetGraph("body");
  if (body == nullptr) return Status::InvalidArgument("Scan needs a body graph attribute");
  const bool batched = init.opset < 9;
  const int64_t num_scan_inputs = node.GetInt("num_scan_inputs", -1);
  const size_t first_state = batched ? 1 : 0;
  if (num_scan_inputs < 1 || node.inputs.size() < first_state + static_cast<size_t>(num_scan_inputs)) {
    return Status::InvalidArgument("num_scan_inputs must be between 1 and the number of inputs");
  }
  const size_t num_scan = static_cast<size_t>(num_scan_inputs);
  const size_t num_states = node.inputs.size() - first_state - num_scan;
  if (body->inputs.size() != num_states + num_scan) {
    return Status::InvalidArgument("Scan body has " + std::to_string(body->inputs.size()) + " inputs, expected " +
                                   std::to_string(num_states + num_scan));
  }
  if (body->outputs.size() < num_states) {
    return Status::InvalidArgument("Scan body has fewer outputs than state variables");
  }
  const size_t num_scan_outputs = body->outputs.size() - num_states;
  if (node.outputs.size() > body->outputs.size()) {
    return Status::InvalidArgument("Scan has more outputs than its body produces");
  }

  std::vector<int64_t> input_axes(num_scan, 0), output_axes(num_scan_outputs, 0);
  std::vector<int64_t> input_reverse, output_reverse(num_scan_outputs, 0);
  if (batched) {
    KILN_ASSIGN_OR_RETURN(input_reverse, ReadListAttribute(node, "directions", num_scan, 0));
  } else {
    KILN_ASSIGN_OR_RETURN(input_reverse, ReadListAttribute(node, "scan_input_directions", num_scan, 0));
    KILN_ASSIGN_OR_RETURN(output_reverse, ReadListAttribute(node, "scan_output_directions", num_scan_outputs, 0));
    KILN_ASSIGN_OR_RETURN(input_axes, ReadListAttribute(node, "scan_input_axes", num_scan, 0));
    KILN_ASSIGN_OR_RETURN(output_axes, ReadListAttribute(node, "scan_output_axes", num_scan_outputs, 0));
  }
  for (int64_t d : input_reverse)
    if (d != 0 && d != 1) return Status::InvalidArgument("scan directions must be 0 or 1");
  for (int64_t d : output_reverse)
    if (d != 0 && d != 1) return Status::InvalidArgument("scan_output_directions must be 0 or 1");

  KILN_ASSIGN_OR_RETURN(auto plan, init.compile_subgraph(*body));
  return std::unique_ptr<OpKernel>(new ScanKernel(std::move(plan), batched, num_states, num_scan, num_scan_outputs,
                                                  std::move(input_axes), std::move(input_reverse),
                                                  std::move(output_axes), std::move(output_reverse)));
}

}  // namespace kiln::cpu
