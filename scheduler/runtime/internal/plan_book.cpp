#include "scheduler/runtime/internal/plan_book.h"

namespace herald::runtime::internal {
namespace {

bool IsActual(PostState s) {
  return s == PostState::kPublishing || s == PostState::kPublished || s == PostState::kUnconfirmed;
}

}  // namespace

scheduler::PostRequest RequestOf(const Post& p, Instant requested) {
  scheduler::PostRequest r;
  r.id = std::to_string(p.id);
  r.text = p.text;
  r.requested_at = requested;
  r.labels = p.labels;
  r.priority = p.priority == PostPriority::kUrgent ? scheduler::Priority::kUrgent : scheduler::Priority::kNormal;
  r.media_count = static_cast<int>(p.media.size());
  r.kind = p.kind();
  return r;
}

void PlanBook::Track(const Post& p) {
  posts_.insert_or_assign(p.id, PackedPost(p, Intern(p.organization), Intern(p.account)));
  if (HoldsCapacity(p.state) && p.planned_at) {
    if (auto* g = policies_.GovernorFor(p.account)) {
      auto entry = g->EntryFor(RequestOf(p, p.requested_at), *p.planned_at);
      if (IsActual(p.state)) actual_[p.account].Insert(entry);
      timelines_[p.account].Insert(std::move(entry));
    }
  }
  if (p.state == PostState::kScheduled && p.planned_at) due_.insert({*p.planned_at, p.id});
}

void PlanBook::Untrack(int64_t id) {
  auto it = posts_.find(id);
  if (it == posts_.end()) return;
  const PackedPost& p = it->second;
  const std::optional<Instant> planned_at = p.planned_at();
  if (HoldsCapacity(p.state())) {
    if (planned_at) {
      timelines_[p.account()].Remove(std::to_string(id), *planned_at);
      if (IsActual(p.state())) actual_[p.account()].Remove(std::to_string(id), *planned_at);
    } else {
      timelines_[p.account()].Remove(std::to_string(id));
    }
  }
  if (planned_at) due_.erase({*planned_at, id});
  posts_.erase(it);
}

void PlanBook::Rebuild() {
  std::vector<Post> all;
  all.reserve(posts_.size());
  for (const auto& [id, p] : posts_) all.push_back(p.Unpack(id));
  posts_.clear();
  timelines_.clear();
  actual_.clear();
  due_.clear();
  for (const auto& p : all) Track(p);
}

void PlanBook::Remember(int64_t id) {
  if (undo_.contains(id)) return;
  auto it = posts_.find(id);
  undo_[id] = it == posts_.end() ? std::nullopt : std::optional<Post>(it->second.Unpack(id));
}

void PlanBook::RollBack(const Undo& undo) {
  for (const auto& [id, before] : undo) {
    Untrack(id);
    if (before) Track(*before);
  }
}

storage::PostChange PlanBook::Change(const Post& updated, storage::AuditEntry audit) {
  Remember(updated.id);
  Untrack(updated.id);
  Track(updated);
  return storage::PostChange{updated, {std::move(audit)}};
}

std::optional<Post> PlanBook::Find(int64_t id) const {
  auto it = posts_.find(id);
  if (it == posts_.end()) return std::nullopt;
  return it->second.Unpack(id);
}

const PackedPost* PlanBook::Peek(int64_t id) const {
  auto it = posts_.find(id);
  return it == posts_.end() ? nullptr : &it->second;
}

void PlanBook::Stamp(int64_t id, int64_t version, int64_t change_seq) {
  auto it = posts_.find(id);
  if (it == posts_.end()) return;
  Post p = it->second.Unpack(id);
  p.version = version;
  p.change_seq = change_seq;
  it->second = PackedPost(p, &it->second.organization(), &it->second.account());
}

void PlanBook::BeginWrite(const std::vector<int64_t>& ids) {
  for (int64_t id : ids) writing_.insert(id);
}

void PlanBook::EndWrite(const std::vector<int64_t>& ids) {
  for (int64_t id : ids) writing_.erase(id);
}

}  // namespace herald::runtime::internal
