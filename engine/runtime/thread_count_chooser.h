// ThreadCountChooser: decides, run by run, whether a multi-threaded Session
// runs on all its threads or on the calling thread alone, from the run
// times it measured for the same input shapes.
//
// Why: a second thread pays only while its core is free. When another
// process keeps that core busy, the OS deschedules Kiln's helper and the
// caller waits for it at the end of every parallel primitive: a 2-thread run
// can then take several times as long as a 1-thread one (mobilenet_v2 on
// this project's VM: 19 ms against 6.7). Small models may also simply run
// faster on one thread. No fixed rule knows the machine's load, so the
// session measures.
//
// How, per input-shape signature:
//   - Runs use all threads until one thread has measured faster. The chosen
//     mode is timed on every run (smoothed), and so is the fastest
//     all-thread run seen.
//   - One thread is tried when all-thread runs have slowed down (smoothed
//     time 25% over the fastest: a core got busy; at most every 8 runs,
//     twice as many after each such look that lost), else rarely: 64 runs in,
//     then twice as many runs later each time it loses (up to 1024), and at
//     least every 30 s.
//   - On one thread, all threads are tried 16 runs after the switch, twice
//     as many runs later each time they lose (up to 1024), and at least
//     every 2 s, so a core that frees up is noticed soon.
//   - A look takes two runs and counts the second: the first creates that
//     mode's oneDNN primitives (the first time), wakes the workers (asleep
//     while runs were on one thread: 60-170 µs on a VM, more than a small
//     model's whole run) or refills caches.
//   - A look that beat the chosen mode is repeated on the next run, since
//     the estimate it updates may be stale; the other mode takes over once
//     its smoothed time is 3% below the chosen one's.
// A benchmark on an idle machine thus runs on all threads from the first
// run, with a look at one thread only after dozens of runs.
//
// Thread-safe: concurrent runs of one Session share it.
#pragma once

#include <chrono>
#include <cstddef>
#include <limits>
#include <mutex>
#include <unordered_map>

#include "engine/planner/shape_signature.h"

namespace kiln {

class ThreadCountChooser {
 public:
  enum class Mode { kAllThreads = 0, kOneThread = 1 };
  using Clock = std::chrono::steady_clock;

  // When the mode not chosen is looked at again (see above).
  static constexpr int kFirstOneThreadLookRuns = 64;
  static constexpr int kFirstAllThreadsLookRuns = 16;
  static constexpr int kMaxLookRuns = 1024;
  static constexpr Clock::duration kMaxOneThreadLookInterval = std::chrono::seconds(30);
  static constexpr Clock::duration kMaxAllThreadsLookInterval = std::chrono::seconds(2);
  // All-thread runs this much slower than their fastest suggest a busy core.
  static constexpr double kSlowdown = 1.25;
  // Runs between two looks triggered by a slowdown: doubles each time such a
  // look loses (up to kMaxLookRuns), back to this after a switch.
  static constexpr int kFirstSlowdownLookGap = 8;
  // Signatures tracked at once (a server seeing many shapes forgets some).
  static constexpr size_t kMaxSignatures = 64;

  // The mode for the next run of `signature`, at time `now`.
  Mode Choose(const planner::ShapeSignature& signature, Clock::time_point now);
  // A run of `signature` in `mode` took `micros`.
  void Record(const planner::ShapeSignature& signature, Mode mode, double micros);

 private:
  struct Estimate {
    int runs = 0;       // runs measured, the uncounted first included
    double micros = 0;  // smoothed run time, once runs >= 2
  };
  struct State {
    Estimate estimates[2];
    double fastest_all_threads = std::numeric_limits<double>::infinity();
    Mode best = Mode::kAllThreads;
    int runs_since_look = 0;
    int look_every = kFirstOneThreadLookRuns;  // runs between looks at the other mode
    int slowdown_look_gap = kFirstSlowdownLookGap;
    bool look_next = false;                    // look at the other mode on the next run
    bool warming_up = false;                   // the next run of the other mode starts a look
    Clock::time_point last_look{};
  };

  // Marks a run of the other mode at `now`: a new look (warm_up: its first,
  // uncounted run) or the counted run that follows.
  void Look(State& state, Clock::time_point now, bool warm_up);

  std::mutex mutex_;
  std::unordered_map<planner::ShapeSignature, State, planner::ShapeSignatureHash> states_;  // guarded by mutex_
};

}  // namespace kiln
