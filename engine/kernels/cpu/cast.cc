// Cast and CastLike: convert a tensor to another element type (attribute
// `to`, a type code or, before opset 6, a type name; CastLike takes the type
// of its second input). Covers numeric types, bool and string.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>

#include "engine/kernels/cpu/numeric_convert.h"
#include "engine/kernels/cpu/unary_elementwise.h"

namespace kiln::cpu {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Opset < 6 names the target type with its TensorProto.DataType name.
Result<DataType> DataTypeFromName(const std::string& name) {
  static constexpr std::pair<std::string_view, DataType> kNames[] = {
      {"FLOAT", DataType::kFloat},       {"UINT8", DataType::kUInt8},         {"INT8", DataType::kInt8},
      {"UINT16", DataType::kUInt16},     {"INT16", DataType::kInt16},         {"INT32", DataType::kInt32},
      {"INT64", DataType::kInt64},       {"STRING", DataType::kString},       {"BOOL", DataType::kBool},
      {"FLOAT16", DataType::kFloat16},   {"DOUBLE", DataType::kDouble},       {"UINT32", DataType::kUInt32},
      {"UINT64", DataType::kUInt64},     {"COMPLEX64", DataType::kComplex64}, {"COMPLEX128", DataType::kComplex128},
      {"BFLOAT16", DataType::kBFloat16},
  };
  for (const auto& [n, dt] : kNames) {
    if (EqualsIgnoreCase(n, name)) return dt;
  }
  return Status::InvalidArgument("unknown data type name '" + name + "' in attribute to");
}

// ---- number -> number ----

// Cast narrows to bfloat16 by dropping the low 16 bits of the float (the ONNX
// reference behaviour up to opset 17), keeping NaN a NaN.
BFloat16 TruncateToBFloat16(float f) {
  if (std::isnan(f)) return BFloat16(f);
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return BFloat16::FromBits(static_cast<uint16_t>(bits >> 16));
}

template <typename TO, typename TI>
TO CastNumber(TI v) {
  if constexpr (std::is_same_v<TO, BFloat16> && !std::is_same_v<TI, BFloat16>) {
    return TruncateToBFloat16(ConvertNumber<float>(v));
  } else {
    return ConvertNumber<TO>(v);
  }
}

// ---- string -> number ----

// Parses a decimal or scientific number, "INF", "+INF", "-INF" or "NaN" (any case).
bool ParseDouble(std::string_view s, double& out) {
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.front() == '+' || s.front() == '-') return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (end != s.data() + s.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    // Too large: infinity; too small: zero. from_chars leaves `out` unchanged then.
    out = std::fabs(std::strtod(std::string(s).c_str(), nullptr));
  } else if (ec != std::errc()) {
    return false;
  }
  if (negative) out = -out;
  return true;
}

template <typename T>
Result<T> ParseNumber(const std::string& text) {
  std::string_view s(text);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if constexpr (std::is_same_v<T, bool>) {
    if (EqualsIgnoreCase(s, "true")) return true;
    if (EqualsIgnoreCase(s, "false")) return false;
  }
  if constexpr (std::is_integral_v<T>) {
    // Exact integer syntax first, so that large 64-bit values keep every digit.
    using Wide = std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>;
    std::string_view digits = (!s.empty() && s.front() == '+') ? s.substr(1) : s;
    Wide wide = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), wide);
    if (ec == std::errc() && end == digits.data() + digits.size() && !digits.empty()) {
      return CastNumber<T>(wide);
    }
  }
  double value = 0;
  if (!ParseDouble(s, value)) return Status::InvalidArgument("cannot convert string '" + text + "' to a number");
  return CastNumber<T>(value);
}

// ---- number -> string ----

// Python-style text from the shortest scientific form "[-]d.ddde±XX":
// positional for exponents in [-4, 16) ("0.5", "12.0"), scientific otherwise.
std::string FromScientific(std::string_view sci) {
  std::string sign;
  if (sci.front() == '-') {
    sign = "-";
    sci.remove_prefix(1);
  }
  const size_t e_pos = sci.find('e');
  std::string_view exp_text = sci.substr(e_pos + 1);
  if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
  int exponent = 0;
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  if (exponent < -4 || exponent >= 16) return sign + std::string(sci);

  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits += c;
  }
  const int n = static_cast<int>(digits.size());
  if (exponent < 0) return sign + "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  if (exponent >= n - 1) return sign + digits + std::string(static_cast<size_t>(exponent - (n - 1)), '0') + ".0";
  const size_t point = static_cast<size_t>(exponent) + 1;
  return sign + digits.substr(0, point) + "." + digits.substr(point);
}

template <typename T>
std::string FormatNumber(T v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "1" : "0";
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(v);
  } else {
    using C = ComputeType<T>;
    const C c = static_cast<C>(v);
    if (std::isnan(c)) return "NaN";
    if (std::isinf(c)) return c > 0 ? "INF" : "-INF";
    char buf[64];
    if constexpr (std::is_same_v<T, C>) {
      // Shortest text that reads back as the same value.
      auto res = std::to_chars(buf, buf + sizeof buf, c, std::chars_format::scientific);
      return FromScientific(std::string_view(buf, static_cast<size_t>(res.ptr - buf)));
    } else {
      // 16-bit floats: the fewest digits that read back as the same 16-bit value.
      for (int precision = 0;; ++precision) {
        auto res = std::to_chars(buf, buf + sizeof buf, c, std::chars_format::scientific, precision);
        std::string_view text(buf, static_cast<size_t>(res.ptr - buf));
        float back = 0;
        std::from_chars(text.data(), text.data() + text.size(), back);
        if (T(back).bits == v.bits || precision >= std::numeric_limits<float>::max_digits10) {
          return FromScientific(text);
        }
      }
    }
  }
}

// ---- tensor conversion ----

Status CastTensor(const Tensor& in, Tensor& out) {
  const int64_t n = in.num_elements();
  if (in.dtype() == DataType::kString) {
    const std::string* src = in.data<std::string>();
    return DispatchType<NumericAndBoolTypes>(out.dtype(), [&](auto tag) -> Status {
      using TO = typename decltype(tag)::type;
      TO* dst = out.data<TO>();
      for (int64_t i = 0; i < n; ++i) {
        KILN_ASSIGN_OR_RETURN(dst[i], ParseNumber<TO>(src[i]));
      }
      return Status::Ok();
    });
  }
  if (out.dtype() == DataType::kString) {
    return DispatchType<NumericAndBoolTypes>(in.dtype(), [&](auto tag) {
      using TI = typename decltype(tag)::type;
      MapElements<TI, std::string>(in, out, [](TI v) { return FormatNumber(v); });
    });
  }
  return DispatchType<NumericAndBoolTypes>(in.dtype(), [&](auto in_tag) {
    using TI = typename decltype(in_tag)::type;
    return DispatchType<NumericAndBoolTypes>(out.dtype(), [&](auto out_tag) {
      using TO = typename decltype(out_tag)::type;
      MapElements<TI, TO>(in, out, [](TI v) { return CastNumber<TO>(v); });
    });
  });
}

// Cast (fixed target type) or CastLike (target type of input 1).
class CastKernel final : public OpKernel {
 public:
  explicit CastKernel(DataType to) : to_(to) {}

  Status Compute(KernelContext& ctx) const override {
    KILN_RETURN_IF_ERROR(ctx.RequireTensor(0));
    DataType to = to_;
    if (to == DataType::kUndefined) {  // CastLike
      KILN_RETURN_IF_ERROR(ctx.RequireTensor(1));
      to = ctx.input(1).dtype();
    }
    const Tensor x = ctx.input(0);
    if (x.dtype() == to) {
      ctx.SetOutput(0, x);
      return Status::Ok();
    }
    Tensor& y = ctx.AllocateOutput(0, to, x.shape());
    return CastTensor(x, y);
  }

 private:
  DataType to_;  // kUndefined: take the type of input 1
};

}  // namespace

Result<std::unique_ptr<OpKernel>> MakeCast(const KernelInit& init) {
  const ir::Attribute* attr = init.node.FindAttribute("to");
  if (attr == nullptr) return Status::InvalidArgument("missing attribute to");
  DataType to;
  if (attr->type == ir::Attribute::Type::kString) {
    KILN_ASSIGN_OR_RETURN(to, DataTypeFromName(attr->s));
  } else {
    if (!IsKnownDataType(static_cast<int32_t>(attr->i))) {
      return Status::InvalidArgument("attribute to has unknown data type " + std::to_string(attr->i));
    }
    to = static_cast<DataType>(attr->i);
  }
  if (to == DataType::kComplex64 || to == DataType::kComplex128) {
    return Status::Unimplemented("Cast to " + std::string(DataTypeName(to)) + " is not supported");
  }
  return std::unique_ptr<OpKernel>(new CastKernel(to));
}

Result<std::unique_ptr<OpKernel>> MakeCastLike(const KernelInit&) {
  return std::unique_ptr<OpKernel>(new CastKernel(DataType::kUndefined));
}

}  // namespace kiln::cpu
