#include "engine/quantization/accuracy_report.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "engine/runtime/session.h"

namespace kiln::quantization {
namespace {

struct Accumulator {
  double max_abs = 0, sum_abs = 0, dot = 0, ref_norm = 0, cand_norm = 0;
  int64_t elements = 0, rows = 0, agreeing_rows = 0;
  bool classification = false;
};

Result<std::vector<double>> AsDoubles(const Tensor& t) {
  std::vector<double> out(static_cast<size_t>(t.num_elements()));
  for (int64_t i = 0; i < t.num_elements(); ++i) out[static_cast<size_t>(i)] = t.GetDouble(i);
  return out;
}

Status Accumulate(const std::string& name, const Value& ref_value, const Value& cand_value, Accumulator& acc) {
  if (!ref_value.is_tensor() || !cand_value.is_tensor()) return Status::Ok();  // sequences etc.: not compared
  const Tensor& ref = ref_value.tensor();
  const Tensor& cand = cand_value.tensor();
  if (ref.shape() != cand.shape()) {
    return Status::InvalidArgument("output '" + name + "' has shape " + ShapeToString(cand.shape()) +
                                   " but the reference has " + ShapeToString(ref.shape()));
  }
  if (!IsFloatingPoint(ref.dtype()) && !IsInteger(ref.dtype())) return Status::Ok();
  KILN_ASSIGN_OR_RETURN(std::vector<double> r, AsDoubles(ref));
  KILN_ASSIGN_OR_RETURN(std::vector<double> c, AsDoubles(cand));
  for (size_t i = 0; i < r.size(); ++i) {
    double e = std::fabs(r[i] - c[i]);
    acc.max_abs = std::max(acc.max_abs, e);
    acc.sum_abs += e;
    acc.dot += r[i] * c[i];
    acc.ref_norm += r[i] * r[i];
    acc.cand_norm += c[i] * c[i];
  }
  acc.elements += static_cast<int64_t>(r.size());
  const int64_t classes = ref.rank() >= 1 ? ref.dim(ref.rank() - 1) : 0;
  if (IsFloatingPoint(ref.dtype()) && classes >= 2) {
    acc.classification = true;
    for (int64_t row = 0; row * classes < static_cast<int64_t>(r.size()); ++row) {
      auto rb = r.begin() + row * classes, cb = c.begin() + row * classes;
      acc.agreeing_rows += (std::max_element(rb, rb + classes) - rb) == (std::max_element(cb, cb + classes) - cb);
      ++acc.rows;
    }
  }
  return Status::Ok();
}

}  // namespace

Result<AccuracyReport> CompareSessions(const Session& reference, const Session& candidate,
                                       const std::vector<InputSet>& sets, const std::function<void(int, int)>& progress) {
  const auto& names = reference.outputs();
  if (candidate.outputs().size() != names.size()) {
    return Status::InvalidArgument("the two models have different numbers of outputs");
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (candidate.outputs()[i].name != names[i].name) {
      return Status::InvalidArgument("output " + std::to_string(i) + " is '" + candidate.outputs()[i].name +
                                     "' but the reference's is '" + names[i].name + "'");
    }
  }
  std::vector<Accumulator> acc(names.size());
  int done = 0;
  for (const InputSet& set : sets) {
    KILN_ASSIGN_OR_RETURN(std::vector<Value> ref, reference.Run(set));
    KILN_ASSIGN_OR_RETURN(std::vector<Value> cand, candidate.Run(set));
    for (size_t i = 0; i < names.size(); ++i) KILN_RETURN_IF_ERROR(Accumulate(names[i].name, ref[i], cand[i], acc[i]));
    if (progress) progress(++done, static_cast<int>(sets.size()));
  }
  AccuracyReport report;
  report.input_sets = static_cast<int>(sets.size());
  for (size_t i = 0; i < names.size(); ++i) {
    const Accumulator& a = acc[i];
    OutputAccuracy o;
    o.name = names[i].name;
    o.elements = a.elements;
    o.max_abs_error = a.max_abs;
    o.mean_abs_error = a.elements ? a.sum_abs / static_cast<double>(a.elements) : 0;
    double norms = std::sqrt(a.ref_norm) * std::sqrt(a.cand_norm);
    o.cosine_similarity = norms > 0 ? a.dot / norms : (a.ref_norm == a.cand_norm ? 1.0 : 0.0);
    if (a.classification && a.rows > 0) o.top1_agreement = static_cast<double>(a.agreeing_rows) / static_cast<double>(a.rows);
    report.outputs.push_back(o);
  }
  return report;
}

std::string FormatAccuracyReport(const AccuracyReport& report) {
  std::ostringstream out;
  out << "accuracy vs the float model on " << report.input_sets << " input set" << (report.input_sets == 1 ? "" : "s")
      << ":\n";
  size_t width = 6;
  for (const auto& o : report.outputs) width = std::max(width, o.name.size());
  out << "  " << std::left << std::setw(static_cast<int>(width)) << "output" << std::right << "  " << std::setw(12)
      << "max abs err" << "  " << std::setw(12) << "mean abs err" << "  " << std::setw(10) << "cosine" << "  "
      << std::setw(11) << "top-1 agree" << "\n";
  for (const auto& o : report.outputs) {
    out << "  " << std::left << std::setw(static_cast<int>(width)) << o.name << std::right << "  " << std::setw(12)
        << std::setprecision(4) << std::scientific << o.max_abs_error << "  " << std::setw(12) << o.mean_abs_error
        << "  " << std::setw(10) << std::fixed << std::setprecision(6) << o.cosine_similarity << "  " << std::setw(11);
    if (o.top1_agreement >= 0) {
      std::ostringstream pct;
      pct << std::fixed << std::setprecision(2) << 100.0 * o.top1_agreement << "%";
      out << pct.str();
    } else {
      out << "-";
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace kiln::quantization
