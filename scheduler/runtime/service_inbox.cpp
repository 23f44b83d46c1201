// The Service's inbox side: listing and reading items by department with the
// policy's access rules, the audited state changes (assign, dismiss, reopen),
// what the runtime's InboxReader asks of the Service, and the inbox's part
// of /metrics. Items live in the store only; the plan's lock is held for no
// more than a policy lookup.
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <set>

#include "scheduler/runtime/internal/service_impl.h"
#include "scheduler/runtime/service.h"
#include "storage/event_payloads.h"

namespace herald::runtime {

namespace {

using json = nlohmann::json;
constexpr int kMaxListed = 1000;
constexpr size_t kMaxAssignee = 64;

bool Overdue(const storage::InboxItem& item, Instant now) {
  return (item.state == InboxState::kOpen || item.state == InboxState::kAssigned) && item.due_at <= now;
}

Status Forbidden(const std::string& what, const std::string& department) {
  return Status(Code::kPermissionDenied, "your token may not " + what + " the inbox of department " + department);
}

// The department's access, or one allowing managers and admins for an item
// of a department the policy no longer names.
policies::InboxDepartment AccessOf(const policies::InboxRouting& routing, const std::string& name) {
  if (const policies::InboxDepartment* d = routing.Find(name)) return *d;
  policies::InboxDepartment gone;
  gone.name = name;
  gone.read = {{"manager", "admin"}, {}};
  gone.answer = {{"manager", "admin"}, {}};
  return gone;
}

// The view's account of the item's latest reply, from the store (best
// effort: an item is shown without it when the post cannot be read).
void AddReply(storage::Store& store, InboxItemView& view) {
  if (!view.item.reply_post_id) return;
  auto post = store.GetPost(view.item.organization, *view.item.reply_post_id);
  if (!post) return;
  view.reply_state = post->state;
  if (IsFinal(post->state) && post->state != PostState::kPublished) view.reply_failure = post->failure;
  if (post->state == PostState::kRefused && view.reply_failure.empty() && !post->reasons.empty()) {
    view.reply_failure = post->reasons.front().rule + ": " + post->reasons.front().detail;
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> Service::InboxAccounts() {
  std::lock_guard lock(impl_->mu_);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [account, org] : impl_->policies_.accounts()) out.emplace_back(org, account);
  return out;
}

policies::InboxRouting Service::InboxRoutingOf(const std::string& organization) {
  std::lock_guard lock(impl_->mu_);
  const policies::Policy* policy = impl_->policies_.PolicyOf(organization);
  return policy != nullptr ? policy->inbox : policies::DefaultInboxRouting();
}

void Service::RecordInboxRead(const std::string& platform, const std::string& outcome, int64_t items) {
  std::lock_guard lock(impl_->mu_);
  impl_->telemetry_.RecordInboxRead(platform, outcome, items);
}

Result<std::vector<InboxItemView>> Service::Inbox(const Caller& caller, const InboxListRequest& request) {
  auto& s = *impl_;
  if (request.limit < 1 || request.limit > kMaxListed) {
    return std::unexpected(Status(Code::kInvalidArgument, "limit must be 1.." + std::to_string(kMaxListed),
                                  Where{.path = "limit"}));
  }
  policies::InboxRouting routing = InboxRoutingOf(caller.organization);
  if (request.account) {
    std::lock_guard lock(s.mu_);
    if (auto g = s.policies_.AccountOf(caller.organization, *request.account); !g) return std::unexpected(g.error());
  }
  const std::string role(RoleName(caller.role));
  storage::InboxQuery query{caller.organization};
  query.account = request.account;
  query.state = request.state;
  query.before_id = request.before_id;
  query.limit = request.limit;
  Instant now = s.clock_.Now();
  if (request.overdue) query.overdue_at = now;
  if (request.department) {
    if (!AccessOf(routing, *request.department).read.Allows(role, caller.name)) {
      return std::unexpected(Forbidden("read", *request.department));
    }
    query.department = request.department;
  } else {
    std::vector<std::string> readable;
    for (const auto& d : routing.departments)
      if (d.read.Allows(role, caller.name)) readable.push_back(d.name);
    // Managers and admins also see items of departments no longer named.
    if (caller.role != Role::kManager && caller.role != Role::kAdmin) query.departments = std::move(readable);
  }
  auto items = s.store_.ListInbox(query);
  if (!items) return std::unexpected(items.error());
  std::vector<InboxItemView> out;
  out.reserve(items->size());
  for (auto& item : *items) {
    policies::InboxDepartment d = AccessOf(routing, item.department);
    if (!d.read.Allows(role, caller.name)) continue;
    bool overdue = Overdue(item, now);
    bool may_answer = d.answer.Allows(role, caller.name);
    out.push_back({std::move(item), overdue, may_answer});
    AddReply(s.store_, out.back());
  }
  return out;
}

Result<InboxItemView> Service::GetInboxItem(const Caller& caller, int64_t id) {
  auto item = impl_->store_.GetInboxItem(caller.organization, id);
  if (!item) return std::unexpected(item.error());
  policies::InboxDepartment d = AccessOf(InboxRoutingOf(caller.organization), item->department);
  const std::string role(RoleName(caller.role));
  if (!d.read.Allows(role, caller.name)) return std::unexpected(Forbidden("read", item->department));
  bool overdue = Overdue(*item, impl_->clock_.Now());
  InboxItemView view{std::move(*item), overdue, d.answer.Allows(role, caller.name)};
  AddReply(impl_->store_, view);
  return view;
}

namespace {

// One audited state change of an item the caller may answer.
template <class Change>
Result<InboxItemView> ChangeItem(Service& service, storage::Store& store, const Clock& clock, const Caller& caller,
                                 int64_t id, const char* action, Change change) {
  auto view = service.GetInboxItem(caller, id);
  if (!view) return std::unexpected(view.error());
  if (!view->may_answer) return std::unexpected(Forbidden("answer", view->item.department));
  storage::InboxItem item = view->item;
  const InboxState from = item.state;
  json detail = {{"inbox_item", item.id}, {"department", item.department}, {"from", InboxStateName(from)}};
  if (Status s = change(item, detail); !s.ok()) return std::unexpected(s);
  Instant now = clock.Now();
  item.updated_at = now;
  detail["to"] = InboxStateName(item.state);
  storage::AuditEntry audit{0, caller.organization, now, caller.name, action, std::nullopt, detail.dump()};
  auto stored = store.UpdateInboxItem(item, {audit});
  if (!stored) return std::unexpected(stored.error());
  spdlog::info("inbox: item {} {} by {}: {} -> {}", id, action, caller.name, InboxStateName(from),
               InboxStateName(stored->state));
  InboxItemView changed{std::move(*stored), Overdue(*stored, now), true};
  AddReply(store, changed);
  return changed;
}

Status NotFrom(const storage::InboxItem& item, const char* what) {
  return Status(Code::kFailedPrecondition, "inbox item " + std::to_string(item.id) + " is " +
                                               std::string(InboxStateName(item.state)) + ": only " + what);
}

}  // namespace

Result<InboxItemView> Service::AssignInboxItem(const Caller& caller, int64_t id, const std::string& to) {
  if (to.empty() || to.size() > kMaxAssignee) {
    return std::unexpected(Status(Code::kInvalidArgument, "to must name who answers it (1-64 characters)",
                                  Where{.path = "/to"}));
  }
  return ChangeItem(*this, impl_->store_, impl_->clock_, caller, id, "inbox_assign",
                    [&](storage::InboxItem& item, json& detail) {
                      if (item.state != InboxState::kOpen && item.state != InboxState::kAssigned) {
                        return NotFrom(item, "open or assigned items can be assigned");
                      }
                      item.state = InboxState::kAssigned;
                      item.assignee = to;
                      detail["assignee"] = to;
                      return Status();
                    });
}

Result<InboxItemView> Service::DismissInboxItem(const Caller& caller, int64_t id, const std::string& note) {
  return ChangeItem(*this, impl_->store_, impl_->clock_, caller, id, "inbox_dismiss",
                    [&](storage::InboxItem& item, json& detail) {
                      if (item.state != InboxState::kOpen && item.state != InboxState::kAssigned) {
                        return NotFrom(item, "open or assigned items can be dismissed");
                      }
                      item.state = InboxState::kDismissed;
                      if (!note.empty()) detail["note"] = note;
                      return Status();
                    });
}

Result<InboxItemView> Service::ReopenInboxItem(const Caller& caller, int64_t id) {
  return ChangeItem(*this, impl_->store_, impl_->clock_, caller, id, "inbox_reopen",
                    [&](storage::InboxItem& item, json&) {
                      if (item.state != InboxState::kDismissed) return NotFrom(item, "dismissed items can be reopened");
                      item.state = InboxState::kOpen;
                      item.assignee.clear();
                      return Status();
                    });
}

Result<CreatePostResult> Service::ReplyToInboxItem(const Caller& caller, int64_t id, CreatePostRequest request) {
  auto view = GetInboxItem(caller, id);
  if (!view) return std::unexpected(view.error());
  const storage::InboxItem& item = view->item;
  if (!view->may_answer) return std::unexpected(Forbidden("answer", item.department));
  // A replayed Idempotency-Key answers with the reply it created, whatever
  // became of the item since; CreatePost tells a replay from a conflict.
  bool replay = false;
  if (request.idempotency_key) {
    auto found = impl_->store_.FindIdempotency(caller.organization, *request.idempotency_key);
    if (!found) return std::unexpected(found.error());
    replay = found->has_value();
  }
  if (!replay && item.state == InboxState::kDismissed) {
    return Error(Code::kFailedPrecondition, "inbox item " + std::to_string(id) +
                                                " is dismissed: reopen it (POST /v1/inbox/" + std::to_string(id) +
                                                "/reopen) before answering it");
  }
  if (!replay && item.message.reply_ref.empty()) {
    return Error(Code::kFailedPrecondition, "inbox item " + std::to_string(id) +
                                                " cannot be answered in a thread: the platform gave no reference to answer");
  }
  policies::InboxDepartment d = AccessOf(InboxRoutingOf(caller.organization), item.department);
  request.reply = ReplyTarget{item.id, item.message.reply_ref, d.approval_required};
  request.account = item.account;
  request.at.reset();
  request.labels.clear();
  request.priority = PostPriority::kNormal;
  auto created = CreatePost(caller, request);
  if (created && created->outcome == CreateOutcome::kCreated) {
    spdlog::info("inbox: item {} answered by {} with post {} ({})", id, caller.name, created->post.id,
                 PostStateName(created->post.state));
  }
  return created;
}

void Service::AddInboxMetrics(Metrics& m, Instant now) {
  auto counts = impl_->store_.CountInbox(now);
  if (!counts) {
    spdlog::warn("inbox: counting items for /metrics failed: {}", counts.error().ToString());
    return;
  }
  for (const auto& c : *counts) {
    m.inbox_items[{c.organization, c.department, std::string(InboxStateName(c.state))}] += c.items;
    m.inbox_overdue[{c.organization, c.department}] += c.overdue;
  }
}

Result<void> Service::RecordInboxOverdue(Instant now, Duration look_back) {
  auto counts = impl_->store_.CountInbox(now);
  if (!counts) return std::unexpected(counts.error());
  std::set<std::string> organizations;
  for (const auto& c : *counts) {
    if (c.overdue > 0) organizations.insert(c.organization);
  }
  std::optional<Instant> previous;
  {
    std::lock_guard lock(impl_->mu_);
    previous = impl_->telemetry_.ExchangeInboxCheck(now);
  }
  // Items that became overdue since the previous call: their due time passed,
  // or they were stored since (read already past it). The window reaches a
  // little further back, for an item whose read began before the previous
  // call and was stored after it; what was told already is skipped here (and
  // an event's id, the item and its due time, makes a repeat a no-op).
  constexpr Duration kOverlap = std::chrono::minutes{1};
  const Instant from = previous ? *previous - kOverlap : now - look_back;
  std::vector<storage::InboxItem> newly;
  for (const auto& org : organizations) {
    storage::InboxQuery late{org};
    late.overdue_at = now;
    late.overdue_after = from;
    late.limit = 1000;
    for (int page = 0; page < 100; ++page) {
      auto items = impl_->store_.ListInbox(late);
      if (!items) return std::unexpected(items.error());
      {
        std::lock_guard lock(impl_->mu_);
        for (auto& item : *items) {
          if (impl_->overdue_told_.emplace(std::pair{item.id, item.due_at}, now).second) newly.push_back(std::move(item));
        }
      }
      if (static_cast<int>(items->size()) < late.limit) break;
      late.before_id = items->back().id;
    }
  }
  for (const auto& item : newly) {
    spdlog::info("inbox: item {} of {} ({}) is overdue since {}", item.id, item.organization, item.department,
                 FormatRfc3339(item.due_at));
    if (auto r = storage::EmitInboxItemOverdue(impl_->store_, item.organization, item.account, item.message,
                                               item.due_at, now);
        !r) {
      std::lock_guard lock(impl_->mu_);
      impl_->overdue_told_.erase({item.id, item.due_at});  // told next time
      return r;
    }
  }
  // What was told before the overlap can no longer come back.
  std::lock_guard lock(impl_->mu_);
  std::erase_if(impl_->overdue_told_, [&](const auto& entry) { return entry.second < now - 2 * kOverlap; });
  return {};
}

}  // namespace herald::runtime
