// How kiln's idle OpenMP threads wait. oneDNN (Debian's build) runs on
// libgomp, whose workers by default spin for GOMP_SPINCOUNT (300000 pause
// loops, milliseconds on current CPUs) after every parallel region before
// they sleep: between two oneDNN calls they burn cores that Kiln's own
// thread pool, other sessions or other processes need. libgomp reads its
// settings once, when it is loaded, so they cannot be changed from main().
//
// ApplyOpenMpWaitPolicy: unless the user set OMP_WAIT_POLICY or
// GOMP_SPINCOUNT, sets OMP_WAIT_POLICY=PASSIVE (workers sleep at once) and
// re-executes this program (/proc/self/exe, same arguments) so libgomp
// sees it. Returns when nothing needed doing or the exec failed (kiln then
// runs with libgomp's defaults). Call first thing in main, before threads
// exist. See docs/engine.md, "Threads".
#pragma once

namespace kiln::tools {

void ApplyOpenMpWaitPolicy(char** argv);

}  // namespace kiln::tools
