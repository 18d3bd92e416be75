#include "server/repository/version_policy.h"

#include <string>

namespace kiln::server {

Result<std::set<int64_t>> SelectVersions(const inference::ModelVersionPolicy& policy,
                                         const std::set<int64_t>& available) {
  std::set<int64_t> selected;
  switch (policy.policy_choice_case()) {
    case inference::ModelVersionPolicy::kAll:
      return available;
    case inference::ModelVersionPolicy::kSpecific:
      for (int64_t v : policy.specific().versions()) {
        if (v <= 0) {
          return Status::InvalidArgument("version_policy.specific.versions: " + std::to_string(v) +
                                         " is not a positive version number");
        }
        if (available.count(v)) selected.insert(v);
      }
      return selected;
    case inference::ModelVersionPolicy::kLatest:
    case inference::ModelVersionPolicy::POLICY_CHOICE_NOT_SET: {
      uint32_t n = policy.has_latest() ? policy.latest().num_versions() : 1;
      if (n == 0) n = 1;
      for (auto it = available.rbegin(); it != available.rend() && selected.size() < n; ++it) selected.insert(*it);
      return selected;
    }
  }
  return selected;
}

}  // namespace kiln::server
