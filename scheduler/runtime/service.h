// Service: herald's application core behind the HTTP API and the CLI. It owns
// the workflow (create, edit, approve, reject, cancel; roles, four-eyes, urgent
// priority, idempotency), asks the governor for every time, writes through the
// Store before answering, and tells the Runtime when the plan changed.
// Organisation isolation is enforced here: every call takes the caller, and
// another organisation's things are NotFound, never Forbidden.
//
// Thread-safe: the HTTP server calls it from many threads. One mutex guards the
// in-memory plan; store writes happen under it so the plan and the database
// never disagree, and the store groups concurrent commits. The parts behind it
// and the lock discipline are described in internal/service_impl.h.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/engagement.h"
#include "core/input_limits.h"
#include "core/post.h"
#include "connectors/backoff.h"
#include "connectors/circuit_breaker.h"
#include "connectors/connector.h"
#include "core/media_source.h"
#include "core/status.h"
#include "policies/policy.h"
#include "scheduler/closed_spans.h"
#include "scheduler/engagement_schedule.h"
#include "scheduler/governor.h"
#include "scheduler/recheck_schedule.h"
#include "scheduler/runtime/metrics.h"
#include "scheduler/timeline.h"
#include "storage/store.h"

namespace herald::runtime {

enum class Role { kViewer, kEditor, kManager, kAdmin };
std::string_view RoleName(Role r);
std::optional<Role> ParseRole(std::string_view name);

// Who is calling: from a verified bearer token.
struct Caller {
  std::string organization;
  std::string name;
  Role role = Role::kViewer;
};

// What makes a create a reply to an inbox item (Service::ReplyToInboxItem
// fills it in; the API never takes it from a body).
struct ReplyTarget {
  int64_t item = 0;        // the inbox item answered
  std::string reply_ref;   // its InboxMessage::reply_ref
  bool approval = true;    // its department's `approval`: the reply waits for an approver
};

struct CreatePostRequest {
  std::string account;
  std::string text;
  std::optional<Instant> at;  // absent: as soon as allowed
  std::vector<std::string> labels;
  PostPriority priority = PostPriority::kNormal;
  std::vector<Media> media;
  std::optional<std::string> idempotency_key;
  std::string request_hash;  // SHA-256 hex of the canonical body, with a key
  std::optional<ReplyTarget> reply;  // set for a reply only (Service::ReplyToInboxItem)
};

// What became of a create. A refused post is stored too (state refused, with
// the rules' reasons), but a refused reply is not (its post has id 0); a
// replay answers an Idempotency-Key seen before with the post that key
// created, and changes nothing.
enum class CreateOutcome { kCreated, kRefused, kReplayed };

struct CreatePostResult {
  Post post;
  CreateOutcome outcome = CreateOutcome::kCreated;
};

// PATCH: only the fields that are set change.
struct EditPostRequest {
  std::optional<std::string> text;
  std::optional<Instant> at;
  std::optional<std::vector<std::string>> labels;
};

// A dry run: what would happen to an existing post (`post_id`, changed by
// `change`) or to a new one (`post`), without storing or moving anything.
struct WhatIfRequest {
  std::optional<int64_t> post_id;
  EditPostRequest change;   // with post_id
  CreatePostRequest post;   // without post_id
};

struct CapUsage {
  std::string rule;    // "3 per day", "x: 200 per 15m"
  int used = 0;        // posts in the current window / period
  int max = 0;
};

// Why nothing is sent on an account before `until`: a platform's rate limit,
// an open circuit breaker, or an OAuth account that must be connected (again).
struct AccountPause {
  std::string rule;  // "rate_limit" | "circuit_open" | "needs_reconnect" | "not_connected" | "token_unavailable"
  Instant until;
  std::string why;
};

// An account connected by OAuth (oauth/), or meant to be (auth: oauth): its
// grant as the store shows it, without a token.
struct AccountConnection {
  // connected | expires_soon (inside its refresh window and not refreshed:
  // no refresh token, or refreshes failing) | expired (nothing is published
  // until a refresh or a new connect) | needs_reconnect (the platform refused
  // it) | not_connected (auth: oauth, never connected)
  std::string state;
  std::optional<Instant> expires_at;  // of the access token
  std::string why;                    // needs_reconnect: what the platform answered; expired: when
};

struct AccountView {
  std::string id;
  std::string platform;
  std::string handle;
  std::string timezone;
  std::vector<CapUsage> usage;
  std::map<std::string, int> posts_by_state;
  std::string connector;                 // connector type
  std::string breaker = "closed";        // the account's breaker: closed | open | half_open
  std::string connector_breaker = "closed";  // the breaker of its connector (all accounts)
  std::optional<AccountPause> paused;    // while in force
  std::optional<AccountConnection> connection;  // none: not connected by OAuth
};

struct PolicyView {
  std::string organization;
  std::string sha256;
  std::string source;
  Instant loaded_at;
  std::vector<std::string> last_reload_errors;  // FILE:LINE:COL lines; empty when the last reload was clean
};

// A published post's engagement series (GET /v1/posts/{id}/engagement).
struct EngagementSeries {
  int64_t post_id = 0;
  std::string account;
  std::string platform;
  std::optional<Instant> published_at;
  std::vector<EngagementRead> reads;  // oldest first
  // The counts this platform does not expose: those missing from the latest
  // read, or the platform's documented gaps before the first read.
  std::vector<EngagementMetric> not_available;
  std::optional<Instant> next_read;  // nullopt: no read is left (or the post is gone, or reads are off)
  bool gone = false;                 // the platform no longer has the post
};

// GET /v1/engagement: rollups over posts published in [from, to).
struct EngagementRollupRequest {
  std::optional<std::string> account;
  std::optional<std::string> label;  // only posts with this label
  std::optional<Instant> from;       // default: 30 days before `to`
  std::optional<Instant> to;         // default: now
};

struct EngagementRollupView {
  Instant from;
  Instant to;
  // Labels that make a post promotional: promo, promotional, and every label
  // a `mix` rule of the organisation's policy bounds.
  std::vector<std::string> promotional_labels;
  EngagementRollup rollup;
};

// GET /v1/inbox (docs/inbox.md).
struct InboxListRequest {
  std::optional<std::string> department;
  std::optional<InboxState> state;
  std::optional<std::string> account;
  bool overdue = false;  // only items open or assigned past their answer target
  int64_t before_id = 0; // the cursor: items older than this one
  int limit = 50;        // 1..200
};

// An inbox item as a caller sees it.
struct InboxItemView {
  storage::InboxItem item;
  bool overdue = false;
  bool may_answer = false;  // the caller's role or token may answer its department
  // The latest reply (item.reply_post_id): its state and, when it ended
  // without being published, why.
  std::optional<PostState> reply_state;
  std::string reply_failure;
};

// One publish outcome to settle (Service::SettleMany).
struct SettleRequest {
  int64_t id = 0;
  connectors::PublishResult outcome;
  bool answers_lookup = true;  // whether the post's connector can be asked later
};

struct ServiceOptions {
  connectors::Backoff backoff;          // transient publish failures
  connectors::BreakerOptions breaker;   // per account and per connector type
  // This process, as named in the claims it makes (Post::claimed_by).
  std::string process = "herald";
  // On a store shared by several processes: how long this process's claims
  // stay its own without a renewal (Maintain renews; the runtime calls it
  // every few seconds, RuntimeOptions::maintain_every).
  Duration lease{std::chrono::seconds{15}};
  // How far ahead `at` may be, how long a text, which labels (create, edit).
  InputLimits limits;
  // Internal hosts and networks a post's media may name (server config
  // media_allow); any other literal internal address is refused at create.
  MediaAllowList media_allow;
  // When an unconfirmed post is asked about again (server config recheck).
  scheduler::RecheckSchedule recheck = scheduler::RecheckSchedule::Default();
  // When published posts' engagement is read (server config engagement);
  // empty ages when reading is off.
  scheduler::EngagementSchedule engagement = scheduler::EngagementSchedule::Default();
};

class Service {
 public:
  // `policies`: the active policy of every organisation. `on_plan_changed` is
  // called (outside the lock) whenever a post's planned time or state changed,
  // so the runtime can re-arm its timer.
  Service(storage::Store& store, const Clock& clock, std::vector<policies::Policy> policies,
          std::function<void()> on_plan_changed, ServiceOptions options = {});

  // Loads the posts from the store and builds the plan. Call once before use.
  Result<void> Start();

  Result<CreatePostResult> CreatePost(const Caller& caller, const CreatePostRequest& request);
  // What CreatePost checks before placing: the caller's role, the input
  // limits, the media URLs. OK when a create would get as far as the governor.
  Status CheckCreate(const Caller& caller, const CreatePostRequest& request) const;
  Result<Post> GetPost(const Caller& caller, int64_t id);
  Result<std::vector<Post>> ListPosts(const Caller& caller, storage::PostQuery query);
  Result<Post> EditPost(const Caller& caller, int64_t id, const EditPostRequest& request);
  // `note` (optional) is kept in the audit entry.
  Result<Post> Approve(const Caller& caller, int64_t id, const std::string& note = "");
  Result<Post> Reject(const Caller& caller, int64_t id, const std::string& note);
  Result<Post> Cancel(const Caller& caller, int64_t id, const std::string& note);

  // The governor's decision for the post of `request` as it would be made
  // now, changing nothing. NotFound for another organisation's post or account.
  Result<scheduler::Decision> WhatIf(const Caller& caller, const WhatIfRequest& request);
  // The decisions creating `posts` one after another would get now: each is
  // checked as CreatePost checks it and placed on copies of the timelines
  // that hold the earlier ones, so together they say whether the whole batch
  // would be accepted. Changes nothing.
  std::vector<Result<scheduler::Decision>> WhatIfBatch(const Caller& caller,
                                                      const std::vector<CreatePostRequest>& posts);

  Result<std::vector<AccountView>> Accounts(const Caller& caller);
  // The platform of `account`, which the caller may connect by OAuth:
  // PermissionDenied below manager; NotFound for another organisation's account.
  Result<std::string> ConnectableAccount(const Caller& caller, const std::string& account);
  // `account`'s connector settings, where an OAuth connect finds the
  // account's server (Mastodon's base_url) or its Page (Meta's page_id,
  // user_id). NotFound when `organization` has no such account.
  Result<policies::ConnectorConfig> ConnectorOf(const std::string& organization, const std::string& account);
  // `account` was just connected (OAuth): the hold its missing or refused
  // connection put on it (needs_reconnect, not_connected, token_unavailable)
  // ends now in this process, and its posts are placed again, so those that
  // waited go at once. Another process sharing the store keeps its copy of
  // the hold until it ends (at most the connector's retry interval). NotFound
  // when `organization` has no such account; the store's errors.
  Result<void> AccountConnected(const std::string& organization, const std::string& account);
  // The next `count` instants at which a normal post without labels could be
  // placed on this account, from `after` (default: now).
  // The spans in [from, to) in which the account's quiet hours, posting days
  // and blackouts allow nothing (at most 62 days: InvalidArgument beyond).
  // NotFound for another organisation's account.
  Result<std::vector<scheduler::ClosedSpan>> ClosedSpans(const Caller& caller, const std::string& account, Instant from,
                                                         Instant to);
  Result<std::vector<Instant>> Slots(const Caller& caller, const std::string& account, int count,
                                     std::optional<Instant> after);
  Result<PolicyView> Policy(const Caller& caller);
  // A post's engagement series. NotFound for another organisation's post.
  Result<EngagementSeries> Engagement(const Caller& caller, int64_t id);
  // Interaction per post over a period, per account and label, promotional
  // against the rest. NotFound for another organisation's account;
  // InvalidArgument when `to` is not after `from` or the span passes 366 days.
  Result<EngagementRollupView> Engagement(const Caller& caller, const EngagementRollupRequest& request);
  Result<std::vector<storage::AuditEntry>> Audit(const Caller& caller, storage::AuditQuery query);

  // ---- The inbox (service_inbox.cpp; docs/inbox.md) ----
  // Items of the caller's organisation in the departments its role or token
  // may read, newest first. PermissionDenied when `department` is one it may
  // not read; NotFound for another organisation's account.
  Result<std::vector<InboxItemView>> Inbox(const Caller& caller, const InboxListRequest& request);
  // NotFound for another organisation's item; PermissionDenied when the
  // caller may not read its department.
  Result<InboxItemView> GetInboxItem(const Caller& caller, int64_t id);
  // State changes, audited; each needs the right to answer the department
  // (PermissionDenied). Assign: open or assigned -> assigned to `to`.
  // Dismiss: open or assigned -> dismissed. Reopen: dismissed -> open.
  // FailedPrecondition from any other state, or when the item changed meanwhile.
  Result<InboxItemView> AssignInboxItem(const Caller& caller, int64_t id, const std::string& to);
  Result<InboxItemView> DismissInboxItem(const Caller& caller, int64_t id, const std::string& note);
  Result<InboxItemView> ReopenInboxItem(const Caller& caller, int64_t id);
  // Answers the item (service_reply.cpp; docs/inbox.md, "Answering"): a
  // post of kind reply on the item's account, created as CreatePost creates
  // one (`request`'s text, media and Idempotency-Key; its account is the
  // item's) with the department's approval. NotFound for another
  // organisation's item; PermissionDenied without the right to answer the
  // department; FailedPrecondition for a dismissed item (or one the platform
  // gave no way to answer); a reply the content rules refuse is not stored
  // (CreateOutcome::kRefused, with the reasons).
  Result<CreatePostResult> ReplyToInboxItem(const Caller& caller, int64_t id, CreatePostRequest request);
  // What the runtime's InboxReader needs: every account a policy names, with
  // its organisation; an organisation's routing (the default one without an
  // `inbox:` section); and a count of each read (outcome: read, failed,
  // retry_later; `items` newly stored).
  std::vector<std::pair<std::string, std::string>> InboxAccounts();
  policies::InboxRouting InboxRoutingOf(const std::string& organization);
  void RecordInboxRead(const std::string& platform, const std::string& outcome, int64_t items);
  // The inbox's aggregates for /metrics at `now`: items by organisation,
  // department and state, and those overdue (RecordInboxOverdue tells each
  // item that becomes overdue as an event).
  void AddInboxMetrics(Metrics& metrics, Instant now);

  // Replaces the policies (a reload). Organisations whose file failed keep their
  // previous policy: pass their errors in `errors_by_org`. Re-plans and audits moves.
  Result<void> ReplacePolicies(std::vector<policies::Policy> policies,
                               std::map<std::string, std::vector<std::string>> errors_by_org);

  // Runtime side. Posts due at or before `now` move to publishing (durably) and
  // are returned; the re-check against what was actually published may defer
  // them instead (with reasons), and so does a pause of the account (a rate
  // limit in force, an open breaker): nothing reaches a connector before it
  // ends. Posts later than missed_after become missed.
  Result<std::vector<Post>> ClaimDue(Instant now);
  // The earliest planned time of a scheduled post, if any.
  std::optional<Instant> NextDue();
  // How many scheduled posts are planned at or before `until`, counting no
  // further than `cap`.
  size_t CountDue(Instant until, size_t cap);
  // Settles a publish: published (remote id/url), failed, unconfirmed, or
  // back to scheduled: at `retry_at`, or after a backoff for a transient
  // failure (failed once the backoff's attempts are spent). A `hold` pauses the
  // whole account until it ends: its scheduled posts move past it, with the
  // hold's rule (rate_limit, or needs_reconnect for an OAuth account).
  // Transient failures and unknown outcomes count against the account's and
  // the connector's circuit breakers; a success resets them.
  // A post left unconfirmed is re-checked later (ClaimRechecks) when its
  // connector `answers_lookup`; otherwise its reason says it never will be.
  Result<Post> Settle(int64_t id, const connectors::PublishResult& outcome, bool answers_lookup = true);
  // Settle for many outcomes, written in one transaction; on a shared store
  // their accounts are locked in one statement (those another process holds
  // at that moment are settled one by one afterwards, waiting for the lock).
  // One result per request, in order, each what Settle would return. A batch
  // whose write failed leaves nothing of it stored and is settled again one
  // by one, so each outcome gets its own answer.
  std::vector<Result<Post>> SettleMany(const std::vector<SettleRequest>& requests);
  // Unconfirmed posts whose next re-check is due at `now`, claimed for this
  // process: their next check moves a lease ahead, durably, so no other
  // process asks at the same time (a check not settled by then runs again).
  // Posts of a paused account (rate limit, open breaker) wait for its end.
  // Errors: the store's (Unavailable and the like; retry later).
  Result<std::vector<Post>> ClaimRechecks(Instant now);
  // Settles one claimed re-check: `found` is the connector's Lookup answer.
  // Published when the platform shows the post; planned again as after a
  // crash (or failed, or missed, with the reason) when it certainly does not
  // have it; otherwise the next check, or none after the last: it then stays
  // unconfirmed for good. Each check is audited ("recheck").
  // FailedPrecondition when the post changed since `claimed` (another
  // process settled it); NotFound when it is gone.
  Result<Post> SettleRecheck(const Post& claimed, const std::optional<connectors::PublishResult>& found);
  // The engagement read schedule (ServiceOptions::engagement).
  const scheduler::EngagementSchedule& engagement_schedule() const;
  // Until when nothing may be sent on the account (a rate limit in force, an
  // open breaker of the account or its connector): reads wait too. nullopt
  // when nothing holds it at `now`.
  std::optional<Instant> PausedUntil(const std::string& account, Instant now);
  // The platform of an account (empty when no policy names it).
  std::string PlatformOf(const std::string& account);
  // The runtime reports each engagement read: its account's platform and what
  // came of it ("read", "gone", "failed", "retry_later").
  void RecordEngagementRead(const std::string& platform, const std::string& outcome);
  // Posts left `publishing` by a crash, for the runtime to resolve at start
  // (on a shared store: only this process's own; others' come from Maintain).
  std::vector<Post> InFlight();
  // Periodic upkeep, off the event loop. Hourly, forgets published posts no
  // rule looks back at any more. On a shared store also: renews this
  // process's lease, catches up with every account, and takes over the claims
  // of processes whose lease ended; those are returned for the runtime to
  // resolve like InFlight (ask the platform, never re-send blindly).
  Result<std::vector<Post>> Maintain();

  // Events (docs/events.md). ------------------------------------------------

  // The subscriptions of the organisation's active policy (none when it has
  // no policy).
  std::vector<policies::EventSubscription> Subscriptions(const std::string& organization);
  // Records account.resumed for every pause that ended by `now` (each once).
  // The dispatcher calls it every round. Errors: the store's.
  Result<void> RecordResumes(Instant now);
  // Records inbox.item_overdue for each item whose answer target passed since
  // the previous call (after a start: every item whose target passed within
  // `look_back`, as older events may have been forgotten); an item's event
  // has one id, so several daemons, or a repeat, record it once.
  Result<void> RecordInboxOverdue(Instant now, Duration look_back);
  // The caller's organisation's events and deliveries (any role).
  // InvalidArgument for a limit outside 1..1000.
  Result<std::vector<storage::Event>> Events(const Caller& caller, storage::EventQuery query);
  Result<std::vector<storage::EventDelivery>> Deliveries(const Caller& caller, storage::DeliveryQuery query);
  // Makes a delivery pending again, due now. PermissionDenied below manager;
  // NotFound for another organisation's delivery.
  Result<storage::EventDelivery> RetryDelivery(const Caller& caller, int64_t id);

  // The runtime's event loop calls this on every tick; /healthz fails when the
  // last one is older than `max_silence`.
  void Heartbeat(Instant now);
  // The runtime reports each publish of a post on `account`: how late it
  // started, how long the connector took, and what came of it.
  void RecordPublish(const std::string& account, std::optional<double> lateness_seconds, double latency_seconds,
                     PublishOutcome outcome);
  // How many times this post has been handed to a connector in this process
  // (1 on the first publish).
  int Attempt(int64_t id);
  // A platform answered 401 or 403 to a request made with the account's
  // credentials (a publish, a read): records account.credentials_broken,
  // once per `key` (the request that was refused).
  void ReportCredentialsRefused(const std::string& account, int http_status, const std::string& why,
                                const std::string& key);
  // The event dispatcher reports each delivery attempt's outcome (/metrics).
  void RecordEventDelivery(const std::string& outcome);
  Health CheckHealth(Duration max_silence = std::chrono::seconds{10});
  Metrics CurrentMetrics();

  class Impl;  // internal/service_impl.h

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace herald::runtime
