#include "tools/kiln/openmp_wait_policy.h"

#include <unistd.h>

#include <cstdlib>

namespace kiln::tools {

void ApplyOpenMpWaitPolicy(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  // Setting the variable first also ends the recursion: the new image sees it.
  if (setenv("GOMP_SPINCOUNT", kKilnSpinCount, 1) != 0) return;
  execv("/proc/self/exe", argv);
  // exec failed (no /proc?): keep running with libgomp's defaults.
}

}  // namespace kiln::tools
