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

TEST(ThreadCountChooser, MeasuresEachModeTwiceThenKeepsTheFaster) {
  Driver driver(AllThreadsFaster);
  const ShapeSignature sig = Sig(1);
  EXPECT_EQ(driver.RunOnce(sig), Mode::kAllThreads);
  EXPECT_EQ(driver.RunOnce(sig), Mode::kAllThreads);
  EXPECT_EQ(driver.RunOnce(sig), Mode::kOneThread);
  EXPECT_EQ(driver.RunOnce(sig), Mode::kOneThread);
  // Then all threads; one thread is looked at again only after many runs.
  EXPECT_EQ(driver.Run(500), 0);
  EXPECT_EQ(driver.Run(ThreadCountChooser::kMaxExploreRuns), 1);
}

TEST(ThreadCountChooser, PrefersOneThreadWhenThatIsFaster) {
  Driver driver(OneThreadFaster);
  driver.Run(4);
  const int one = driver.Run(200);
  EXPECT_GE(one, 195);
  EXPECT_LT(one, 200);  // all threads are looked at again now and then
}

TEST(ThreadCountChooser, TheFirstRunOfAModeIsNotCounted) {
  // The first 1-thread run creates its primitives and is slow; it must not
  // hide that one thread is faster.
  bool first_one = true;
  Driver driver([&](Mode mode) {
    if (mode == Mode::kOneThread && first_one) {
      first_one = false;
      return 50000.0;
    }
    return OneThreadFaster(mode);
  });
  driver.Run(4);
  EXPECT_GE(driver.Run(50), 45);
}

TEST(ThreadCountChooser, FallsBackWhenACoreGetsBusyAndReturnsWhenItFrees) {
  Driver driver(AllThreadsFaster);
  driver.Run(100);
  // Another process takes the second core: all-thread runs become 3x slower.
  driver.set_micros([](Mode mode) { return mode == Mode::kAllThreads ? 300.0 : 180.0; });
  int runs_until_one = 0;
  while (driver.RunOnce(Sig(1)) != Mode::kOneThread && runs_until_one < 100) ++runs_until_one;
  EXPECT_LE(runs_until_one, 5);
  EXPECT_GE(driver.Run(100), 90);
  // The core frees up: the next look at all threads finds them faster and
  // looks again until the stale estimate has come down.
  driver.set_micros(AllThreadsFaster);
  int runs_until_all = 0;
  int looks = 0;
  while (runs_until_all < 1000) {
    ++runs_until_all;
    if (driver.RunOnce(Sig(1)) != Mode::kAllThreads) continue;
    if (++looks == 8) break;
  }
  EXPECT_LE(runs_until_all, 140);  // within the 64- or 128-run interval it had reached
  EXPECT_LE(driver.Run(100), 3);
}

TEST(ThreadCountChooser, LooksLessOftenWhileTheOtherModeKeepsLosing) {
  Driver driver(OneThreadFaster);
  driver.Run(4);
  // On one thread, all threads are looked at after 16, 32, 64, 128... runs.
  const int early = 200 - driver.Run(200);
  driver.Run(4000);
  const int late = 2000 - driver.Run(2000);  // 0.36 s: no time-based look
  EXPECT_GE(early, 3);
  EXPECT_LE(late, 3);
}

TEST(ThreadCountChooser, LooksAtTheOtherModeAtLeastEverySoManySeconds) {
  Driver on_one(OneThreadFaster);
  on_one.Run(4);
  on_one.Run(3000);  // the interval has grown to its maximum
  on_one.Advance(ThreadCountChooser::kMaxAllThreadsExploreInterval);
  EXPECT_EQ(on_one.RunOnce(Sig(1)), Mode::kAllThreads);

  Driver on_all(AllThreadsFaster);
  on_all.Run(4);
  on_all.Advance(ThreadCountChooser::kMaxAllThreadsExploreInterval);
  EXPECT_EQ(on_all.RunOnce(Sig(1)), Mode::kAllThreads);  // one thread is looked at more rarely
  on_all.Advance(ThreadCountChooser::kMaxOneThreadExploreInterval);
  EXPECT_EQ(on_all.RunOnce(Sig(1)), Mode::kOneThread);
}

TEST(ThreadCountChooser, ShapesAreJudgedSeparately) {
  // Batch 1 is faster on one thread, batch 8 on all of them.
  Driver driver([](Mode) { return 0.0; });
  bool big = false;
  driver.set_micros([&](Mode mode) { return big ? AllThreadsFaster(mode) : OneThreadFaster(mode); });
  driver.Run(4, Sig(1));
  big = true;
  driver.Run(4, Sig(8));
  big = false;
  EXPECT_GE(driver.Run(50, Sig(1)), 45);
  big = true;
  EXPECT_LE(driver.Run(50, Sig(8)), 5);
}

TEST(ThreadCountChooser, NearlyEqualModesDoNotFlipOnNoise) {
  // One thread 1% faster on average, with ±2% noise: no switching back and forth.
  int run = 0;
  Driver driver([&](Mode mode) {
    const double noise = (++run % 2 == 0) ? 2.0 : -2.0;
    return (mode == Mode::kAllThreads ? 100.0 : 99.0) + noise;
  });
  driver.Run(4);
  const int one = driver.Run(300);
  EXPECT_TRUE(one < 15 || one > 285) << one;
}

}  // namespace
}  // namespace kiln
