#include "engine/kernels/cpu/registry.h"

namespace kiln {

namespace cpu {
// Factory declarations, one per line of the table.
#define KILN_KERNEL(domain, op, since, until, factory) \
  Result<std::unique_ptr<OpKernel>> factory(const KernelInit& init);
#include "engine/kernels/cpu/kernel_table.inc"
#undef KILN_KERNEL
}  // namespace cpu

const KernelRegistry& KernelRegistry::Cpu() {
  static const KernelRegistry registry({
#define KILN_KERNEL(domain, op, since, until, factory) {domain, op, since, until, &cpu::factory},
#include "engine/kernels/cpu/kernel_table.inc"
#undef KILN_KERNEL
  });
  return registry;
}

const KernelEntry* KernelRegistry::Find(const std::string& domain, const std::string& op_type,
                                        int64_t opset) const {
  for (const KernelEntry& e : entries_) {
    if (op_type == e.op_type && domain == e.domain && opset >= e.since_version && opset <= e.until_version) {
      return &e;
    }
  }
  return nullptr;
}

}  // namespace kiln
