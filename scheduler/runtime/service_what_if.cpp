// The Service's dry run: what the governor would decide for a new post, or for
// an existing one moved or changed, without storing or moving anything.
#include <algorithm>
#include <map>

#include "scheduler/runtime/internal/service_impl.h"
#include "scheduler/runtime/service.h"

namespace herald::runtime {

using scheduler::Decision;
using scheduler::Timeline;

// Decides on a copy of the account's timeline, the way CreatePost and EditPost
// do, so the answer is what a create or edit at this moment would get.
Result<Decision> Service::WhatIf(const Caller& caller, const WhatIfRequest& request) {
  auto& s = *impl_;
  std::lock_guard lock(s.mu_);
  Instant now = s.clock_.Now();
  Post post;
  if (request.post_id) {
    auto current = s.Load(caller, *request.post_id);
    if (!current) return std::unexpected(current.error());
    post = *current;
    if (request.change.text) post.text = *request.change.text;
    if (request.change.labels) post.labels = *request.change.labels;
    if (request.change.at) post.requested_at = *request.change.at;
  } else {
    const CreatePostRequest& r = request.post;
    if (r.text.empty() && r.media.empty()) return InvalidArgument("a post needs text or media", Where{.path = "text"});
    post.account = r.account;
    post.text = r.text;
    post.labels = r.labels;
    post.priority = r.priority;
    post.media = r.media;
    post.requested_at = r.at.value_or(now);
  }
  auto g = s.policies_.AccountOf(caller.organization, post.account);
  if (!g) return std::unexpected(g.error());
  Timeline tl = s.book_.TimelineOf(post.account);
  if (request.post_id) tl.Remove(internal::IdText(*request.post_id));
  auto probe = internal::RequestOf(post, std::max(post.requested_at, now));
  if (!request.post_id) {
    probe.id.clear();
    probe.holder = scheduler::Holder::kProbe;
  }
  auto refusals = (*g)->CheckContent(tl, probe);
  if (!refusals.empty()) {
    Decision d;
    d.outcome = Decision::Outcome::kRefused;
    d.requested_at = probe.requested_at;
    d.reasons = std::move(refusals);
    d.content_refusal = true;
    return d;
  }
  return s.ScheduleOn(**g, post.account, tl, probe);
}

std::vector<Result<Decision>> Service::WhatIfBatch(const Caller& caller, const std::vector<CreatePostRequest>& posts) {
  std::vector<Result<Decision>> out;
  out.reserve(posts.size());
  for (const auto& r : posts) {
    if (Status checked = CheckCreate(caller, r); !checked.ok()) out.push_back(std::unexpected(checked));
    else out.push_back(Decision{});
  }
  auto& s = *impl_;
  std::lock_guard lock(s.mu_);
  Instant now = s.clock_.Now();
  std::map<std::string, Timeline> timelines;  // copies, with the batch's earlier posts in them
  for (size_t i = 0; i < posts.size(); ++i) {
    if (!out[i]) continue;
    const CreatePostRequest& r = posts[i];
    auto g = s.policies_.AccountOf(caller.organization, r.account);
    if (!g) {
      out[i] = std::unexpected(g.error());
      continue;
    }
    auto [it, fresh] = timelines.try_emplace(r.account);
    if (fresh) it->second = s.book_.TimelineOf(r.account);
    Timeline& tl = it->second;
    Post post;
    post.account = r.account;
    post.text = r.text;
    post.labels = r.labels;
    post.priority = r.priority;
    post.media = r.media;
    post.requested_at = std::max(r.at.value_or(now), now);
    auto probe = internal::RequestOf(post, post.requested_at);
    probe.id.clear();
    probe.holder = scheduler::Holder::kProbe;
    auto refusals = (*g)->CheckContent(tl, probe);
    Decision d;
    if (!refusals.empty()) {
      d.outcome = Decision::Outcome::kRefused;
      d.requested_at = probe.requested_at;
      d.reasons = std::move(refusals);
      d.content_refusal = true;
    } else {
      d = s.ScheduleOn(**g, r.account, tl, probe);
      // As CreatePost: a post waiting for approval holds no place yet.
      bool holds = !s.policies_.PolicyOf(caller.organization)->approval.required;
      if (d.placed() && holds) tl.Insert((*g)->EntryFor(probe, *d.planned_at));
    }
    out[i] = std::move(d);
  }
  return out;
}

}  // namespace herald::runtime
