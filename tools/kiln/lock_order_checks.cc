#include "tools/kiln/lock_order_checks.h"

#include <absl/synchronization/mutex.h>

namespace kiln::tools {

void DisableLockOrderChecks() { absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore); }

}  // namespace kiln::tools
