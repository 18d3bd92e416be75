// Session: a loaded, compiled model ready to run — the engine's public entry
// point. Create() loads and checks the model and builds kernels once; Run()
// validates the feeds against the model's inputs and executes the graph.
// Run() is thread-safe: one Session serves concurrent callers.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/value.h"
#include "engine/ir/graph.h"
#include "engine/onnx/model_loader.h"
#include "engine/passes/pass_manager.h"
#include "engine/planner/memory_planner.h"
#include "engine/runtime/graph_plan.h"
#include "engine/runtime/thread_count_chooser.h"
#include "engine/runtime/thread_pool.h"

namespace kiln {

// Arithmetic of the compute-heavy operators (Conv, MatMul, Gemm).
enum class Precision {
  kFloat32,
  kBFloat16,  // inputs and weights rounded to bfloat16, float32 accumulation; needs AVX-512 BF16
};

struct SessionOptions {
  onnx_import::LoadOptions load;
  passes::PassOptions optimize;  // graph passes run after import (all on by default)
  // Threads one Run uses inside kernels (the caller's thread included);
  // 0 = every core this process may run on (sched_getaffinity). Each Session
  // owns its own pool: a process hosting several sessions (the server's model
  // instances) should split its cores between them rather than give each
  // session all of them.
  int threads = 0;
  // With threads > 1: run on the calling thread alone whenever that measured
  // faster for the input shape (another process busy on a core, or work too
  // small to share); see runtime/thread_count_chooser.h. Off: every run uses
  // all `threads`.
  bool adapt_threads = true;
  // kBFloat16: Unimplemented on CPUs without AVX-512 BF16.
  Precision precision = Precision::kFloat32;
  // Plan intermediate memory per input shape (planner/memory_planner.h):
  // tensors share one arena by lifetime instead of being allocated one by one.
  bool plan_memory = true;
  // Input-shape signatures whose plans are kept (least recently used dropped).
  int max_memory_plans = 16;
};

class Session {
 public:
  // Loads the ONNX model at `path`. NotFound / InvalidArgument for a missing
  // or broken file, Unimplemented when it needs something Kiln lacks.
  static Result<std::unique_ptr<Session>> Create(const std::string& path, const SessionOptions& options = {});
  // Compiles an already imported model.
  static Result<std::unique_ptr<Session>> Create(ir::Model model, const SessionOptions& options = {});

  const ir::Model& model() const { return *model_; }
  // Inputs a caller must (or may, when they have defaults) feed.
  std::vector<const ir::ValueInfo*> inputs() const;
  const std::vector<ir::ValueInfo>& outputs() const { return model_->graph.outputs; }
  // Threads a Run uses (1 when it runs single-threaded).
  int threads() const { return thread_pool_ ? thread_pool_->size() : 1; }
  // Runs so far that the ThreadCountChooser put on the calling thread alone
  // (SessionOptions::adapt_threads), for reports such as kiln bench's.
  uint64_t one_thread_runs() const { return one_thread_runs_.load(std::memory_order_relaxed); }

  // Runs the model. `feeds` maps input names to values; inputs with an
  // initializer default may be left out. Returns the graph outputs in the
  // order of outputs(). InvalidArgument names any unknown, missing or
  // mistyped input. `step_micros` (may be null): filled with the time each
  // node of ExecutionOrder() took in this run, in microseconds (a profile;
  // timing costs well under a microsecond per node).
  Result<std::vector<Value>> Run(const std::map<std::string, Value>& feeds,
                                 std::vector<double>* step_micros = nullptr) const;
  // The nodes of the optimized graph in the order Run executes them.
  std::vector<const ir::Node*> ExecutionOrder() const;

  // The memory plan for the shapes of `feeds` (validated as by Run), running
  // the model once to record it unless that shape was planned already.
  // FailedPrecondition when the session was created with plan_memory off.
  Result<planner::MemoryPlan::Stats> PlanMemory(const std::map<std::string, Value>& feeds) const;
  // Input-shape signatures whose memory plans are cached now (0 with
  // plan_memory off).
  size_t cached_memory_plans() const { return memory_planner_ ? memory_planner_->cached_plans() : 0; }

 private:
  Session(std::unique_ptr<ir::Model> model, std::shared_ptr<const GraphPlan> plan, int threads,
          const SessionOptions& options)
      : model_(std::move(model)),
        plan_(std::move(plan)),
        thread_pool_(threads > 1 ? std::make_unique<ThreadPool>(threads) : nullptr),
        thread_count_chooser_(threads > 1 && options.adapt_threads ? std::make_unique<ThreadCountChooser>() : nullptr),
        memory_planner_(options.plan_memory ? std::make_unique<planner::MemoryPlanner>(
                                                  *plan_, static_cast<size_t>(std::max(options.max_memory_plans, 1)))
                                            : nullptr) {}

  // Runs the graph on checked inputs with `thread_pool` (null: this thread
  // only); `signature`: the inputs' ShapeSignature when known, else null.
  Result<std::vector<Value>> Execute(std::vector<Value> inputs, ThreadPool* thread_pool,
                                     const planner::ShapeSignature* signature = nullptr,
                                     std::vector<double>* step_micros = nullptr) const;
  Status CheckFeed(const ir::ValueInfo& input, const Value& value) const;
  // The graph inputs in order, from `feeds` (checked) and defaults.
  Result<std::vector<Value>> GatherInputs(const std::map<std::string, Value>& feeds) const;

  std::unique_ptr<ir::Model> model_;          // owns the graph that plan_ points into
  std::shared_ptr<const GraphPlan> plan_;
  std::unique_ptr<ThreadPool> thread_pool_;  // null when single-threaded; shared by concurrent runs
  std::unique_ptr<ThreadCountChooser> thread_count_chooser_;  // null unless threads > 1 and adapt_threads
  mutable std::atomic<uint64_t> one_thread_runs_{0};
  std::unique_ptr<planner::MemoryPlanner> memory_planner_;  // null when plan_memory is off; thread-safe
};

}  // namespace kiln
