// Abseil's mutex deadlock detection, which gRPC's locks go through. Debian
// builds Abseil without NDEBUG, so the detection is on: every acquisition of
// an absl::Mutex updates a global lock-order graph (GraphCycles, behind its
// own lock). In `kiln serve` and `kiln perf` that showed as several percent
// of a gRPC request's CPU. Kiln's own code does not use absl::Mutex.
//
// DisableLockOrderChecks: turns the detection off for this process (what a
// release build of Abseil does by default). Call first thing in main,
// before any thread takes an absl::Mutex.
#pragma once

namespace kiln::server {

void DisableLockOrderChecks();

}  // namespace kiln::server
