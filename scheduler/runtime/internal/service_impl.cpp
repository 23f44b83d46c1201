#include "scheduler/runtime/internal/service_impl.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "scheduler/planner.h"
#include "storage/audit_detail.h"

namespace herald::runtime {
namespace internal {

using nlohmann::json;

std::string IdText(int64_t id) { return std::to_string(id); }

std::vector<StoredReason> Stored(const std::vector<scheduler::Reason>& reasons) {
  std::vector<StoredReason> out;
  for (const auto& r : reasons) out.push_back({r.rule, r.detail, r.posts});
  return out;
}

json ReasonsJson(const std::vector<StoredReason>& reasons) {
  json out = json::array();
  for (const auto& r : reasons) out.push_back({{"rule", r.rule}, {"detail", r.detail}, {"posts", r.posts}});
  return out;
}

bool IsManager(Role r) { return r == Role::kManager || r == Role::kAdmin; }

void MergeInto(std::vector<storage::PostChange>& batch, std::vector<storage::PostChange> more) {
  for (auto& c : more) {
    auto same = std::find_if(batch.begin(), batch.end(),
                             [&](const storage::PostChange& b) { return b.post.id == c.post.id; });
    if (same == batch.end()) {
      batch.push_back(std::move(c));
    } else {
      int64_t version = same->post.version;
      same->post = std::move(c.post);
      same->post.version = version;
      for (auto& a : c.audit) same->audit.push_back(std::move(a));
    }
  }
}

namespace {

std::string Summary(const Post& p) {
  scheduler::Decision d;
  d.requested_at = p.requested_at;
  d.planned_at = p.planned_at;
  d.outcome = p.state == PostState::kRefused ? scheduler::Decision::Outcome::kRefused
                                             : scheduler::Decision::Outcome::kPlaced;
  for (const auto& r : p.reasons) d.reasons.push_back({r.rule, r.detail, r.posts});
  return d.Summary();
}

std::vector<int64_t> IdsOf(const std::vector<storage::PostChange>& changes) {
  std::vector<int64_t> ids;
  ids.reserve(changes.size());
  for (const auto& c : changes) ids.push_back(c.post.id);
  return ids;
}

// A write of the plan the store refused. A constraint it names is herald's
// fault, not the caller's: reported as internal, never as a bad request.
Status WriteFailed(const Status& error) {
  if (error.code() != Code::kInvalidArgument) return error;
  return Status(Code::kInternal, "the store refused the write: " + error.message());
}

}  // namespace
}  // namespace internal

using internal::IdText;
using internal::RequestOf;
using internal::Stored;
using nlohmann::json;
using scheduler::Decision;
using scheduler::Governor;
using scheduler::Timeline;

Service::Impl::Impl(storage::Store& store, const Clock& clock, std::function<void()> on_changed,
                    ServiceOptions options)
    : store_(store), clock_(clock), on_changed_(std::move(on_changed)), options_(options),
      shared_(store.SharedByProcesses()), pauses_(options.breaker), rng_(std::random_device{}()) {}

const AccountPause* Service::Impl::PauseOf(const std::string& account, Instant now) const {
  return pauses_.Of(account, policies_.ConnectorOf(account), now);
}

bool Service::Impl::SetPause(const internal::PauseKey& key, const AccountPause& pause) {
  if (!pauses_.Set(key, pause)) return false;
  std::string org;
  if (key.kind == internal::PauseKey::Kind::kAccount) {
    auto found = policies_.OrganizationOf(key.name);
    if (!found) return true;
    org = *found;
  }
  // Best effort: the pause holds in this process either way.
  (void)store_.SavePause({org, key.StoreKey(), pause.rule, pause.until, pause.why});
  RecordPauseEvents(key, pause);
  return true;
}

std::vector<scheduler::BlockedSpan> Service::Impl::BlockedOn(const std::string& account) const {
  const AccountPause* pause = PauseOf(account, clock_.Now());
  if (pause == nullptr) return {};
  return {{Instant::min(), pause->until, pause->rule,
           pause->why + "; nothing is sent before " + FormatRfc3339(pause->until)}};
}

Decision Service::Impl::ScheduleOn(const Governor& g, const std::string& account, const Timeline& tl,
                                   const scheduler::PostRequest& request) const {
  return g.Schedule(tl, request, BlockedOn(account));
}

Decision Service::Impl::PlaceAgain(Post& p, const Governor& g, Instant from) {
  book_.Remember(p.id);
  book_.Untrack(p.id);
  Decision d = ScheduleOn(g, p.account, book_.TimelineOf(p.account), RequestOf(p, from));
  p.reasons = Stored(d.reasons);
  p.planned_at = d.planned_at;
  p.state = d.placed() ? PostState::kScheduled : PostState::kRefused;
  telemetry_.CountDecision(p.reasons);
  book_.Track(p);
  return d;
}

std::vector<storage::PostChange> Service::Impl::ReplanAccount(const std::string& account, const std::string& actor,
                                                              const std::string& why) {
  std::vector<PostChange> changes;
  if (policies_.GovernorFor(account) == nullptr) return changes;
  Instant now = clock_.Now();
  std::vector<scheduler::PlanInput> inputs;
  std::vector<Post> posts;  // inputs[i] is posts[i]
  for (const auto& [id, packed] : book_.posts()) {
    if (packed.account() != account) continue;
    Post p = packed.Unpack(id);
    // A post whose write is in flight without the lock keeps its place: its
    // stored version is about to change under a batch written from here.
    bool movable = p.state == PostState::kScheduled && !book_.Writing(id);
    if (!movable && !(HoldsCapacity(p.state) && p.planned_at)) continue;
    scheduler::PlanInput in{.account = account, .post = RequestOf(p, p.requested_at)};
    if (movable) {
      in.previous_at = p.planned_at;
      in.not_before = now;
      in.content_checked = true;
    } else {
      in.fixed_at = p.planned_at;
    }
    inputs.push_back(std::move(in));
    posts.push_back(std::move(p));
  }
  scheduler::BlockedSpans blocked;
  if (auto spans = BlockedOn(account); !spans.empty()) blocked[account] = std::move(spans);
  const std::vector<scheduler::PlanOutput> outputs = policies_.planner().Plan(inputs, blocked);
  const std::string org = policies_.OrganizationOf(account).value_or("");
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].fixed_at) continue;
    const Decision& d = outputs[i].decision;
    std::optional<Instant> old = posts[i].planned_at;
    if (d.placed() && d.planned_at == old) continue;
    Post changed = std::move(posts[i]);
    changed.planned_at = d.planned_at;
    changed.reasons = Stored(d.reasons);
    if (!d.placed()) changed.state = PostState::kRefused;
    json detail = {{"why", why}, {"from", old ? json(FormatRfc3339(*old)) : json(nullptr)}};
    changes.push_back({changed, {Audit(org, actor, d.placed() ? "move" : "refuse", changed, detail)}});
    telemetry_.CountDecision(changed.reasons);
    book_.Remember(changed.id);
    book_.Untrack(changed.id);
    book_.Track(changed);
  }
  return changes;
}

storage::AuditEntry Service::Impl::Audit(const std::string& org, const std::string& actor, std::string action,
                                         const Post& p, json detail) const {
  detail["state"] = PostStateName(p.state);
  if (p.planned_at) detail["planned_at"] = FormatRfc3339(*p.planned_at);
  if (!p.reasons.empty()) {
    detail["reasons"] = internal::ReasonsJson(p.reasons);
    detail["summary"] = internal::Summary(p);
  }
  // A post not stored yet has no id: the store fills it in with the new one.
  std::optional<int64_t> post_id = p.id != 0 ? std::optional<int64_t>(p.id) : std::nullopt;
  storage::AuditEntry entry{0, org, clock_.Now(), actor, std::move(action), post_id, {}, {}};
  // Packed here, on the caller's thread, not on the store's single writer.
  storage::SetAuditDetail(entry, detail);
  return entry;
}

Result<Post> Service::Impl::Load(const Caller& caller, int64_t id) {
  if (auto p = book_.Find(id)) {
    if (p->organization != caller.organization) return NotFound("no post " + IdText(id));
    return std::move(*p);
  }
  return store_.GetPost(caller.organization, id);
}

Result<void> Service::Impl::Persist(std::vector<PostChange> changes) {
  auto undo = book_.TakeUndo();
  if (changes.empty()) return {};
  std::vector<int64_t> ids = internal::IdsOf(changes);
  auto stored = store_.UpdatePosts(std::move(changes));
  if (!stored) {
    book_.RollBack(undo);
    Reload(ids, stored.error());
    return std::unexpected(internal::WriteFailed(stored.error()));
  }
  for (const auto& p : *stored) AfterWrite(p);
  return {};
}

Result<void> Service::Impl::PersistUnlocked(std::unique_lock<std::mutex>& lock, std::vector<PostChange> changes,
                                            const std::vector<Post>& originals) {
  auto undo = book_.TakeUndo();
  if (changes.empty()) return {};
  std::vector<int64_t> ids = internal::IdsOf(changes);
  book_.BeginWrite(ids);
  lock.unlock();
  auto stored = store_.UpdatePosts(std::move(changes));
  lock.lock();
  book_.EndWrite(ids);
  if (!stored) {
    book_.RollBack(undo);
    for (const auto& o : originals) {
      book_.Untrack(o.id);
      book_.Track(o);
    }
    Reload(ids, stored.error());
    return std::unexpected(internal::WriteFailed(stored.error()));
  }
  for (const auto& p : *stored) AfterWrite(p);
  return {};
}

// Put back as they were, posts whose stored version moved on would be refused
// the same way at every later try. Called after the rollback: a post memory
// does not hold has no stale copy.
void Service::Impl::Reload(const std::vector<int64_t>& ids, const Status& error) {
  if (error.code() != Code::kFailedPrecondition) return;
  for (int64_t id : ids) {
    std::optional<Post> held = book_.Find(id);
    if (!held) continue;
    auto stored = store_.GetPost(held->organization, id);
    if (!stored) continue;  // the store fails again: the rolled-back copy stays
    if (held->version >= stored->version) continue;
    spdlog::warn("post {}: memory was at version {}, the store at {}; taking the stored post", id, held->version,
                 stored->version);
    book_.Untrack(id);
    if (!IsFinal(stored->state) || stored->state == PostState::kPublished) book_.Track(*stored);
  }
}

void Service::Impl::AfterWrite(const Post& p) {
  int64_t& cursor = cursors_[p.account];
  cursor = std::max(cursor, p.change_seq);
  if (IsFinal(p.state) && p.state != PostState::kPublished) {
    book_.Untrack(p.id);
  } else {
    book_.Stamp(p.id, p.version, p.change_seq);
  }
}

}  // namespace herald::runtime
