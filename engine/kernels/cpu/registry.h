// KernelRegistry: which operator implementations Kiln has, keyed by
// (domain, op_type, opset range), as a plain constant table.
//
// To add an operator: write its kernel in one file under kernels/cpu/ with a
// factory `Result<std::unique_ptr<OpKernel>> MakeFoo(const KernelInit&)`,
// and add one line to kernels/cpu/kernel_table.inc.
#pragma once

#include <string>
#include <vector>

#include "engine/runtime/op_kernel.h"

namespace kiln {

struct KernelEntry {
  const char* domain;    // "" = ai.onnx
  const char* op_type;
  int since_version;     // first opset this entry serves
  int until_version;     // last opset this entry serves (inclusive)
  KernelFactory factory;
};

class KernelRegistry {
 public:
  // The CPU kernels compiled into Kiln. Immutable.
  static const KernelRegistry& Cpu();

  // The entry serving op_type at `opset` of `domain`, or nullptr.
  const KernelEntry* Find(const std::string& domain, const std::string& op_type, int64_t opset) const;
  const std::vector<KernelEntry>& entries() const { return entries_; }

  explicit KernelRegistry(std::vector<KernelEntry> entries) : entries_(std::move(entries)) {}

 private:
  std::vector<KernelEntry> entries_;
};

}  // namespace kiln
