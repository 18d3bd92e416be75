#include "engine/runtime/thread_count_chooser.h"

#include <algorithm>

namespace kiln {
namespace {

using Mode = ThreadCountChooser::Mode;

Mode Other(Mode mode) { return mode == Mode::kAllThreads ? Mode::kOneThread : Mode::kAllThreads; }

// The other mode must be this much faster to take over (noise between two
// nearly equal modes should not flip runs back and forth).
constexpr double kSwitchMargin = 0.97;
// Weight of a new run time in the smoothed estimate, and the most a single
// run may count for against it (one stall should not decide alone).
constexpr double kSmoothing = 0.25;
constexpr double kMaxSampleOverEstimate = 4.0;

}  // namespace

ThreadCountChooser::Mode ThreadCountChooser::Choose(const planner::ShapeSignature& signature, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = states_.find(signature);
  if (it == states_.end()) {
    if (states_.size() >= kMaxSignatures) states_.erase(states_.begin());
    it = states_.emplace(signature, State{}).first;
    it->second.last_explore = now;
  }
  State& state = it->second;
  // Two runs of each mode first: the first creates its primitives.
  for (Mode mode : {Mode::kAllThreads, Mode::kOneThread}) {
    if (state.estimates[static_cast<int>(mode)].runs < 2) return mode;
  }
  ++state.runs_since_explore;
  const Clock::duration max_interval =
      state.best == Mode::kOneThread ? kMaxAllThreadsExploreInterval : kMaxOneThreadExploreInterval;
  if (state.runs_since_explore >= state.explore_every || now - state.last_explore >= max_interval) {
    state.runs_since_explore = 0;
    state.last_explore = now;
    return Other(state.best);
  }
  return state.best;
}

void ThreadCountChooser::Record(const planner::ShapeSignature& signature, Mode mode, double micros) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = states_.find(signature);
  if (it == states_.end()) return;  // forgotten meanwhile
  State& state = it->second;
  Estimate& estimate = state.estimates[static_cast<int>(mode)];
  ++estimate.runs;
  if (estimate.runs == 1) return;  // created the primitives: not representative
  if (estimate.runs == 2) {
    estimate.micros = micros;
  } else {
    const double sample = std::min(micros, estimate.micros * kMaxSampleOverEstimate);
    estimate.micros += kSmoothing * (sample - estimate.micros);
  }
  const Estimate& best = state.estimates[static_cast<int>(state.best)];
  const Estimate& other = state.estimates[static_cast<int>(Other(state.best))];
  if (best.runs < 2 || other.runs < 2) return;
  if (other.micros < best.micros * kSwitchMargin) {
    // Switch. From all threads to one: look back soon (the core may free up).
    state.best = Other(state.best);
    state.explore_every = state.best == Mode::kOneThread ? kFirstExploreRuns : kMaxExploreRuns;
    state.runs_since_explore = 0;
  } else if (mode != state.best) {
    // A look at the other mode. Its estimate may be stale (say from while a
    // core was busy): when this run beat the chosen mode, look again at
    // once until the estimate settles; when it lost, look less often.
    state.explore_every =
        micros < best.micros * kSwitchMargin ? 1 : std::min(state.explore_every * 2, kMaxExploreRuns);
  }
}

}  // namespace kiln
