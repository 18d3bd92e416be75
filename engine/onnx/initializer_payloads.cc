#include "engine/onnx/initializer_payloads.h"

#include <cstdint>

namespace kiln::onnx_import {
namespace {

// Field numbers from onnx.proto.
constexpr uint64_t kModelGraph = 7;         // ModelProto.graph
constexpr uint64_t kGraphInitializer = 5;   // GraphProto.initializer
constexpr uint64_t kTensorRawData = 9;      // TensorProto.raw_data

constexpr int kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;

// A cursor over wire-format bytes; every read fails (returns false) rather
// than running past the end.
class Reader {
 public:
  Reader(const char* begin, const char* end) : p_(begin), end_(end) {}
  bool done() const { return p_ >= end_; }
  const char* pos() const { return p_; }

  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return false;
      const auto byte = static_cast<uint8_t>(*p_++);
      *v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  // Reads one field's key and skips or delimits its value: for a
  // length-delimited field, [*value, *value_end) is its payload.
  bool Field(uint64_t* number, int* wire_type, const char** value, const char** value_end) {
    uint64_t key = 0;
    if (!Varint(&key)) return false;
    *number = key >> 3;
    *wire_type = static_cast<int>(key & 7);
    uint64_t ignored = 0;
    switch (*wire_type) {
      case kVarint:
        *value = p_;
        if (!Varint(&ignored)) return false;
        break;
      case kFixed64:
      case kFixed32: {
        const size_t n = *wire_type == kFixed64 ? 8 : 4;
        if (static_cast<size_t>(end_ - p_) < n) return false;
        *value = p_;
        p_ += n;
        break;
      }
      case kLengthDelimited: {
        uint64_t len = 0;
        if (!Varint(&len) || len > static_cast<uint64_t>(end_ - p_)) return false;
        *value = p_;
        p_ += len;
        break;
      }
      default:
        return false;  // groups: not used by ONNX
    }
    *value_end = p_;
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

void PutVarint(uint64_t v, std::string& out) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void PutKey(uint64_t number, int wire_type, std::string& out) {
  PutVarint((number << 3) | static_cast<uint64_t>(wire_type), out);
}

struct Stripper {
  const char* origin;
  size_t min_bytes;
  InitializerPayloads::Range current;  // the initializer being rewritten
  std::vector<InitializerPayloads::Range> ranges;
  size_t stripped = 0;

  // Copies message [begin, end) into `out`, calling rewrite(number, payload
  // begin, payload end, out) for length-delimited fields; rewrite returns
  // false to have the field copied verbatim.
  template <typename Rewrite>
  bool Copy(const char* begin, const char* end, std::string& out, Rewrite rewrite) {
    Reader r(begin, end);
    while (!r.done()) {
      const char* field_start = r.pos();
      uint64_t number = 0;
      int wire_type = 0;
      const char* value = nullptr;
      const char* value_end = nullptr;
      if (!r.Field(&number, &wire_type, &value, &value_end)) return false;
      bool ok = true;
      if (wire_type == kLengthDelimited && rewrite(number, value, value_end, out, &ok)) {
        if (!ok) return false;
        continue;
      }
      out.append(field_start, static_cast<size_t>(value_end - field_start));
    }
    return true;
  }

  bool Tensor(const char* begin, const char* end, std::string& out) {
    current = {0, InitializerPayloads::kNotStripped};
    return Copy(begin, end, out, [&](uint64_t number, const char* v, const char* v_end, std::string& o, bool*) {
      const auto len = static_cast<size_t>(v_end - v);
      if (number != kTensorRawData || len < min_bytes) {
        if (number == kTensorRawData) current = {0, InitializerPayloads::kNotStripped};  // a later raw_data wins
        return false;
      }
      // One placeholder byte: the ONNX checker wants a non-empty value field.
      PutKey(kTensorRawData, kLengthDelimited, o);
      PutVarint(1, o);
      o.push_back('\0');
      current = {static_cast<size_t>(v - origin), len};
      return true;
    });
  }

  bool Graph(const char* begin, const char* end, std::string& out) {
    return Copy(begin, end, out, [&](uint64_t number, const char* v, const char* v_end, std::string& o, bool* ok) {
      if (number != kGraphInitializer) return false;
      std::string tensor;
      *ok = Tensor(v, v_end, tensor);
      ranges.push_back(current);
      if (current.length != InitializerPayloads::kNotStripped) ++stripped;
      PutKey(kGraphInitializer, kLengthDelimited, o);
      PutVarint(tensor.size(), o);
      o += tensor;
      return true;
    });
  }

  bool Model(const char* begin, const char* end, std::string& out) {
    return Copy(begin, end, out, [&](uint64_t number, const char* v, const char* v_end, std::string& o, bool* ok) {
      if (number != kModelGraph) return false;
      std::string graph;
      *ok = Graph(v, v_end, graph);
      PutKey(kModelGraph, kLengthDelimited, o);
      PutVarint(graph.size(), o);
      o += graph;
      return true;
    });
  }
};

}  // namespace

std::optional<StrippedModel> StripInitializerPayloads(const char* data, size_t size, size_t min_bytes) {
  if (data == nullptr || size == 0) return std::nullopt;
  Stripper s{data, min_bytes < 1 ? 1 : min_bytes, {}, {}, 0};
  StrippedModel result;
  if (!s.Model(data, data + size, result.skeleton) || s.stripped == 0) return std::nullopt;
  result.payloads.ranges = std::move(s.ranges);
  return result;
}

}  // namespace kiln::onnx_import
