// The Service's workflow: create, edit, approve, reject and cancel posts, and
// policy reloads. Roles, four-eyes and urgent priority are checked here; every
// time comes from the governor; every change is written before the answer.
#include "scheduler/runtime/service.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "scheduler/runtime/internal/service_impl.h"

namespace herald::runtime {

using internal::IdText;
using internal::IsManager;
using internal::MergeInto;
using internal::RequestOf;
using internal::Stored;
using nlohmann::json;
using scheduler::Decision;
using scheduler::Governor;
using scheduler::Timeline;
using storage::AuditEntry;
using storage::PostChange;

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kViewer: return "viewer";
    case Role::kEditor: return "editor";
    case Role::kManager: return "manager";
    case Role::kAdmin: return "admin";
  }
  return "viewer";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kViewer, Role::kEditor, Role::kManager, Role::kAdmin})
    if (RoleName(r) == name) return r;
  return std::nullopt;
}

Service::Service(storage::Store& store, const Clock& clock, std::vector<policies::Policy> policies,
                 std::function<void()> on_plan_changed, ServiceOptions options)
    : impl_(std::make_shared<Impl>(store, clock, std::move(on_plan_changed), options)) {
  impl_->policies_.Install(std::move(policies), impl_->clock_.Now());
}

Status Service::CheckCreate(const Caller& caller, const CreatePostRequest& request) const {
  const auto& s = *impl_;
  // A reply's right is its department's `answer` list, checked before.
  if (caller.role == Role::kViewer && !request.reply) {
    return Status(Code::kPermissionDenied, "viewers cannot create posts; ask for an editor token");
  }
  if (request.priority == PostPriority::kUrgent && !IsManager(caller.role)) {
    return Status(Code::kPermissionDenied, "only managers and admins may create urgent posts", Where{.path = "priority"});
  }
  if (request.text.empty() && request.media.empty()) {
    return Status(Code::kInvalidArgument, "a post needs text or media", Where{.path = "text"});
  }
  if (auto r = CheckPostInput(s.options_.limits, s.clock_.Now(), request.at, &request.text, &request.labels); !r) {
    return r.error();
  }
  return CheckMediaUrls(request.media, s.options_.media_allow);
}

Result<CreatePostResult> Service::CreatePost(const Caller& caller, const CreatePostRequest& request) {
  auto& s = *impl_;
  if (Status checked = CheckCreate(caller, request); !checked.ok()) return std::unexpected(checked);
  if (request.idempotency_key) {
    auto found = s.store_.FindIdempotency(caller.organization, *request.idempotency_key);
    if (!found) return std::unexpected(found.error());
    if (*found) {
      if ((*found)->request_hash != request.request_hash) {
        return Error(Code::kAlreadyExists,
                     "Idempotency-Key \"" + *request.idempotency_key +
                         "\" was already used with a different body; use a new key for a new post");
      }
      auto post = s.store_.GetPost(caller.organization, (*found)->post_id);
      if (!post) return std::unexpected(post.error());
      return CreatePostResult{*post, CreateOutcome::kReplayed};
    }
  }

  {
    std::lock_guard lock(s.mu_);
    if (auto g = s.policies_.AccountOf(caller.organization, request.account); !g) return std::unexpected(g.error());
  }
  auto account_lock = s.LockAccount(caller.organization, request.account);
  if (!account_lock) return std::unexpected(account_lock.error());
  Post post;
  std::string reservation;
  {
    std::lock_guard lock(s.mu_);
    auto g = s.policies_.AccountOf(caller.organization, request.account);
    if (!g) return std::unexpected(g.error());
    const Governor& gov = **g;
    const policies::Policy& policy = *s.policies_.PolicyOf(caller.organization);
    Instant now = s.clock_.Now();

    post.organization = caller.organization;
    post.account = request.account;
    post.author = caller.name;
    post.text = request.text;
    post.labels = request.labels;
    post.priority = request.priority;
    post.media = request.media;
    if (request.reply) {
      post.answers_item = request.reply->item;
      post.reply_to = request.reply->reply_ref;
    }
    post.requested_at = std::max(request.at.value_or(now), now);
    post.created_at = post.updated_at = now;

    Timeline& tl = s.book_.TimelineOf(request.account);
    auto pending_request = RequestOf(post, post.requested_at);
    auto refusals = gov.CheckContent(tl, pending_request);
    if (!refusals.empty()) {
      post.state = PostState::kRefused;
      post.reasons = Stored(refusals);
    } else {
      Decision d = s.ScheduleOn(gov, request.account, tl, pending_request);
      post.reasons = Stored(d.reasons);
      if (!d.placed()) {
        post.state = PostState::kRefused;
      } else {
        post.planned_at = d.planned_at;
        const bool approval = request.reply ? request.reply->approval : policy.approval.required;
        post.state = approval ? PostState::kPendingApproval : PostState::kScheduled;
        if (post.state == PostState::kScheduled) {
          // Hold the slot while the store writes, so concurrent creates cannot take it.
          reservation = std::to_string(++s.reservation_seq_);
          pending_request.id = reservation;
          pending_request.holder = scheduler::Holder::kHeld;
          tl.Insert(gov.EntryFor(pending_request, *d.planned_at));
        }
      }
    }
    s.telemetry_.CountDecision(post.reasons);
  }
  // A refused reply is answered with its reasons and not kept.
  if (request.reply && post.state == PostState::kRefused) return CreatePostResult{post, CreateOutcome::kRefused};

  json create_detail = {{"account", post.account}, {"text", post.text}};
  if (post.answers_item) create_detail["answers_item"] = *post.answers_item;
  std::vector<AuditEntry> audit{s.Audit(caller.organization, caller.name, "create", post, std::move(create_detail))};
  if (post.priority == PostPriority::kUrgent) {
    audit.push_back(s.Audit(caller.organization, caller.name, "urgent_bypass", post,
                            {{"bypassed", "caps, min_spacing, quiet_hours, days, ramp_up, mix"}}));
  }
  std::optional<storage::IdempotencyRecord> idem;
  if (request.idempotency_key) {
    idem = storage::IdempotencyRecord{caller.organization, *request.idempotency_key, request.request_hash, 0,
                                      post.state == PostState::kRefused ? storage::FirstAnswer::kRefused
                                                                        : storage::FirstAnswer::kCreated,
                                      post.created_at};
  }
  auto stored = s.store_.CreatePost(post, std::move(audit), idem);

  std::vector<PostChange> moves;
  {
    std::lock_guard lock(s.mu_);
    if (!reservation.empty()) s.book_.TimelineOf(post.account).Remove(reservation, scheduler::Holder::kHeld);
    if (!stored) {
      if (stored.error().code() == Code::kAlreadyExists && request.idempotency_key) {
        // A concurrent request with the same key won: answer as a replay.
        auto again = s.store_.FindIdempotency(caller.organization, *request.idempotency_key);
        if (again && *again && (*again)->request_hash == request.request_hash) {
          auto first = s.store_.GetPost(caller.organization, (*again)->post_id);
          if (first) return CreatePostResult{*first, CreateOutcome::kReplayed};
        }
      }
      return std::unexpected(stored.error());
    }
    post = *stored;
    if (!IsFinal(post.state)) s.book_.Track(post);
    s.AfterWrite(post);
    if (post.priority == PostPriority::kUrgent && post.state == PostState::kScheduled) {
      moves = s.ReplanAccount(post.account, "herald", "urgent post " + IdText(post.id) + " bypassed the policy");
      if (auto r = s.Persist(std::move(moves)); !r) return std::unexpected(r.error());
    }
  }
  if (s.on_changed_) s.on_changed_();
  return CreatePostResult{post, post.state == PostState::kRefused ? CreateOutcome::kRefused : CreateOutcome::kCreated};
}

Result<Post> Service::EditPost(const Caller& caller, int64_t id, const EditPostRequest& request) {
  auto& s = *impl_;
  if (caller.role == Role::kViewer) return Error(Code::kPermissionDenied, "viewers cannot edit posts");
  if (auto r = CheckPostInput(s.options_.limits, s.clock_.Now(), request.at,
                              request.text ? &*request.text : nullptr, request.labels ? &*request.labels : nullptr);
      !r) {
    return std::unexpected(r.error());
  }
  auto account_lock = s.LockAccountOf(caller.organization, id);
  if (!account_lock) return std::unexpected(account_lock.error());
  std::vector<PostChange> changes;
  Post edited;
  {
    std::lock_guard lock(s.mu_);
    auto current = s.Load(caller, id);
    if (!current) return std::unexpected(current.error());
    if (caller.role == Role::kEditor && current->author != caller.name) {
      return Error(Code::kPermissionDenied, "editors may only edit their own posts; post " + IdText(id) + " is " +
                                                current->author + "'s");
    }
    if (current->state != PostState::kPendingApproval && current->state != PostState::kScheduled &&
        current->state != PostState::kRefused) {
      return Error(Code::kFailedPrecondition, "post " + IdText(id) + " is " + std::string(PostStateName(current->state)) +
                                                  "; only pending, scheduled or refused posts can be edited");
    }
    auto g = s.policies_.AccountOf(caller.organization, current->account);
    if (!g) return std::unexpected(g.error());
    const policies::Policy& policy = *s.policies_.PolicyOf(caller.organization);
    Instant now = s.clock_.Now();
    edited = *current;
    if (request.text) edited.text = *request.text;
    if (request.labels) edited.labels = *request.labels;
    if (request.at) edited.requested_at = std::max(*request.at, now);
    edited.updated_at = now;
    edited.approved_by.clear();
    s.book_.Remember(id);
    s.book_.Untrack(id);
    Timeline& tl = s.book_.TimelineOf(edited.account);
    auto req = RequestOf(edited, std::max(edited.requested_at, now));
    auto refusals = (*g)->CheckContent(tl, req);
    if (!refusals.empty()) {
      edited.state = PostState::kRefused;
      edited.planned_at.reset();
      edited.reasons = Stored(refusals);
    } else {
      Decision d = s.ScheduleOn(**g, edited.account, tl, req);
      edited.reasons = Stored(d.reasons);
      edited.planned_at = d.planned_at;
      edited.state = !d.placed() ? PostState::kRefused
                     : policy.approval.required ? PostState::kPendingApproval
                                                : PostState::kScheduled;
    }
    s.telemetry_.CountDecision(edited.reasons);
    s.book_.Track(edited);
    changes.push_back({edited, {s.Audit(caller.organization, caller.name, "edit", edited)}});
    if (current->state == PostState::kScheduled) {
      MergeInto(changes, s.ReplanAccount(edited.account, "herald", "post " + IdText(id) + " was edited"));
    }
    if (auto r = s.Persist(std::move(changes)); !r) return std::unexpected(r.error());
  }
  if (s.on_changed_) s.on_changed_();
  return s.store_.GetPost(caller.organization, id);
}

Result<Post> Service::Approve(const Caller& caller, int64_t id, const std::string& note) {
  auto& s = *impl_;
  auto account_lock = s.LockAccountOf(caller.organization, id);
  if (!account_lock) return std::unexpected(account_lock.error());
  {
    std::lock_guard lock(s.mu_);
    auto current = s.Load(caller, id);
    if (!current) return std::unexpected(current.error());
    const policies::Policy& policy = *s.policies_.PolicyOf(caller.organization);
    const auto& approvers = policy.approval.approvers;
    if (std::find(approvers.begin(), approvers.end(), RoleName(caller.role)) == approvers.end()) {
      return Error(Code::kPermissionDenied,
                   std::string(RoleName(caller.role)) + "s may not approve posts in " + caller.organization);
    }
    if (policy.approval.four_eyes && current->author == caller.name) {
      return Error(Code::kPermissionDenied, "four-eyes rule: the author of post " + IdText(id) +
                                                " may not approve it; ask another approver");
    }
    if (current->state != PostState::kPendingApproval) {
      return Error(Code::kFailedPrecondition, "post " + IdText(id) + " is " + std::string(PostStateName(current->state)) +
                                                  "; only pending_approval posts can be approved");
    }
    auto g = s.policies_.AccountOf(caller.organization, current->account);
    if (!g) return std::unexpected(g.error());
    Instant now = s.clock_.Now();
    Post approved = *current;
    approved.approved_by = caller.name;
    approved.updated_at = now;
    Decision d = s.ScheduleOn(**g, approved.account, s.book_.TimelineOf(approved.account),
                              RequestOf(approved, std::max(approved.requested_at, now)));
    approved.reasons = Stored(d.reasons);
    approved.planned_at = d.planned_at;
    approved.state = d.placed() ? PostState::kScheduled : PostState::kRefused;
    s.telemetry_.CountDecision(approved.reasons);
    json detail = json::object();
    if (!note.empty()) detail["note"] = note;
    std::vector<PostChange> changes{
        s.book_.Change(approved, s.Audit(caller.organization, caller.name, "approve", approved, std::move(detail)))};
    if (approved.priority == PostPriority::kUrgent && d.placed()) {
      MergeInto(changes, s.ReplanAccount(approved.account, "herald", "urgent post " + IdText(id) + " bypassed the policy"));
    }
    if (auto r = s.Persist(std::move(changes)); !r) return std::unexpected(r.error());
  }
  if (s.on_changed_) s.on_changed_();
  return s.store_.GetPost(caller.organization, id);
}

Result<Post> Service::Impl::CloseOut(const Caller& caller, int64_t id, PostState to, const std::string& note,
                                     std::initializer_list<PostState> from, const char* action) {
  auto& s = *this;
  auto account_lock = s.LockAccountOf(caller.organization, id);
  if (!account_lock) return std::unexpected(account_lock.error());
  std::lock_guard lock(s.mu_);
  auto current = s.Load(caller, id);
  if (!current) return std::unexpected(current.error());
  if (!IsManager(caller.role)) {
    return Error(Code::kPermissionDenied, std::string(action) + " needs a manager or admin token");
  }
  if (std::find(from.begin(), from.end(), current->state) == from.end()) {
    return Error(Code::kFailedPrecondition, "post " + IdText(id) + " is " + std::string(PostStateName(current->state)) +
                                                "; it cannot be " + action + "ed now");
  }
  Post closed = *current;
  bool held = closed.state == PostState::kScheduled;
  closed.state = to;
  closed.updated_at = s.clock_.Now();
  closed.failure = note;
  std::vector<PostChange> changes{s.book_.Change(closed, s.Audit(caller.organization, caller.name, action, closed, {{"note", note}}))};
  if (held) MergeInto(changes, s.ReplanAccount(closed.account, "herald", "post " + IdText(id) + " was " + action + "ed"));
  if (auto r = s.Persist(std::move(changes)); !r) return std::unexpected(r.error());
  return s.store_.GetPost(caller.organization, id);
}

Result<Post> Service::Reject(const Caller& caller, int64_t id, const std::string& note) {
  auto r = impl_->CloseOut(caller, id, PostState::kRejected, note, {PostState::kPendingApproval}, "reject");
  if (r && impl_->on_changed_) impl_->on_changed_();
  return r;
}

Result<Post> Service::Cancel(const Caller& caller, int64_t id, const std::string& note) {
  auto r = impl_->CloseOut(caller, id, PostState::kCancelled, note,
                    {PostState::kPendingApproval, PostState::kScheduled, PostState::kRefused}, "cancel");
  if (r && impl_->on_changed_) impl_->on_changed_();
  return r;
}

Result<void> Service::ReplacePolicies(std::vector<policies::Policy> policies,
                                      std::map<std::string, std::vector<std::string>> errors_by_org) {
  auto& s = *impl_;
  std::vector<std::tuple<std::string, std::string, std::string>> replans;  // org, account, why
  {
    std::lock_guard lock(s.mu_);
    // Organisations whose file broke keep their active policy.
    std::set<std::string> given;
    for (const auto& p : policies) given.insert(p.organization);
    for (auto& [org, o] : s.policies_.orgs()) {
      if (!given.count(org)) policies.push_back(o.policy);
    }
    std::map<std::string, std::string> before;
    std::map<std::string, Duration> history_before;
    for (const auto& [org, o] : s.policies_.orgs()) {
      before[org] = o.policy.sha256;
      history_before[org] = s.policies_.HistoryOf(org);
    }
    s.policies_.Install(std::move(policies), s.clock_.Now());
    for (auto& [org, o] : s.policies_.orgs()) {
      auto e = errors_by_org.find(org);
      o.errors = e == errors_by_org.end() ? std::vector<std::string>{} : e->second;
    }
    // Rebuild capacity from the new rules (label bits may differ), then re-plan.
    s.book_.Rebuild();
    // A rule that looks further back needs the published posts that far back
    // (read before the re-plan counts them); a shorter look-back frees them.
    const Instant now = s.clock_.Now();
    for (const auto& [org, o] : s.policies_.orgs()) {
      const Duration window = s.policies_.HistoryOf(org);
      if (window <= history_before[org]) continue;
      if (auto r = s.ReadHistory(org, window, now); !r) return r;
    }
    s.TrimHistory(now);
    std::vector<PostChange> changes;
    std::vector<AuditEntry> reloads;
    for (const auto& [org, o] : s.policies_.orgs()) {
      if (before[org] == o.policy.sha256) continue;
      reloads.push_back({0, org, s.clock_.Now(), "herald", "policy_reload", std::nullopt,
                         json{{"sha256", o.policy.sha256}, {"source", o.policy.source}}.dump()});
      if (auto r = s.store_.RecordPolicyVersion({org, o.policy.sha256, o.loaded_at, o.policy.source}); !r) return r;
      for (const auto& account : o.policy.accounts) {
        std::string why = "policy " + o.policy.sha256.substr(0, 12) + " loaded";
        if (s.shared_) {
          replans.push_back({org, account.id, why});
        } else {
          MergeInto(changes, s.ReplanAccount(account.id, "herald", why));
        }
      }
    }
    if (auto r = s.store_.AppendAudit(std::move(reloads)); !r) return r;
    if (auto r = s.Persist(std::move(changes)); !r) return r;
  }
  // Shared store: each account re-planned while holding it, against what every
  // process has written (the other processes re-plan too; the second finds
  // nothing to move).
  for (const auto& [org, account, why] : replans) {
    auto account_lock = s.LockAccount(org, account);
    if (!account_lock) return std::unexpected(account_lock.error());
    std::lock_guard lock(s.mu_);
    if (auto r = s.Persist(s.ReplanAccount(account, "herald", why)); !r) return r;
  }
  if (s.on_changed_) s.on_changed_();
  return {};
}

}  // namespace herald::runtime
