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
// session measures both ways.
//
// How: per input-shape signature, a smoothed run time for each mode. Runs
// use the faster mode, which is measured on every run: when a busy core
// slows all-thread runs down, their estimate rises past the one-thread one
// at once. The other mode is measured again now and then:
//   - on one thread, all threads are tried 16 runs after the switch, then
//     twice as many runs later each time they lose again (up to 1024), and
//     at least every 2 s, so that a core that frees up is noticed soon;
//   - on all threads, one thread is tried only every 1024 runs and at least
//     every 30 s (its time hardly depends on the other cores; a slow look
//     would show in the tail latency);
//   - a look that beat the chosen mode is repeated on the next run, since
//     the estimate it updates may be stale.
// The first run of each mode is not counted: it creates that mode's oneDNN
// primitives.
//
// Thread-safe: concurrent runs of one Session share it.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <unordered_map>

#include "engine/planner/shape_signature.h"

namespace kiln {

class ThreadCountChooser {
 public:
  enum class Mode { kAllThreads = 0, kOneThread = 1 };
  using Clock = std::chrono::steady_clock;

  // Re-measuring the other mode (see above).
  static constexpr int kFirstExploreRuns = 16;
  static constexpr int kMaxExploreRuns = 1024;
  static constexpr Clock::duration kMaxAllThreadsExploreInterval = std::chrono::seconds(2);
  static constexpr Clock::duration kMaxOneThreadExploreInterval = std::chrono::seconds(30);
  // Signatures tracked at once (a server seeing many shapes forgets some).
  static constexpr size_t kMaxSignatures = 64;

  // The mode for the next run of `signature`, at time `now`.
  Mode Choose(const planner::ShapeSignature& signature, Clock::time_point now);
  // A run of `signature` in `mode` took `micros`.
  void Record(const planner::ShapeSignature& signature, Mode mode, double micros);

 private:
  struct Estimate {
    int runs = 0;        // measured runs, the uncounted first included
    double micros = 0;   // smoothed run time, once runs >= 2
  };
  struct State {
    Estimate estimates[2];
    Mode best = Mode::kAllThreads;
    int runs_since_explore = 0;
    int explore_every = kMaxExploreRuns;  // runs between looks at the other mode
    Clock::time_point last_explore{};
  };

  std::mutex mutex_;
  std::unordered_map<planner::ShapeSignature, State, planner::ShapeSignatureHash> states_;  // guarded by mutex_
};

}  // namespace kiln
