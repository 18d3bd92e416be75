#include "engine/planner/memory_planner.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "engine/planner/allocation_recording.h"
#include "engine/planner/planned_allocator.h"
#include "engine/runtime/executor.h"

namespace kiln::planner {

Result<std::vector<Value>> MemoryPlanner::RecordRun(const ShapeSignature& sig, std::vector<Value> inputs,
                                                    ThreadPool* thread_pool, std::shared_ptr<const MemoryPlan>* plan,
                                                    std::vector<double>* step_micros) {
  AllocationRecorder recorder(graph_plan_);
  auto outputs = ExecutePlan(graph_plan_, std::move(inputs), nullptr, thread_pool, &recorder, step_micros);
  if (!outputs.ok()) return outputs;
  *plan = cache_.Insert(sig, std::make_shared<const MemoryPlan>(MemoryPlan::Build(graph_plan_, recorder.recording())));
#if defined(__GLIBC__)
  // The recording run freed its tensors one by one; hand that memory back
  // before the first arena of this shape is allocated, so the two do not
  // add up in the process's resident size (once per new shape).
  malloc_trim(0);
#endif
  return outputs;
}

Result<std::vector<Value>> MemoryPlanner::Run(std::vector<Value> inputs, ThreadPool* thread_pool,
                                              const ShapeSignature* signature, std::vector<double>* step_micros) {
  const ShapeSignature sig = signature != nullptr ? *signature : ShapeSignature::Of(inputs);
  std::shared_ptr<const MemoryPlan> plan = cache_.Find(sig);
  if (plan == nullptr) return RecordRun(sig, std::move(inputs), thread_pool, &plan, step_micros);

  std::unique_ptr<Arena> arena;
  try {
    arena = arenas_.Acquire(plan->arena_bytes());
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory: the run's memory arena needs " +
                                     std::to_string(plan->arena_bytes()) + " bytes");
  }
  PlannedAllocator allocator(graph_plan_, *plan, *arena);
  auto outputs = ExecutePlan(graph_plan_, std::move(inputs), nullptr, thread_pool, &allocator, step_micros);
  arenas_.Release(std::move(arena));
  return outputs;
}

Result<std::shared_ptr<const MemoryPlan>> MemoryPlanner::PlanFor(std::vector<Value> inputs, ThreadPool* thread_pool) {
  const ShapeSignature sig = ShapeSignature::Of(inputs);
  std::shared_ptr<const MemoryPlan> plan = cache_.Find(sig);
  if (plan != nullptr) return plan;
  KILN_RETURN_IF_ERROR(RecordRun(sig, std::move(inputs), thread_pool, &plan).status());
  return plan;
}

}  // namespace kiln::planner
