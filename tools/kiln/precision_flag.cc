// --precision for `kiln run` and `kiln bench`, and the accuracy report that a
// reduced-precision run prints against float32 on the same inputs.
#include <CLI/CLI.hpp>

#include <ostream>

#include "engine/quantization/accuracy_report.h"
#include "engine/runtime/session.h"
#include "tools/kiln/commands.h"

namespace kiln::tools {

void AddPrecisionFlag(CLI::App& cmd, std::string& precision) {
  cmd.add_option("--precision", precision,
                 "fp32, or bf16: Conv/MatMul/Gemm in bfloat16 via oneDNN (CPUs with AVX-512 BF16), "
                 "with an accuracy report against fp32")
      ->check(CLI::IsMember({"fp32", "bf16"}))
      ->capture_default_str();
}

Precision ToPrecision(const std::string& precision) {
  return precision == "bf16" ? Precision::kBFloat16 : Precision::kFloat32;
}

Status PrintPrecisionReport(const std::string& model, SessionOptions options, const Session& reduced,
                            const std::map<std::string, Value>& feeds, std::ostream& out) {
  options.precision = Precision::kFloat32;
  KILN_ASSIGN_OR_RETURN(auto reference, Session::Create(model, options));
  KILN_ASSIGN_OR_RETURN(quantization::AccuracyReport report,
                        quantization::CompareSessions(*reference, reduced, {feeds}));
  out << "bf16 " << quantization::FormatAccuracyReport(report);
  return Status::Ok();
}

}  // namespace kiln::tools
