#include "server/core/lock_order_checks.h"

#include <absl/synchronization/mutex.h>

namespace kiln::server {

void DisableLockOrderChecks() { absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore); }

}  // namespace kiln::server
