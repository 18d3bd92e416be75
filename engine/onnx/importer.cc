#include "engine/onnx/importer.h"

#include <memory>

#include "engine/onnx/tensor_proto.h"
#include "onnx/onnx_pb.h"

namespace kiln::onnx_import {
namespace {

std::vector<ir::Dim> ImportShape(const onnx::TensorShapeProto& shape) {
  std::vector<ir::Dim> dims;
  for (const auto& d : shape.dim()) {
    ir::Dim dim;
    if (d.has_dim_value()) dim.value = d.dim_value();
    else if (d.has_dim_param()) dim.symbol = d.dim_param();
    dims.push_back(dim);
  }
  return dims;
}

Result<ir::Attribute> ImportAttribute(const onnx::AttributeProto& a, const std::string& base_dir) {
  using T = ir::Attribute::Type;
  ir::Attribute out;
  out.name = a.name();
  if (!a.ref_attr_name().empty()) {
    return Status::Unimplemented("attribute '" + a.name() + "' refers to a function attribute");
  }
  switch (a.type()) {
    case onnx::AttributeProto::FLOAT: out.type = T::kFloat; out.f = a.f(); break;
    case onnx::AttributeProto::INT: out.type = T::kInt; out.i = a.i(); break;
    case onnx::AttributeProto::STRING: out.type = T::kString; out.s = a.s(); break;
    case onnx::AttributeProto::TENSOR: {
      out.type = T::kTensor;
      KILN_ASSIGN_OR_RETURN(out.t, TensorFromProto(a.t(), base_dir));
      break;
    }
    case onnx::AttributeProto::GRAPH: {
      out.type = T::kGraph;
      KILN_ASSIGN_OR_RETURN(ir::Graph g, ImportGraph(a.g(), base_dir));
      out.g = std::make_shared<ir::Graph>(std::move(g));
      break;
    }
    case onnx::AttributeProto::FLOATS: out.type = T::kFloats; out.floats.assign(a.floats().begin(), a.floats().end()); break;
    case onnx::AttributeProto::INTS: out.type = T::kInts; out.ints.assign(a.ints().begin(), a.ints().end()); break;
    case onnx::AttributeProto::STRINGS: out.type = T::kStrings; out.strings.assign(a.strings().begin(), a.strings().end()); break;
    case onnx::AttributeProto::TENSORS:
      out.type = T::kTensors;
      for (const auto& tp : a.tensors()) {
        KILN_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(tp, base_dir));
        out.tensors.push_back(std::move(t));
      }
      break;
    case onnx::AttributeProto::GRAPHS:
      out.type = T::kGraphs;
      for (const auto& gp : a.graphs()) {
        KILN_ASSIGN_OR_RETURN(ir::Graph g, ImportGraph(gp, base_dir));
        out.graphs.push_back(std::make_shared<ir::Graph>(std::move(g)));
      }
      break;
    case onnx::AttributeProto::SPARSE_TENSOR: out.type = T::kSparseTensor; break;
    case onnx::AttributeProto::TYPE_PROTO: out.type = T::kTypeProto; out.tp = ImportType(a.tp()); break;
    case onnx::AttributeProto::TYPE_PROTOS: out.type = T::kTypeProtos; break;
    default:
      return Status::InvalidArgument("attribute '" + a.name() + "' has no valid type");
  }
  return out;
}

}  // namespace

ir::TypeInfo ImportType(const onnx::TypeProto& proto) {
  ir::TypeInfo t;
  if (proto.has_tensor_type()) {
    t.kind = ir::TypeInfo::Kind::kTensor;
    t.elem_type = static_cast<DataType>(proto.tensor_type().elem_type());
    if (proto.tensor_type().has_shape()) t.shape = ImportShape(proto.tensor_type().shape());
  } else if (proto.has_sequence_type()) {
    t.kind = ir::TypeInfo::Kind::kSequence;
    t.inner = std::make_shared<ir::TypeInfo>(ImportType(proto.sequence_type().elem_type()));
  } else if (proto.has_optional_type()) {
    t.kind = ir::TypeInfo::Kind::kOptional;
    t.inner = std::make_shared<ir::TypeInfo>(ImportType(proto.optional_type().elem_type()));
  } else if (proto.has_map_type()) {
    t.kind = ir::TypeInfo::Kind::kMap;
  } else if (proto.has_sparse_tensor_type()) {
    t.kind = ir::TypeInfo::Kind::kSparseTensor;
    t.elem_type = static_cast<DataType>(proto.sparse_tensor_type().elem_type());
  }
  return t;
}

Result<ir::Graph> ImportGraph(const onnx::GraphProto& proto, const std::string& base_dir,
                              const InitializerPayloads* payloads) {
  ir::Graph g;
  g.name = proto.name();
  for (const auto& vi : proto.input()) g.inputs.push_back({vi.name(), ImportType(vi.type())});
  for (const auto& vi : proto.output()) g.outputs.push_back({vi.name(), ImportType(vi.type())});
  for (const auto& vi : proto.value_info()) g.value_types[vi.name()] = ImportType(vi.type());
  if (payloads != nullptr && payloads->ranges.size() != static_cast<size_t>(proto.initializer_size())) {
    return Status::Internal("initializer payloads do not match the graph's initializers");
  }
  for (int i = 0; i < proto.initializer_size(); ++i) {
    const onnx::TensorProto& tp = proto.initializer(i);
    const InitializerPayloads::Range* range = payloads ? &payloads->ranges[static_cast<size_t>(i)] : nullptr;
    KILN_ASSIGN_OR_RETURN(Tensor t, range != nullptr && range->length != InitializerPayloads::kNotStripped
                                        ? TensorFromPayload(tp, payloads->base + range->offset, range->length,
                                                            payloads->owner)
                                        : TensorFromProto(tp, base_dir));
    if (!g.initializers.count(tp.name())) g.initializer_order.push_back(tp.name());
    g.initializers[tp.name()] = std::move(t);
  }
  if (proto.sparse_initializer_size() > 0) {
    return Status::Unimplemented("graph '" + proto.name() + "' has sparse initializers, which Kiln does not support");
  }
  g.nodes.reserve(static_cast<size_t>(proto.node_size()));
  for (const auto& np : proto.node()) {
    ir::Node n;
    n.name = np.name();
    n.op_type = np.op_type();
    n.domain = ir::NormalizeDomain(np.domain());
    n.inputs.assign(np.input().begin(), np.input().end());
    n.outputs.assign(np.output().begin(), np.output().end());
    for (const auto& ap : np.attribute()) {
      auto attr = ImportAttribute(ap, base_dir);
      if (!attr.ok()) return attr.status().WithContext("node " + n.Describe());
      n.attributes[ap.name()] = std::move(attr).value();
    }
    g.nodes.push_back(std::move(n));
  }
  return g;
}

Result<ir::Model> ImportModel(const onnx::ModelProto& proto, const std::string& base_dir,
                              const InitializerPayloads* payloads) {
  ir::Model m;
  m.ir_version = proto.ir_version();
  m.producer_name = proto.producer_name();
  m.producer_version = proto.producer_version();
  m.model_version = proto.model_version();
  m.doc_string = proto.doc_string();
  for (const auto& kv : proto.metadata_props()) m.metadata[kv.key()] = kv.value();
  for (const auto& op : proto.opset_import()) m.opset_imports[ir::NormalizeDomain(op.domain())] = op.version();
  if (proto.ir_version() < 3 && m.opset_imports.empty()) m.opset_imports[""] = 1;  // IR v1/v2 predate opset_import
  KILN_ASSIGN_OR_RETURN(m.graph, ImportGraph(proto.graph(), base_dir, payloads));
  return m;
}

}  // namespace kiln::onnx_import
