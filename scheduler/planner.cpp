#include "scheduler/planner.h"

#include <algorithm>
#include <numeric>
#include <span>
#include <unordered_map>

namespace herald::scheduler {
namespace {

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Ids compare numerically when both are numbers ("9" < "10"), else as text.
bool IdLess(const std::string& a, const std::string& b) {
  if (AllDigits(a) && AllDigits(b)) {
    auto strip = [](const std::string& s) { return std::string_view(s).substr(std::min(s.find_first_not_of('0'), s.size() - 1)); };
    auto x = strip(a), y = strip(b);
    if (x.size() != y.size()) return x.size() < y.size();
    return x < y;
  }
  return a < b;
}

}  // namespace

Planner::Planner(std::map<std::string, Governor> governors) : governors_(std::move(governors)) {}

const Governor* Planner::FindGovernor(const std::string& account) const {
  auto it = governors_.find(account);
  return it == governors_.end() ? nullptr : &it->second;
}

bool Planner::PlacesBefore(const PostRequest& a, const PostRequest& b) {
  if (a.priority != b.priority) return a.priority == Priority::kUrgent;
  if (a.requested_at != b.requested_at) return a.requested_at < b.requested_at;
  return IdLess(a.id, b.id);
}

std::vector<PlanOutput> Planner::Plan(const std::vector<PlanInput>& inputs, const BlockedSpans& blocked) const {
  std::vector<PlanOutput> out(inputs.size());
  std::unordered_map<std::string, Timeline> timelines;

  std::vector<size_t> order;
  order.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& in = inputs[i];
    out[i].account = in.account;
    out[i].id = in.post.id;
    out[i].previous_at = in.previous_at;
    out[i].decision.requested_at = in.post.requested_at;
    const Governor* g = FindGovernor(in.account);
    if (g == nullptr) {
      out[i].decision.outcome = Decision::Outcome::kRefused;
      out[i].decision.reasons.push_back({"account", "unknown account \"" + in.account + "\"", {}});
      continue;
    }
    if (in.fixed_at) {
      // History is not moved; it only takes its capacity.
      timelines[in.account].Insert(g->EntryFor(in.post, *in.fixed_at));
      out[i].decision.planned_at = in.fixed_at;
      continue;
    }
    order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return PlacesBefore(inputs[a].post, inputs[b].post); });

  for (size_t i : order) {
    const auto& in = inputs[i];
    const Governor& g = *FindGovernor(in.account);
    Timeline& tl = timelines[in.account];
    auto spans = blocked.find(in.account);
    std::span<const BlockedSpan> account_blocked;
    if (spans != blocked.end()) account_blocked = spans->second;
    const PostRequest* request = &in.post;
    PostRequest later;
    if (in.not_before && *in.not_before > in.post.requested_at) {
      later = in.post;
      later.requested_at = *in.not_before;
      request = &later;
    }
    out[i].decision = in.content_checked ? g.Schedule(tl, *request, account_blocked)
                                         : g.Place(tl, *request, account_blocked);
    if (out[i].decision.placed()) tl.Insert(g.EntryFor(in.post, *out[i].decision.planned_at));
    out[i].moved = in.previous_at.has_value() && out[i].decision.planned_at != in.previous_at;
  }
  return out;
}

}  // namespace herald::scheduler
