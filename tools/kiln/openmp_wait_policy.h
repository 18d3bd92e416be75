// How kiln's idle OpenMP threads wait. oneDNN (Debian's build) runs on
// libgomp, whose workers by default spin for GOMP_SPINCOUNT = 300000 pause
// loops (several milliseconds) after every parallel region before they
// sleep, burning cores that other sessions or processes need. Sleeping at
// once (OMP_WAIT_POLICY=PASSIVE) is no better: waking a sleeping worker
// costs 60-170 µs on virtual machines, paid by every parallel primitive
// (bert_base at 2 threads: 31-34 ms passive, 16.5 ms spinning briefly).
//
// ApplyOpenMpWaitPolicy: unless the user set OMP_WAIT_POLICY or
// GOMP_SPINCOUNT, sets GOMP_SPINCOUNT=kKilnSpinCount (about 0.2 ms on this
// project's CPU, 1 ms on older ones): a worker stays awake between the
// primitives of one run and sleeps soon after the run. On a machine whose
// other cores are busy the Session's ThreadCountChooser falls back to one
// thread, so no worker spins on a contended core. libgomp reads its settings
// once, when it is loaded, so this re-executes the program
// (/proc/self/exe, same arguments). Returns when nothing needed doing or the
// exec failed (kiln then runs with libgomp's defaults). Call first thing in
// main, before threads exist. See docs/engine.md, "Threads".
#pragma once

namespace kiln::tools {

inline constexpr const char* kKilnSpinCount = "20000";

void ApplyOpenMpWaitPolicy(char** argv);

}  // namespace kiln::tools
