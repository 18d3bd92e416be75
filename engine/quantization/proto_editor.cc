#include "engine/quantization/proto_editor.h"

#include <cstring>

#include "engine/onnx/tensor_proto.h"
#include "onnx/defs/schema.h"
#include "onnx/shape_inference/implementation.h"

namespace kiln::quantization {
namespace {

void RecordTypes(const onnx::GraphProto& g, std::map<std::string, int>& types) {
  auto record = [&](const onnx::ValueInfoProto& vi) {
    if (vi.type().has_tensor_type() && vi.type().tensor_type().elem_type() != 0) {
      types[vi.name()] = vi.type().tensor_type().elem_type();
    }
  };
  for (const auto& vi : g.input()) record(vi);
  for (const auto& vi : g.output()) record(vi);
  for (const auto& vi : g.value_info()) record(vi);
  for (const auto& t : g.initializer()) types[t.name()] = t.data_type();
}

void CollectNames(const onnx::GraphProto& g, std::set<std::string>& names) {
  for (const auto& vi : g.input()) names.insert(vi.name());
  for (const auto& t : g.initializer()) names.insert(t.name());
  for (const auto& n : g.node()) {
    names.insert(n.name());
    for (const auto& s : n.input()) names.insert(s);
    for (const auto& s : n.output()) names.insert(s);
    for (const auto& a : n.attribute()) {
      if (a.has_g()) CollectNames(a.g(), names);
      for (const auto& sub : a.graphs()) CollectNames(sub, names);
    }
  }
}

int ToOnnxType(DataType dt) { return static_cast<int>(dt); }  // Kiln's codes are ONNX's

}  // namespace

ProtoEditor::ProtoEditor(onnx::ModelProto* model, std::string base_dir) : model_(model), base_dir_(std::move(base_dir)) {
  onnx::ModelProto inferred = *model;
  try {
    onnx::ShapeInferenceOptions options(/*check_type=*/false, /*error_mode=*/0, /*data_prop=*/false);
    onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception&) {
    // Types stay unknown where inference failed; those values are left in float.
  }
  RecordTypes(inferred.graph(), types_);
  for (int i = 0; i < model->graph().initializer_size(); ++i) initializers_[model->graph().initializer(i).name()] = i;
  CollectNames(model->graph(), names_);
}

int ProtoEditor::ElemType(const std::string& value) const {
  auto it = types_.find(value);
  return it == types_.end() ? 0 : it->second;
}

const onnx::TensorProto* ProtoEditor::FindInitializer(const std::string& name) const {
  auto it = initializers_.find(name);
  return it == initializers_.end() ? nullptr : &model_->graph().initializer(it->second);
}

Result<Tensor> ProtoEditor::ReadInitializer(const std::string& name) const {
  const onnx::TensorProto* proto = FindInitializer(name);
  if (!proto) return Status::NotFound("no initializer named '" + name + "'");
  return onnx_import::TensorFromProto(*proto, base_dir_);
}

int64_t ProtoEditor::Opset() const {
  for (const auto& op : model_->opset_import()) {
    if (op.domain().empty() || op.domain() == "ai.onnx") return op.version();
  }
  return 0;
}

std::string ProtoEditor::UniqueName(const std::string& base) {
  std::string name = base;
  for (int i = 1; names_.count(name); ++i) name = base + "_" + std::to_string(i);
  names_.insert(name);
  return name;
}

std::string ProtoEditor::AddInitializer(const std::string& base, const Tensor& value) {
  std::string name = UniqueName(base);
  onnx::TensorProto* t = model_->mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(ToOnnxType(value.dtype()));
  for (int64_t d : value.shape()) t->add_dims(d);
  t->set_raw_data(std::string(static_cast<const char*>(value.raw_data()), value.byte_size()));
  initializers_[name] = model_->graph().initializer_size() - 1;
  types_[name] = ToOnnxType(value.dtype());
  return name;
}

onnx::NodeProto ProtoEditor::MakeNode(const std::string& op, const std::vector<std::string>& inputs,
                                      const std::vector<std::string>& outputs, const std::string& name_base) {
  onnx::NodeProto node;
  node.set_op_type(op);
  node.set_name(UniqueName(name_base));
  for (const auto& s : inputs) node.add_input(s);
  for (const auto& s : outputs) node.add_output(s);
  return node;
}

int64_t GetIntAttribute(const onnx::NodeProto& node, const std::string& name, int64_t fallback) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) return a.i();
  }
  return fallback;
}

float GetFloatAttribute(const onnx::NodeProto& node, const std::string& name, float fallback) {
  for (const auto& a : node.attribute()) {
    if (a.name() == name) return a.f();
  }
  return fallback;
}

void SetIntAttribute(onnx::NodeProto& node, const std::string& name, int64_t value) {
  for (auto& a : *node.mutable_attribute()) {
    if (a.name() == name) {
      a.set_i(value);
      return;
    }
  }
  onnx::AttributeProto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

}  // namespace kiln::quantization
