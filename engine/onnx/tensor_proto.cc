#include "engine/onnx/tensor_proto.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "onnx/onnx_pb.h"
#include "onnx/onnx-data.pb.h"

namespace kiln::onnx_import {
namespace {

namespace fs = std::filesystem;

Status ReadExternalData(const onnx::TensorProto& proto, const std::string& base_dir, std::string* out) {
  std::string location;
  int64_t offset = 0;
  int64_t length = -1;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset") offset = std::stoll(kv.value());
    else if (kv.key() == "length") length = std::stoll(kv.value());
  }
  if (location.empty()) {
    return Status::InvalidArgument("tensor '" + proto.name() + "' has external data without a location");
  }
  fs::path rel(location);
  if (rel.is_absolute()) {
    return Status::InvalidArgument("tensor '" + proto.name() + "': external data location '" + location +
                                   "' must be relative to the model's folder");
  }
  for (const auto& part : rel) {
    if (part == "..") {
      return Status::InvalidArgument("tensor '" + proto.name() + "': external data location '" + location +
                                     "' leaves the model's folder");
    }
  }
  fs::path full = fs::path(base_dir.empty() ? "." : base_dir) / rel;
  std::ifstream in(full, std::ios::binary);
  if (!in) {
    return Status::NotFound("tensor '" + proto.name() + "': external data file '" + full.string() +
                            "' cannot be opened");
  }
  in.seekg(0, std::ios::end);
  int64_t file_size = in.tellg();
  if (offset < 0 || offset > file_size) {
    return Status::InvalidArgument("tensor '" + proto.name() + "': external data offset " +
                                   std::to_string(offset) + " is past the end of '" + full.string() + "'");
  }
  if (length < 0) length = file_size - offset;
  if (offset + length > file_size) {
    return Status::InvalidArgument("tensor '" + proto.name() + "': external data file '" + full.string() +
                                   "' is truncated (needs " + std::to_string(offset + length) + " bytes, has " +
                                   std::to_string(file_size) + ")");
  }
  out->resize(static_cast<size_t>(length));
  in.seekg(offset);
  in.read(out->data(), length);
  if (!in) return Status::InvalidArgument("tensor '" + proto.name() + "': reading external data failed");
  return Status::Ok();
}

template <typename T, typename Field>
void CopyTypedField(const Field& field, Tensor& t) {
  T* p = t.data<T>();
  for (int64_t i = 0; i < t.num_elements(); ++i) p[i] = static_cast<T>(field.Get(static_cast<int>(i)));
}

std::string LabelOf(const onnx::TensorProto& proto) {
  return proto.name().empty() ? std::string("tensor") : "tensor '" + proto.name() + "'";
}

// The tensor's element type and shape, validated.
Status DecodeHeader(const onnx::TensorProto& proto, DataType* dt, Shape* shape, int64_t* count) {
  const std::string label = LabelOf(proto);
  if (!IsKnownDataType(proto.data_type())) {
    return Status::InvalidArgument(label + " has unknown data type " + std::to_string(proto.data_type()));
  }
  *dt = static_cast<DataType>(proto.data_type());
  if (*dt == DataType::kComplex64 || *dt == DataType::kComplex128) {
    return Status::Unimplemented(label + " has data type " + std::string(DataTypeName(*dt)) +
                                 ", which Kiln does not support");
  }
  int64_t n = 1;
  for (int64_t d : proto.dims()) {
    if (d < 0) return Status::InvalidArgument(label + " has a negative dimension");
    if (__builtin_mul_overflow(n, d, &n)) return Status::InvalidArgument(label + " has an overflowing element count");
    shape->push_back(d);
  }
  *count = n;
  return Status::Ok();
}

// Storage owner for a tensor borrowing [data, data + length) of a mapped
// file: keeps the mapping alive, and when the tensor is dropped (a graph
// pass replaced it, say) returns the pages lying wholly inside its range to
// the kernel, so that weights no longer used stop counting as resident.
// Drops the resident pages lying wholly inside [data, data + length) of a
// private file mapping; they are read again from the file if touched.
void ReleasePages(const void* data, size_t length) {
  const auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(data);
  const uintptr_t first = (begin + page - 1) / page * page;
  const uintptr_t last = (begin + length) / page * page;
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

// Storage owner for a tensor borrowing [data, data + length) of a mapped
// file: keeps the mapping alive, and when the tensor is dropped (a graph
// pass replaced it, say) releases its pages, so that weights no longer used
// stop counting as resident.
std::shared_ptr<void> BorrowedRangeOwner(const char* data, size_t length, std::shared_ptr<void> mapping) {
  return std::shared_ptr<void>(const_cast<char*>(data),
                               [mapping = std::move(mapping), length](void* p) { ReleasePages(p, length); });
}

}  // namespace

Result<Tensor> TensorFromPayload(const onnx::TensorProto& proto, const char* data, size_t length,
                                 const std::shared_ptr<void>& owner) {
  DataType dt = DataType::kUndefined;
  Shape shape;
  int64_t n = 0;
  KILN_RETURN_IF_ERROR(DecodeHeader(proto, &dt, &shape, &n));
  const size_t elem = DataTypeSize(dt);
  if (dt == DataType::kString || elem == 0) {
    return Status::InvalidArgument(LabelOf(proto) + " of type " + std::string(DataTypeName(dt)) +
                                   " cannot hold raw_data");
  }
  if (length % elem != 0 || length / elem != static_cast<size_t>(n)) {
    return Status::InvalidArgument(LabelOf(proto) + " holds " + std::to_string(length) + " bytes, but shape " +
                                   ShapeToString(shape) + " of " + std::string(DataTypeName(dt)) + " needs " +
                                   std::to_string(static_cast<size_t>(n) * elem));
  }
  if (dt != DataType::kBool && reinterpret_cast<uintptr_t>(data) % elem == 0) {
    return Tensor::Borrow(dt, std::move(shape), const_cast<char*>(data), BorrowedRangeOwner(data, length, owner));
  }
  // Misaligned (protobuf does not align payloads): kernels and compilers
  // assume element-aligned data, so copy, and release the mapped pages the
  // copy came from so that the weights are resident once, not twice.
  Tensor t = Tensor::Allocate(dt, std::move(shape));
  if (dt == DataType::kBool) {
    for (int64_t i = 0; i < n; ++i) t.data<bool>()[i] = data[i] != 0;
  } else if (n > 0) {
    std::memcpy(t.raw_data(), data, length);
  }
  ReleasePages(data, length);
  return t;
}

Result<Tensor> TensorFromProto(const onnx::TensorProto& proto, const std::string& base_dir) {
  const std::string label = LabelOf(proto);
  DataType dt = DataType::kUndefined;
  Shape shape;
  int64_t n = 0;
  KILN_RETURN_IF_ERROR(DecodeHeader(proto, &dt, &shape, &n));
  // Storage is allocated only once the data is known to match the shape, so
  // a huge declared shape cannot trigger a huge allocation.

  if (dt == DataType::kString) {
    if (proto.string_data_size() != n) {
      return Status::InvalidArgument(label + " has " + std::to_string(proto.string_data_size()) +
                                     " strings for shape " + ShapeToString(shape));
    }
    Tensor t = Tensor::Allocate(dt, shape);
    for (int64_t i = 0; i < n; ++i) t.data<std::string>()[i] = proto.string_data(static_cast<int>(i));
    return t;
  }

  const size_t elem = DataTypeSize(dt);
  std::string external;
  const std::string* raw = nullptr;
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    KILN_RETURN_IF_ERROR(ReadExternalData(proto, base_dir, &external));
    raw = &external;
  } else if (proto.has_raw_data()) {
    raw = &proto.raw_data();
  }
  if (raw != nullptr) {
    if (raw->size() % elem != 0 || raw->size() / elem != static_cast<size_t>(n)) {
      return Status::InvalidArgument(label + " holds " + std::to_string(raw->size()) + " bytes, but shape " +
                                     ShapeToString(shape) + " of " + std::string(DataTypeName(dt)) + " needs " +
                                     std::to_string(static_cast<size_t>(n) * elem));
    }
    Tensor t = Tensor::Allocate(dt, shape);
    if (n > 0) std::memcpy(t.raw_data(), raw->data(), raw->size());
    if (dt == DataType::kBool) {  // normalise non-zero bytes to true
      for (int64_t i = 0; i < n; ++i) t.data<bool>()[i] = reinterpret_cast<const uint8_t*>(raw->data())[i] != 0;
    }
    return t;
  }

  int64_t have = 0;
  switch (dt) {
    case DataType::kFloat: have = proto.float_data_size(); break;
    case DataType::kDouble: have = proto.double_data_size(); break;
    case DataType::kInt64: have = proto.int64_data_size(); break;
    case DataType::kUInt32: case DataType::kUInt64: have = proto.uint64_data_size(); break;
    default: have = proto.int32_data_size(); break;
  }
  if (have != n) {
    return Status::InvalidArgument(label + " has " + std::to_string(have) + " values for shape " +
                                   ShapeToString(shape));
  }
  Tensor t = Tensor::Allocate(dt, shape);
  switch (dt) {
    case DataType::kFloat: CopyTypedField<float>(proto.float_data(), t); break;
    case DataType::kDouble: CopyTypedField<double>(proto.double_data(), t); break;
    case DataType::kInt64: CopyTypedField<int64_t>(proto.int64_data(), t); break;
    case DataType::kUInt32: CopyTypedField<uint32_t>(proto.uint64_data(), t); break;
    case DataType::kUInt64: CopyTypedField<uint64_t>(proto.uint64_data(), t); break;
    case DataType::kInt32: CopyTypedField<int32_t>(proto.int32_data(), t); break;
    case DataType::kInt16: CopyTypedField<int16_t>(proto.int32_data(), t); break;
    case DataType::kInt8: CopyTypedField<int8_t>(proto.int32_data(), t); break;
    case DataType::kUInt16: CopyTypedField<uint16_t>(proto.int32_data(), t); break;
    case DataType::kUInt8: CopyTypedField<uint8_t>(proto.int32_data(), t); break;
    case DataType::kBool:
      for (int64_t i = 0; i < n; ++i) t.data<bool>()[i] = proto.int32_data(static_cast<int>(i)) != 0;
      break;
    case DataType::kFloat16:
      for (int64_t i = 0; i < n; ++i)
        t.data<Float16>()[i] = Float16::FromBits(static_cast<uint16_t>(proto.int32_data(static_cast<int>(i))));
      break;
    case DataType::kBFloat16:
      for (int64_t i = 0; i < n; ++i)
        t.data<BFloat16>()[i] = BFloat16::FromBits(static_cast<uint16_t>(proto.int32_data(static_cast<int>(i))));
      break;
    default:
      return Status::Unimplemented(label + ": data type " + std::string(DataTypeName(dt)) + " is not supported");
  }
  return t;
}

Result<Value> ValueFromSequenceProto(const onnx::SequenceProto& proto) {
  if (proto.elem_type() != onnx::SequenceProto::TENSOR && proto.elem_type() != onnx::SequenceProto::UNDEFINED) {
    return Status::Unimplemented("sequences of non-tensor values are not supported");
  }
  Sequence seq;
  for (const auto& tp : proto.tensor_values()) {
    KILN_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(tp, ""));
    seq.elem_type = t.dtype();
    seq.items.push_back(std::move(t));
  }
  return Value(std::move(seq));
}

Result<Value> ValueFromOptionalProto(const onnx::OptionalProto& proto) {
  switch (proto.elem_type()) {
    case onnx::OptionalProto::UNDEFINED: return Value::None();
    case onnx::OptionalProto::TENSOR: {
      KILN_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(proto.tensor_value(), ""));
      return Value(std::move(t));
    }
    case onnx::OptionalProto::SEQUENCE: return ValueFromSequenceProto(proto.sequence_value());
    default: return Status::Unimplemented("optional values of this element kind are not supported");
  }
}

Result<Value> ParseValue(const std::string& bytes, const ir::TypeInfo& expected) {
  if (expected.kind == ir::TypeInfo::Kind::kSequence) {
    onnx::SequenceProto sp;
    if (!sp.ParseFromString(bytes)) return Status::InvalidArgument("cannot parse SequenceProto");
    return ValueFromSequenceProto(sp);
  }
  if (expected.kind == ir::TypeInfo::Kind::kOptional) {
    onnx::OptionalProto op;
    if (!op.ParseFromString(bytes)) return Status::InvalidArgument("cannot parse OptionalProto");
    return ValueFromOptionalProto(op);
  }
  onnx::TensorProto tp;
  if (!tp.ParseFromString(bytes)) return Status::InvalidArgument("cannot parse TensorProto");
  KILN_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(tp, ""));
  if (expected.kind == ir::TypeInfo::Kind::kTensor && expected.elem_type == DataType::kBFloat16 &&
      t.dtype() == DataType::kUInt16) {
    // numpy has no bfloat16: tools built on it (the ONNX test generators) store the raw bits as uint16.
    Tensor bf = Tensor::Allocate(DataType::kBFloat16, t.shape());
    std::memcpy(bf.raw_data(), t.raw_data(), t.byte_size());
    return Value(std::move(bf));
  }
  return Value(std::move(t));
}

}  // namespace kiln::onnx_import
