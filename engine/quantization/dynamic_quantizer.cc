#include "engine/quantization/dynamic_quantizer.h"

#include <map>
#include <set>

#include "engine/quantization/proto_editor.h"
#include "engine/quantization/quant_params.h"
#include "engine/quantization/static_quantizer.h"
#include "onnx/onnx_pb.h"

namespace kiln::quantization {
namespace {

bool IsExcluded(const onnx::NodeProto& node, const QuantizeOptions& options) {
  for (const auto& e : options.exclude) {
    if (e == node.op_type() || (!node.name().empty() && e == node.name())) return true;
  }
  return false;
}

Tensor Transpose2D(const Tensor& t) {
  const int64_t rows = t.dim(0), cols = t.dim(1);
  Tensor out = Tensor::Allocate(t.dtype(), {cols, rows});
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) out.data<float>()[c * rows + r] = t.data<float>()[r * cols + c];
  }
  return out;
}

struct DynamicActivation {
  std::string quantized, scale, zero_point;
};

}  // namespace

Status RewriteDynamic(onnx::ModelProto* model, const std::string& base_dir, const QuantizeOptions& options,
                      int* rewritten) {
  ProtoEditor editor(model, base_dir);
  if (editor.Opset() < 11) {
    return Status::InvalidArgument("dynamic quantization needs ai.onnx opset 11 or later (DynamicQuantizeLinear); "
                                   "the model imports opset " + std::to_string(editor.Opset()));
  }
  onnx::GraphProto& g = editor.graph();
  std::set<std::string> graph_inputs;
  for (const auto& vi : g.input()) graph_inputs.insert(vi.name());
  std::map<std::string, DynamicActivation> activations;  // A -> its runtime quantization
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  int count = 0;
  for (auto& node : *g.mutable_node()) {
    const std::string& op = node.op_type();
    const bool gemm = op == "Gemm";
    bool eligible = node.domain().empty() && (op == "MatMul" || gemm) && node.input_size() >= 2 &&
                    node.output_size() == 1 && !IsExcluded(node, options) && editor.IsFloat(node.input(0)) &&
                    editor.FindInitializer(node.input(1)) && editor.IsFloat(node.input(1)) &&
                    !graph_inputs.count(node.input(1));
    if (eligible && gemm && GetIntAttribute(node, "transA", 0) != 0) eligible = false;
    Tensor weight;
    if (eligible) {
      KILN_ASSIGN_OR_RETURN(weight, editor.ReadInitializer(node.input(1)));
      eligible = weight.rank() == 2;
    }
    if (!eligible) {
      *nodes.Add() = std::move(node);
      continue;
    }
    if (gemm && GetIntAttribute(node, "transB", 0)) weight = Transpose2D(weight);
    KILN_ASSIGN_OR_RETURN(QuantizedWeight qw, QuantizeWeight(weight, options.per_channel ? 1 : -1));
    const std::string& a = node.input(0);
    const std::string base = node.name().empty() ? node.output(0) : node.name();

    if (!activations.count(a)) {
      DynamicActivation act{editor.UniqueName(a + "_quantized"), editor.UniqueName(a + "_scale"),
                            editor.UniqueName(a + "_zero_point")};
      *nodes.Add() = editor.MakeNode("DynamicQuantizeLinear", {a}, {act.quantized, act.scale, act.zero_point},
                                     a + "_DynamicQuantizeLinear");
      activations[a] = act;
    }
    const DynamicActivation& act = activations[a];
    const float alpha = gemm ? GetFloatAttribute(node, "alpha", 1.0f) : 1.0f;
    std::vector<float> scales = qw.scales;
    for (float& s : scales) s *= alpha;
    std::string w_q = editor.AddInitializer(node.input(1) + "_quantized", qw.values);
    std::string w_zp = editor.AddInitializer(node.input(1) + "_zero_point", Tensor::Scalar<int8_t>(0));
    Tensor scale_tensor = scales.size() == 1 ? Tensor::Scalar<float>(scales[0])
                                             : Tensor::FromVector<float>({static_cast<int64_t>(scales.size())}, scales);
    std::string w_scale = editor.AddInitializer(node.input(1) + "_scale", scale_tensor);

    std::string acc = editor.UniqueName(base + "_int32");
    *nodes.Add() = editor.MakeNode("MatMulInteger", {act.quantized, w_q, act.zero_point, w_zp}, {acc},
                                   base + "_MatMulInteger");
    std::string acc_f = editor.UniqueName(base + "_int32_float");
    onnx::NodeProto cast = editor.MakeNode("Cast", {acc}, {acc_f}, base + "_Cast");
    SetIntAttribute(cast, "to", onnx::TensorProto::FLOAT);
    *nodes.Add() = std::move(cast);
    std::string combined = editor.UniqueName(base + "_output_scale");
    *nodes.Add() = editor.MakeNode("Mul", {act.scale, w_scale}, {combined}, base + "_ScaleMul");

    const bool has_bias = gemm && node.input_size() >= 3 && !node.input(2).empty();
    const std::string out = node.output(0);
    std::string product = has_bias ? editor.UniqueName(base + "_product") : out;
    *nodes.Add() = editor.MakeNode("Mul", {acc_f, combined}, {product}, base + "_OutputMul");
    if (has_bias) {
      std::string c = node.input(2);
      const float beta = GetFloatAttribute(node, "beta", 1.0f);
      if (beta != 1.0f) {
        std::string beta_name = editor.AddInitializer(base + "_beta", Tensor::Scalar<float>(beta));
        std::string scaled = editor.UniqueName(base + "_scaled_bias");
        *nodes.Add() = editor.MakeNode("Mul", {c, beta_name}, {scaled}, base + "_BiasMul");
        c = scaled;
      }
      *nodes.Add() = editor.MakeNode("Add", {product, c}, {out}, base + "_BiasAdd");
    }
    ++count;
  }
  g.mutable_node()->Swap(&nodes);
  RemoveUnusedInitializers(model);
  if (rewritten) *rewritten = count;
  return Status::Ok();
}

}  // namespace kiln::quantization
