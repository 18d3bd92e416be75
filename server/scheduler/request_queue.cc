#include "server/scheduler/request_queue.h"

namespace kiln::server {

PriorityRequestQueue::PriorityRequestQueue(std::vector<QueuePolicy> level_policies) {
  if (level_policies.empty()) level_policies.emplace_back();
  levels_.resize(level_policies.size());
  for (size_t i = 0; i < level_policies.size(); ++i) levels_[i].policy = level_policies[i];
}

size_t PriorityRequestQueue::LevelSize(size_t level_index) const {
  const Level& level = levels_[level_index];
  return level.pending.size() + level.delayed.size();
}

bool PriorityRequestQueue::LevelFull(size_t level_index) const {
  const uint32_t max = levels_[level_index].policy.max_queue_size;
  return max > 0 && LevelSize(level_index) >= max;
}

uint64_t PriorityRequestQueue::TimeoutFor(size_t level_index, uint64_t requested_us) const {
  const QueuePolicy& policy = levels_[level_index].policy;
  uint64_t timeout = policy.default_timeout_us;
  // An override may shorten the timeout, never lengthen it (0 = unlimited).
  if (policy.allow_timeout_override && requested_us != 0 && (timeout == 0 || requested_us < timeout)) {
    timeout = requested_us;
  }
  return timeout;
}

void PriorityRequestQueue::Push(size_t level_index, QueuedRequest entry) {
  Level& level = levels_[level_index];
  const uint64_t timeout = entry.timeout_us;
  const SteadyTime deadline = entry.enqueued + std::chrono::microseconds(timeout);
  level.pending.push_back(Node{std::move(entry), std::nullopt});
  if (timeout != 0) {
    auto node = std::prev(level.pending.end());
    node->deadline = deadlines_.emplace(deadline, std::make_pair(level_index, node));
  }
  ++size_;
}

std::optional<SteadyTime> PriorityRequestQueue::NextDeadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

std::vector<QueuedRequest> PriorityRequestQueue::ExpireDue(SteadyTime now) {
  std::vector<QueuedRequest> rejected;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    auto [level_index, node] = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    node->deadline.reset();
    Level& level = levels_[level_index];
    if (level.policy.timeout_action == QueuePolicy::TimeoutAction::kDelay) {
      level.delayed.splice(level.delayed.end(), level.pending, node);
    } else {
      rejected.push_back(std::move(node->entry));
      level.pending.erase(node);
      --size_;
    }
  }
  return rejected;
}

void PriorityRequestQueue::Visit(const std::function<bool(const QueuedRequest&)>& visit) const {
  for (const Level& level : levels_) {
    for (const NodeList* list : {&level.pending, &level.delayed}) {
      for (const Node& node : *list) {
        if (!visit(node.entry)) return;
      }
    }
  }
}

std::vector<QueuedRequest> PriorityRequestQueue::TakeFront(size_t count) {
  std::vector<QueuedRequest> taken;
  taken.reserve(count);
  for (Level& level : levels_) {
    for (NodeList* list : {&level.pending, &level.delayed}) {
      while (taken.size() < count && !list->empty()) {
        Node& node = list->front();
        if (node.deadline) deadlines_.erase(*node.deadline);
        taken.push_back(std::move(node.entry));
        list->pop_front();
        --size_;
      }
    }
  }
  return taken;
}

}  // namespace kiln::server
