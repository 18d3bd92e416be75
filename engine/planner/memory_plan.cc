#include "engine/planner/memory_plan.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "engine/planner/in_place_ops.h"
#include "engine/planner/offset_assignment.h"

namespace kiln::planner {
namespace {

constexpr size_t kForever = std::numeric_limits<size_t>::max();

// The step after which each slot's value is no longer read: its releasing
// step, kForever for graph outputs, its producing step when nobody reads it.
std::vector<size_t> LastUses(const GraphPlan& plan) {
  std::vector<size_t> last(static_cast<size_t>(plan.num_slots()), kForever);
  const auto& steps = plan.steps();
  for (size_t k = 0; k < steps.size(); ++k)
    for (int s : steps[k].outputs)
      if (s >= 0) last[static_cast<size_t>(s)] = k;
  for (size_t k = 0; k < steps.size(); ++k)
    for (int s : steps[k].release) last[static_cast<size_t>(s)] = k;
  for (int s : plan.output_slots()) last[static_cast<size_t>(s)] = kForever;
  return last;
}

struct UnionFind {
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), size_t{0}); }
  size_t Find(size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  std::vector<size_t> parent;
};

}  // namespace

MemoryPlan MemoryPlan::Build(const GraphPlan& plan, const Recording& recording) {
  MemoryPlan result;
  const auto& steps = plan.steps();
  result.placements_.resize(steps.size());
  for (size_t k = 0; k < steps.size(); ++k) result.placements_[k].resize(steps[k].outputs.size());

  const auto& allocs = recording.allocations;
  const size_t n = allocs.size();
  const std::vector<size_t> last_use = LastUses(plan);

  // Lifetime of each allocation: until the last use of any value in it.
  std::vector<size_t> first(n), last(n);
  for (size_t a = 0; a < n; ++a) first[a] = last[a] = allocs[a].step;
  std::vector<std::vector<const SlotReference*>> refs_of_slot(static_cast<size_t>(plan.num_slots()));
  for (const SlotReference& r : recording.references) {
    last[r.allocation] = std::max(last[r.allocation], last_use[static_cast<size_t>(r.slot)]);
    refs_of_slot[static_cast<size_t>(r.slot)].push_back(&r);
  }
  // Allocation made for each (step, output); the last one wins when a kernel allocated twice.
  std::vector<std::vector<int64_t>> alloc_of(steps.size());
  for (size_t k = 0; k < steps.size(); ++k) alloc_of[k].assign(steps[k].outputs.size(), -1);
  for (size_t a = 0; a < n; ++a) {
    auto& row = alloc_of[allocs[a].step];
    if (static_cast<size_t>(allocs[a].output) < row.size()) row[static_cast<size_t>(allocs[a].output)] = static_cast<int64_t>(a);
  }

  // Buffers: groups of allocations sharing storage through in-place steps.
  UnionFind buffers(n);
  std::vector<size_t> buffer_last(last);  // valid at roots
  std::vector<size_t> buffer_bytes(n);
  for (size_t a = 0; a < n; ++a) buffer_bytes[a] = allocs[a].bytes;
  std::vector<bool> in_place(n, false);
  for (size_t k = 0; k < steps.size(); ++k) {
    if (alloc_of[k].empty() || alloc_of[k][0] < 0) continue;
    const auto out = static_cast<size_t>(alloc_of[k][0]);
    if (last[out] == kForever) continue;
    for (int j : InPlaceCandidates(steps[k])) {
      if (j < 0 || static_cast<size_t>(j) >= steps[k].inputs.size()) continue;
      const int slot = steps[k].inputs[static_cast<size_t>(j)];
      if (slot < 0) continue;
      const auto& refs = refs_of_slot[static_cast<size_t>(slot)];
      if (refs.size() != 1 || !refs[0]->whole) continue;
      const size_t in = refs[0]->allocation;
      const size_t root = buffers.Find(in);
      if (buffer_last[root] != k || allocs[in].dtype != allocs[out].dtype || allocs[in].shape != allocs[out].shape)
        continue;
      // No other input of this step may read the same storage differently.
      bool shared = false;
      for (size_t i = 0; i < steps[k].inputs.size(); ++i) {
        const int other = steps[k].inputs[i];
        if (other < 0 || other == slot) continue;
        for (const SlotReference* r : refs_of_slot[static_cast<size_t>(other)])
          shared = shared || buffers.Find(r->allocation) == root;
      }
      if (shared) continue;
      buffers.parent[out] = root;
      buffer_last[root] = last[out];
      buffer_bytes[root] = std::max(buffer_bytes[root], allocs[out].bytes);
      in_place[out] = true;
      break;
    }
  }

  // Offsets for the buffers that do not outlive the run.
  std::vector<BufferRequest> requests;
  std::vector<int64_t> request_of(n, -1);
  for (size_t a = 0; a < n; ++a) {
    if (buffers.Find(a) != a || buffer_last[a] == kForever) continue;
    request_of[a] = static_cast<int64_t>(requests.size());
    requests.push_back({first[a], buffer_last[a], buffer_bytes[a]});
  }
  const OffsetAssignment assignment = AssignOffsets(requests);
  result.stats_.arena_bytes = assignment.arena_bytes;

  auto region_of = [&](size_t a, int64_t& begin, size_t& end) {
    const int64_t req = request_of[buffers.Find(a)];
    if (req < 0) return false;
    begin = static_cast<int64_t>(assignment.offsets[static_cast<size_t>(req)]);
    end = static_cast<size_t>(begin) + buffer_bytes[buffers.Find(a)];
    return true;
  };
  for (size_t a = 0; a < n; ++a) {
    const RecordedAllocation& alloc = allocs[a];
    if (alloc_of[alloc.step][static_cast<size_t>(alloc.output)] != static_cast<int64_t>(a)) continue;
    OutputPlacement& p = result.placements_[alloc.step][static_cast<size_t>(alloc.output)];
    size_t end = 0;
    if (region_of(a, p.offset, end)) {
      p.bytes = alloc.bytes;
      ++result.stats_.planned_tensors;
      result.stats_.unshared_bytes += alloc.bytes;
      if (in_place[a]) ++result.stats_.in_place_tensors;
    } else {
      p.offset = -1;
      ++result.stats_.fresh_tensors;
      result.stats_.fresh_bytes += alloc.bytes;
    }
  }
  // The arena range each step output may view: the buffer it lay in when
  // recorded (only values that referenced exactly one allocation).
  for (size_t k = 0; k < steps.size(); ++k) {
    for (size_t o = 0; o < steps[k].outputs.size(); ++o) {
      const int slot = steps[k].outputs[o];
      if (slot < 0) continue;
      const auto& refs = refs_of_slot[static_cast<size_t>(slot)];
      if (refs.size() != 1) continue;
      OutputPlacement& p = result.placements_[k][o];
      if (!region_of(refs[0]->allocation, p.region_begin, p.region_end)) p.region_begin = -1;
    }
  }
  return result;
}

const MemoryPlan::OutputPlacement& MemoryPlan::Placement(size_t step, int output) const {
  static const OutputPlacement kFresh;
  if (step >= placements_.size() || output < 0 || static_cast<size_t>(output) >= placements_[step].size())
    return kFresh;
  return placements_[step][static_cast<size_t>(output)];
}

}  // namespace kiln::planner
