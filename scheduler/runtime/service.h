// Service: herald's application core behind the HTTP API and the CLI. It owns
// the workflow of SPEC §3/§4 (create, edit, approve, reject, cancel; roles,
// four-eyes, urgent priority, idempotency), asks the governor for every time,
// writes through the Store before answering, and tells the Runtime when the
// plan changed. Organisation isolation is enforced here: every call takes the
// caller, and another organisation's things are NotFound, never Forbidden.
//
// Thread-safe: the HTTP server calls it from many threads. One mutex guards the
// in-memory plan; store writes happen under it so the plan and the database
// never disagree, and the store groups concurrent commits.
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

#include "core/post.h"
#include "connectors/backoff.h"
#include "connectors/circuit_breaker.h"
#include "connectors/connector.h"
#include "core/media_source.h"
#include "core/status.h"
#include "policies/policy.h"
#include "scheduler/governor.h"
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

struct CreatePostRequest {
  std::string account;
  std::string text;
  std::optional<Instant> at;  // absent: as soon as allowed
  std::vector<std::string> labels;
  PostPriority priority = PostPriority::kNormal;
  std::vector<Media> media;
  std::optional<std::string> idempotency_key;
  std::string request_hash;  // SHA-256 hex of the canonical body, with a key
};

struct CreatePostResult {
  Post post;
  int http_status = 201;  // 201 created; 422 refused by a rule (post stored as refused); 200 idempotent replay
};

// PATCH: only the fields that are set change.
struct EditPostRequest {
  std::optional<std::string> text;
  std::optional<Instant> at;
  std::optional<std::vector<std::string>> labels;
};

struct CapUsage {
  std::string rule;    // "3 per day", "x: 200 per 15m"
  int used = 0;        // posts in the current window / period
  int max = 0;
};

// Why nothing is sent on an account before `until`: a platform's rate limit or
// an open circuit breaker.
struct AccountPause {
  std::string rule;  // "rate_limit" | "circuit_open"
  Instant until;
  std::string why;
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
};

struct PolicyView {
  std::string organization;
  std::string sha256;
  std::string source;
  Instant loaded_at;
  std::vector<std::string> last_reload_errors;  // FILE:LINE:COL lines; empty when the last reload was clean
};

struct Health {
  bool ok = true;
  std::vector<std::string> problems;
};

// Cumulative histogram buckets in seconds, Prometheus style.
struct Histogram {
  static constexpr std::array<double, 11> kBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30};
  std::array<int64_t, 11> buckets{};  // observations <= kBounds[i]
  int64_t count = 0;
  double sum = 0;
  void Observe(double seconds) {
    for (size_t i = 0; i < kBounds.size(); ++i)
      if (seconds <= kBounds[i]) ++buckets[i];
    ++count;
    sum += seconds;
  }
};

// One connector type's publishes, for /metrics.
struct ConnectorMetrics {
  std::map<std::string, int64_t> publishes_by_outcome;  // published, retry_later, failed, unknown, paused
  Histogram latency_seconds;
  int64_t rate_limit_hits = 0;     // answers that said a limit was hit (429 and the like)
  int64_t breaker_openings = 0;    // times its breaker (or an account's on it) opened
  bool breaker_open = false;       // the connector-wide breaker, now
  int accounts_breaker_open = 0;   // accounts on it whose own breaker is open now
};

// What the runtime and /metrics need to know, by organisation-independent totals.
struct Metrics {
  std::map<std::string, ConnectorMetrics> connectors;  // by connector type
  Histogram publish_latency_seconds;  // connector call duration
  Histogram lateness_seconds;         // planned time -> publish started
  std::map<std::string, int64_t> publishes_by_outcome;        // published, retry_later, failed, unknown
  std::map<std::string, int64_t> connector_errors_by_kind;    // retry_later, failed, unknown, no_connector
  std::map<std::string, int64_t> posts_by_state;
  std::map<std::string, int64_t> decisions_by_rule;  // every rule that deferred or refused a post
  int64_t oldest_overdue_seconds = 0;                // due and not fired
};

// Wall time for the service and runtime; the real one lives in the composition
// root, tests use a fake that moves only when told.
class Clock {
 public:
  virtual ~Clock() = default;
  // Whole seconds (the governor's resolution).
  virtual Instant Now() const = 0;
  // With sub-second precision, for arming timers.
  virtual std::chrono::system_clock::time_point NowPrecise() const { return Now(); }
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
  // Internal hosts and networks a post's media may name (server config
  // media_allow); any other literal internal address is refused at create.
  MediaAllowList media_allow;
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
  Result<Post> GetPost(const Caller& caller, int64_t id);
  Result<std::vector<Post>> ListPosts(const Caller& caller, storage::PostQuery query);
  Result<Post> EditPost(const Caller& caller, int64_t id, const EditPostRequest& request);
  // `note` (optional) is kept in the audit entry.
  Result<Post> Approve(const Caller& caller, int64_t id, const std::string& note = "");
  Result<Post> Reject(const Caller& caller, int64_t id, const std::string& note);
  Result<Post> Cancel(const Caller& caller, int64_t id, const std::string& note);

  Result<std::vector<AccountView>> Accounts(const Caller& caller);
  // The next `count` instants at which a normal post without labels could be
  // placed on this account, from `after` (default: now).
  Result<std::vector<Instant>> Slots(const Caller& caller, const std::string& account, int count,
                                     std::optional<Instant> after);
  Result<PolicyView> Policy(const Caller& caller);
  Result<std::vector<storage::AuditEntry>> Audit(const Caller& caller, storage::AuditQuery query);

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
  // Settles a publish: published (remote id/url), failed, unconfirmed, or
  // back to scheduled: at `retry_at`, or after a backoff for a transient
  // failure (failed once the backoff's attempts are spent). A `hold` pauses the
  // whole account until it ends: its scheduled posts move past it, with a
  // rate_limit reason. Transient failures and unknown outcomes count against
  // the account's and the connector's circuit breakers; a success resets them.
  Result<Post> Settle(int64_t id, const connectors::PublishResult& outcome);
  // Posts left `publishing` by a crash, for the runtime to resolve at start
  // (on a shared store: only this process's own; others' come from Maintain).
  std::vector<Post> InFlight();
  // Periodic upkeep, off the event loop. On a shared store: renews this
  // process's lease, catches up with every account, and takes over the claims
  // of processes whose lease ended; those are returned for the runtime to
  // resolve like InFlight (ask the platform, never re-send blindly).
  // Elsewhere: nothing.
  Result<std::vector<Post>> Maintain();

  // The runtime's event loop calls this on every tick; /healthz fails when the
  // last one is older than `max_silence`.
  void Heartbeat(Instant now);
  // The runtime reports each publish of a post on `account`: how late it
  // started, how long the connector took, and what came of it ("published",
  // "retry_later", ...).
  void RecordPublish(const std::string& account, std::optional<double> lateness_seconds, double latency_seconds,
                     const std::string& outcome);
  // How many times this post has been handed to a connector in this process
  // (1 on the first publish).
  int Attempt(int64_t id);
  Health CheckHealth(Duration max_silence = std::chrono::seconds{10});
  Metrics CurrentMetrics();

  class Impl;  // defined in service.cpp

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace herald::runtime
