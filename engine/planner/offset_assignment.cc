#include "engine/planner/offset_assignment.h"

#include <algorithm>
#include <numeric>

namespace kiln::planner {
namespace {

size_t AlignUp(size_t n) { return (n + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }

}  // namespace

OffsetAssignment AssignOffsets(const std::vector<BufferRequest>& requests) {
  OffsetAssignment result;
  result.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].bytes != requests[b].bytes) return requests[a].bytes > requests[b].bytes;
    return requests[a].first_step < requests[b].first_step;
  });

  struct Placed {
    size_t offset, end;  // [offset, end) in the arena
  };
  std::vector<size_t> placed;  // request indices already placed
  std::vector<Placed> live;
  for (size_t r : order) {
    const BufferRequest& req = requests[r];
    const size_t size = AlignUp(std::max<size_t>(req.bytes, 1));
    live.clear();
    for (size_t p : placed) {
      const BufferRequest& other = requests[p];
      if (other.first_step <= req.last_step && req.first_step <= other.last_step)
        live.push_back({result.offsets[p], result.offsets[p] + AlignUp(std::max<size_t>(other.bytes, 1))});
    }
    std::sort(live.begin(), live.end(), [](const Placed& a, const Placed& b) { return a.offset < b.offset; });
    size_t best = static_cast<size_t>(-1), best_gap = static_cast<size_t>(-1);
    size_t cursor = 0;
    for (const Placed& p : live) {
      if (p.offset > cursor && p.offset - cursor >= size && p.offset - cursor < best_gap) {
        best = cursor;
        best_gap = p.offset - cursor;
      }
      cursor = std::max(cursor, p.end);
    }
    if (best == static_cast<size_t>(-1)) best = cursor;
    result.offsets[r] = best;
    result.arena_bytes = std::max(result.arena_bytes, best + size);
    placed.push_back(r);
  }
  return result;
}

}  // namespace kiln::planner
