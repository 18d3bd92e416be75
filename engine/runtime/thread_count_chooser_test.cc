#include "engine/runtime/thread_count_chooser.h"

#include <gtest/gtest.h>

#include <functional>

namespace kiln {
namespace {

using Mode = ThreadCountChooser::Mode;
using Clock = ThreadCountChooser::Clock;
using planner::ShapeSignature;

ShapeSignature Sig(int64_t batch) { return ShapeSignature::Of({Value(Tensor::Allocate(DataType::kFloat, {batch, 3}))}); }

// Drives a chooser as a Session does, with run times given by `micros` and a
// clock that advances by each run's time.
class Driver {
 public:
  explicit Driver(std::function<double(Mode)> micros) : micros_(std::move(micros)) {}

  Mode RunOnce(const ShapeSignature& sig) {
    const Mode mode = chooser_.Choose(sig, now_);
    const double took = micros_(mode);
    now_ += std::chrono::microseconds(static_cast<int64_t>(took));
    chooser_.Record(sig, mode, took);
    return mode;
  }
  // Runs `n` times; returns how many of them ran on one thread.
  int Run(int n, const ShapeSignature& sig = Sig(1)) {
    int one = 0;
    for (int i = 0; i < n; ++i) one += RunOnce(sig) == Mode::kOneThread ? 1 : 0;
    return one;
  }
  void set_micros(std::function<double(Mode)> micros) { micros_ = std::move(micros); }
  void Advance(Clock::duration d) { now_ += d; }

 private:
  ThreadCountChooser chooser_;
  std::function<double(Mode)> micros_;
  Clock::time_point now_{};
};

double AllThreadsFaster(Mode mode) { return mode == Mode::kAllThreads ? 100 : 180; }
double OneThreadFaster(Mode mode) { return mode == Mode::kAllThreads ? 300 : 180; }
// Runs until the first run on one thread; returns how many runs that took.
int RunsUntilOneThread(Driver& driver, int limit = 10000) {
  for (int run = 1; run <= limit; ++run) {
    if (driver.RunOnce(Sig(1)) == Mode::kOneThread) return run;
  }
  return limit + 1;
}

TEST(ThreadCountChooser, StartsOnAllThreadsAndLooksAtOneThreadOnlyAfterDozensOfRuns) {
  Driver driver(AllThreadsFaster);
  const int first_look = RunsUntilOneThread(driver);
  EXPECT_GT(first_look, ThreadCountChooser::kFirstOneThreadLookRuns);
  EXPECT_LE(first_look, ThreadCountChooser::kFirstOneThreadLookRuns + 2);
  // The first run of a look warms up (here: creates the 1-thread
  // primitives); the look counts a second one.
  EXPECT_EQ(driver.RunOnce(Sig(1)), Mode::kOneThread);
  // It lost: the next look, again two runs, comes twice as many runs later.
  EXPECT_EQ(driver.Run(2 * ThreadCountChooser::kFirstOneThreadLookRuns - 1), 0);
  EXPECT_EQ(driver.Run(3), 2);
}

TEST(ThreadCountChooser, TheWarmUpRunOfALookIsNotCounted) {
  // On one thread for a while, the workers sleep: the first all-thread run
  // of a look pays their wake-up and is slow; it must not hide that all
  // threads are faster again.
  bool busy = true;
  bool asleep = false;
  Driver driver([&](Mode mode) {
    if (mode == Mode::kOneThread) {
      asleep = true;
      return 180.0;
    }
    const double wake = asleep ? 400.0 : 0.0;
    asleep = false;
    return (busy ? 300.0 : 100.0) + wake;
  });
  driver.Run(300);  // busy: on one thread
  EXPECT_GE(driver.Run(100), 90);
  busy = false;     // the core frees up
  driver.Run(300);
  EXPECT_LE(driver.Run(100), 3);
}

TEST(ThreadCountChooser, SwitchesToOneThreadWhenThatIsFaster) {
  Driver driver(OneThreadFaster);
  driver.Run(ThreadCountChooser::kFirstOneThreadLookRuns + 2);
  const int one = driver.Run(200);
  EXPECT_GE(one, 190);
  EXPECT_LT(one, 200);  // all threads are looked at again now and then
}

TEST(ThreadCountChooser, TheFirstRunOfAModeIsNotCounted) {
  // The first run builds the primitives and is slow; it must not decide.
  int run = 0;
  Driver driver([&](Mode mode) {
    ++run;
    if (run == 1) return 50000.0;  // all threads, creating their primitives
    return OneThreadFaster(mode);
  });
  driver.Run(ThreadCountChooser::kFirstOneThreadLookRuns + 2);
  EXPECT_GE(driver.Run(50), 45);
}

TEST(ThreadCountChooser, FallsBackWhenACoreGetsBusyAndReturnsWhenItFrees) {
  Driver driver(AllThreadsFaster);
  driver.Run(500);
  // Another process takes the second core: all-thread runs become 3x slower.
  driver.set_micros([](Mode mode) { return mode == Mode::kAllThreads ? 300.0 : 180.0; });
  int runs = 0;
  int on_one = 0;
  while (on_one < 3 && runs < 1000) {
    ++runs;
    if (driver.RunOnce(Sig(1)) == Mode::kOneThread) ++on_one;
  }
  EXPECT_LE(runs, 16);
  EXPECT_GE(driver.Run(100), 90);
  // The core frees up: the next look at all threads finds them faster and
  // looks again until the stale estimate has come down.
  driver.set_micros(AllThreadsFaster);
  runs = 0;
  int on_all = 0;
  while (on_all < 8 && runs < 1000) {
    ++runs;
    if (driver.RunOnce(Sig(1)) == Mode::kAllThreads) ++on_all;
  }
  EXPECT_LE(runs, 140);  // within the 64- or 128-run interval it had reached
  EXPECT_LE(driver.Run(100), 3);
}

TEST(ThreadCountChooser, BusyFromTheStartIsFoundByTheSlowdownOrTheRegularLook) {
  // All-thread runs vary wildly on a contended core: their smoothed time
  // exceeds the fastest one by far, which triggers a look.
  int run = 0;
  Driver driver([&](Mode mode) {
    if (mode == Mode::kOneThread) return 180.0;
    return (++run % 3 == 0) ? 150.0 : 400.0;
  });
  driver.Run(40);
  EXPECT_GE(driver.Run(100), 80);
}

TEST(ThreadCountChooser, ASteadyAllThreadTimeDoesNotTriggerLookAfterLook) {
  // One early lucky run must not make every later run look "slowed down".
  int run = 0;
  Driver driver([&](Mode mode) {
    if (mode == Mode::kOneThread) return 500.0;
    return ++run == 3 ? 50.0 : 100.0;
  });
  driver.Run(200);
  EXPECT_LE(driver.Run(1000), 12);
}

TEST(ThreadCountChooser, LooksLessOftenWhileTheOtherModeKeepsLosing) {
  Driver driver(OneThreadFaster);
  driver.Run(ThreadCountChooser::kFirstOneThreadLookRuns + 2);
  // On one thread, all threads are looked at after 16, 32, 64, 128... runs.
  const int early = 200 - driver.Run(200);
  driver.Run(4000);
  const int late = 2000 - driver.Run(2000);  // 0.36 s: no time-based look
  EXPECT_GE(early, 6);  // three or more looks of two runs
  EXPECT_LE(late, 6);
}

TEST(ThreadCountChooser, LooksAtTheOtherModeAtLeastEverySoManySeconds) {
  Driver on_one(OneThreadFaster);
  on_one.Run(3000);  // on one thread; the interval has grown to its maximum
  on_one.Advance(ThreadCountChooser::kMaxAllThreadsLookInterval);
  EXPECT_EQ(on_one.RunOnce(Sig(1)), Mode::kAllThreads);

  Driver on_all(AllThreadsFaster);
  on_all.Run(3000);
  on_all.Advance(ThreadCountChooser::kMaxAllThreadsLookInterval);
  EXPECT_EQ(on_all.RunOnce(Sig(1)), Mode::kAllThreads);  // one thread is looked at more rarely
  on_all.Advance(ThreadCountChooser::kMaxOneThreadLookInterval);
  EXPECT_EQ(on_all.RunOnce(Sig(1)), Mode::kOneThread);
}

TEST(ThreadCountChooser, ShapesAreJudgedSeparately) {
  // Batch 1 is faster on one thread, batch 8 on all of them.
  bool big = false;
  Driver driver([&](Mode mode) { return big ? AllThreadsFaster(mode) : OneThreadFaster(mode); });
  driver.Run(100, Sig(1));
  big = true;
  driver.Run(100, Sig(8));
  big = false;
  EXPECT_GE(driver.Run(50, Sig(1)), 45);
  big = true;
  EXPECT_LE(driver.Run(50, Sig(8)), 2);
}

TEST(ThreadCountChooser, NearlyEqualModesDoNotFlipOnNoise) {
  // One thread 1% faster on average, with ±2% noise: no switching back and forth.
  int run = 0;
  Driver driver([&](Mode mode) {
    const double noise = (++run % 2 == 0) ? 2.0 : -2.0;
    return (mode == Mode::kAllThreads ? 100.0 : 99.0) + noise;
  });
  driver.Run(100);
  const int one = driver.Run(300);
  EXPECT_TRUE(one < 15 || one > 285) << one;
}

}  // namespace
}  // namespace kiln
