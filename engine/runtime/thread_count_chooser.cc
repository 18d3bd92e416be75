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
constexpr double kMaxSampleOverEstimate = 2.0;

}  // namespace

void ThreadCountChooser::Look(State& state, Clock::time_point now, bool warm_up) {
  state.runs_since_look = 0;
  state.last_look = now;
  state.warming_up = warm_up;
}

ThreadCountChooser::Mode ThreadCountChooser::Choose(const planner::ShapeSignature& signature, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = states_.find(signature);
  if (it == states_.end()) {
    if (states_.size() >= kMaxSignatures) states_.erase(states_.begin());
    it = states_.emplace(signature, State{}).first;
    it->second.last_look = now;
  }
  State& state = it->second;
  const Estimate& best = state.estimates[static_cast<int>(state.best)];
  if (best.runs < 2) return state.best;  // its first run is not counted
  if (state.look_next) {
    // The second run of a look, or a repeat of one that beat the chosen mode.
    state.look_next = false;
    Look(state, now, /*warm_up=*/false);
    return Other(state.best);
  }
  ++state.runs_since_look;
  const bool on_all_threads = state.best == Mode::kAllThreads;
  const Clock::duration max_interval = on_all_threads ? kMaxOneThreadLookInterval : kMaxAllThreadsLookInterval;
  const bool slowed_down = on_all_threads && state.runs_since_look >= state.slowdown_look_gap &&
                           best.micros > kSlowdown * state.fastest_all_threads;
  if (slowed_down || state.runs_since_look >= state.look_every || now - state.last_look >= max_interval) {
    Look(state, now, /*warm_up=*/true);
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
  const bool warm_up = estimate.runs == 1 || (mode != state.best && state.warming_up);
  if (mode != state.best) state.warming_up = false;
  if (warm_up) {
    // The first run of a mode creates its primitives, and the first of a
    // look wakes the workers (asleep while on one thread) or refills the
    // caches: not representative. The look takes another run.
    state.look_next = mode != state.best;
    return;
  }
  if (estimate.runs == 2) {
    estimate.micros = micros;
  } else {
    const double sample = std::min(micros, estimate.micros * kMaxSampleOverEstimate);
    estimate.micros += kSmoothing * (sample - estimate.micros);
  }
  if (mode == Mode::kAllThreads) state.fastest_all_threads = std::min(state.fastest_all_threads, micros);

  Estimate& best = state.estimates[static_cast<int>(state.best)];
  const Estimate& other = state.estimates[static_cast<int>(Other(state.best))];
  if (best.runs < 2 || other.runs < 2) return;
  if (other.micros < best.micros * kSwitchMargin) {
    state.best = Other(state.best);
    state.look_every = state.best == Mode::kOneThread ? kFirstAllThreadsLookRuns : kFirstOneThreadLookRuns;
    state.slowdown_look_gap = kFirstSlowdownLookGap;
    state.runs_since_look = 0;
    return;
  }
  if (mode == state.best) return;
  if (micros < best.micros * kSwitchMargin) {
    state.look_next = true;  // beat the chosen mode: its estimate may be stale
    return;
  }
  // The look lost: look less often, and take a slowed-down all-thread time
  // as the new normal so that it does not trigger look after look (short
  // runs are noisy: their smoothed time often strays 25% from the fastest).
  state.look_every = std::min(state.look_every * 2, kMaxLookRuns);
  if (state.best == Mode::kAllThreads) {
    state.fastest_all_threads = std::max(state.fastest_all_threads, best.micros / kSlowdown);
    state.slowdown_look_gap = std::min(state.slowdown_look_gap * 2, kMaxLookRuns);
  }
}

}  // namespace kiln
