// MemoryPlanner: runs a compiled graph with planned memory. The first run
// of an input-shape signature records every allocation (a normal run with
// fresh allocations) and builds a MemoryPlan from it; later runs of that
// signature place all intermediates in an arena from the pool at the
// plan's offsets. Plans are cached per signature (bounded, LRU).
//
// One per Session. Thread-safe: concurrent runs each take their own arena.
#pragma once

#include <memory>
#include <vector>

#include "engine/core/value.h"
#include "engine/planner/arena_pool.h"
#include "engine/planner/memory_plan.h"
#include "engine/planner/plan_cache.h"
#include "engine/runtime/graph_plan.h"

namespace kiln {
class ThreadPool;
}

namespace kiln::planner {

class MemoryPlanner {
 public:
  // `graph_plan` must outlive the planner. `max_plans` >= 1 bounds the cache.
  MemoryPlanner(const GraphPlan& graph_plan, size_t max_plans) : graph_plan_(graph_plan), cache_(max_plans) {}

  // Like ExecutePlan(graph_plan, inputs, nullptr, thread_pool, ..., step_micros).
  // `signature`: ShapeSignature::Of(inputs) when the caller has it already,
  // else null.
  Result<std::vector<Value>> Run(std::vector<Value> inputs, ThreadPool* thread_pool,
                                 const ShapeSignature* signature = nullptr, std::vector<double>* step_micros = nullptr);
  // The plan for the signature of `inputs`, running once to record it when
  // it is not cached yet.
  Result<std::shared_ptr<const MemoryPlan>> PlanFor(std::vector<Value> inputs, ThreadPool* thread_pool);

  size_t cached_plans() const { return cache_.size(); }

 private:
  // Runs with a recorder and caches the resulting plan (when the run succeeds).
  Result<std::vector<Value>> RecordRun(const ShapeSignature& sig, std::vector<Value> inputs, ThreadPool* thread_pool,
                                       std::shared_ptr<const MemoryPlan>* plan, std::vector<double>* step_micros = nullptr);

  const GraphPlan& graph_plan_;
  PlanCache cache_;
  ArenaPool arenas_;
};

}  // namespace kiln::planner
