#include "tests/support/value_compare.h"

#include <cmath>
#include <sstream>

namespace kiln::testing {

std::string CompareTensors(const Tensor& actual, const Tensor& expected, const Tolerance& tol) {
  if (actual.dtype() != expected.dtype()) {
    return "dtype " + std::string(DataTypeName(actual.dtype())) + " != expected " +
           std::string(DataTypeName(expected.dtype()));
  }
  if (actual.shape() != expected.shape()) {
    return "shape " + ShapeToString(actual.shape()) + " != expected " + ShapeToString(expected.shape());
  }
  const int64_t n = expected.num_elements();
  if (expected.dtype() == DataType::kString) {
    for (int64_t i = 0; i < n; ++i) {
      if (actual.data<std::string>()[i] != expected.data<std::string>()[i]) {
        return "element " + std::to_string(i) + ": '" + actual.data<std::string>()[i] + "' != expected '" +
               expected.data<std::string>()[i] + "'";
      }
    }
    return "";
  }
  const bool is_float = IsFloatingPoint(expected.dtype());
  int64_t mismatches = 0;
  std::string first;
  for (int64_t i = 0; i < n; ++i) {
    bool ok;
    double a, e;
    if (is_float) {
      a = actual.GetDouble(i);
      e = expected.GetDouble(i);
      if (std::isnan(e) || std::isnan(a)) ok = std::isnan(e) && std::isnan(a);
      else if (std::isinf(e) || std::isinf(a)) ok = a == e;
      else ok = std::fabs(a - e) <= tol.atol + tol.rtol * std::fabs(e);
    } else {
      if (expected.dtype() == DataType::kUInt64) {
        ok = actual.data<uint64_t>()[i] == expected.data<uint64_t>()[i];
      } else {
        ok = actual.GetInt(i) == expected.GetInt(i);
      }
      a = static_cast<double>(actual.GetInt(i));
      e = static_cast<double>(expected.GetInt(i));
    }
    if (!ok) {
      if (mismatches++ == 0) {
        std::ostringstream os;
        os.precision(9);
        os << "element " << i << ": " << a << " != expected " << e;
        first = os.str();
      }
    }
  }
  if (mismatches) return first + " (" + std::to_string(mismatches) + " of " + std::to_string(n) + " differ)";
  return "";
}

std::string CompareValues(const Value& actual, const Value& expected, const Tolerance& tol) {
  if (expected.is_none() || actual.is_none()) {
    return expected.is_none() == actual.is_none() ? "" : actual.Describe() + " != expected " + expected.Describe();
  }
  if (expected.is_tensor()) {
    if (!actual.is_tensor()) return actual.Describe() + " != expected " + expected.Describe();
    return CompareTensors(actual.tensor(), expected.tensor(), tol);
  }
  if (!actual.is_sequence()) return actual.Describe() + " != expected " + expected.Describe();
  const auto& a = actual.sequence().items;
  const auto& e = expected.sequence().items;
  if (a.size() != e.size()) {
    return "sequence length " + std::to_string(a.size()) + " != expected " + std::to_string(e.size());
  }
  for (size_t i = 0; i < a.size(); ++i) {
    std::string d = CompareTensors(a[i], e[i], tol);
    if (!d.empty()) return "sequence item " + std::to_string(i) + ": " + d;
  }
  return "";
}

std::string CheckRange(const Tensor& actual, double lo, double hi) {
  for (int64_t i = 0; i < actual.num_elements(); ++i) {
    double v = actual.GetDouble(i);
    if (!(v >= lo && v <= hi)) {
      return "element " + std::to_string(i) + " = " + std::to_string(v) + " is outside [" + std::to_string(lo) +
             ", " + std::to_string(hi) + "]";
    }
  }
  return "";
}

}  // namespace kiln::testing
