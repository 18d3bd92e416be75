// Packs buffers with known lifetimes into one arena: two buffers whose
// lifetimes overlap never overlap in memory. Greedy by size (largest first),
// each placed in the smallest gap between the buffers already placed that
// are alive at the same time (best fit), else above them. Offsets are
// multiples of kArenaAlignment. Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <vector>

namespace kiln::planner {

inline constexpr size_t kArenaAlignment = 64;

struct BufferRequest {
  size_t first_step = 0;  // lifetime: steps [first_step, last_step], inclusive
  size_t last_step = 0;
  size_t bytes = 0;
};

struct OffsetAssignment {
  std::vector<size_t> offsets;  // per request
  size_t arena_bytes = 0;       // the arena size the offsets need
};

OffsetAssignment AssignOffsets(const std::vector<BufferRequest>& requests);

}  // namespace kiln::planner
