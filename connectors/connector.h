// Connector: how a post reaches a platform (docs/connectors.md). One implementation per
// platform, created by name from the account's `connector:` settings through
// ConnectorRegistry. Publish and Lookup block (network, fsync) and are called on
// worker threads, never on the runtime's event loop; an implementation must be
// safe to call from several threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/http_client.h"
#include "core/engagement.h"
#include "core/inbox.h"
#include "core/post.h"
#include "core/status.h"
#include "core/time.h"
#include "policies/policy.h"

namespace herald::connectors {

struct PublishRequest {
  int64_t post_id = 0;
  std::string organization;
  std::string account;
  std::string platform;
  std::string text;
  std::vector<std::string> labels;
  std::vector<Media> media;
  Instant planned_at;
  Instant now;                  // when the publish starts (from the runtime's clock)
  std::string idempotency_key;  // stable across retries of this post: "<org>-<id>"
  Instant created_at;           // the post's creation, stable across retries
  int attempt = 1;              // 1 for the first try of this post in this process
  // The account's OAuth access token when it is connected (oauth/), used
  // instead of the connector's static token. Never logged.
  std::optional<std::string> access_token;
  // Set when this post answers an inbox item: the item's InboxMessage::reply_ref,
  // as this connector wrote it when it read the item. The connector publishes
  // the text as a threaded reply to it.
  std::optional<std::string> reply_to;
};

// A limit the platform reported: nothing more should be sent on this account
// before `until`. The governor then plans the account's next posts after it.
struct RateLimitHold {
  Instant until;
  std::string why;  // "mastodon: X-RateLimit-Reset 2026-11-23T10:15:00Z (0 of 300 left)"
  // The pause's rule: a platform's limit, or an account that must be
  // connected again (oauth/) before anything is sent on it.
  std::string rule = "rate_limit";
};

struct PublishResult {
  enum class Kind {
    kPublished,   // remote_id, remote_url
    kRetryLater,  // retry_at, why (rate limit, transient failure)
    kFailed,      // why; permanent, do not retry
    kUnknown,     // why; the outcome cannot be known: never re-send blindly
  };
  Kind kind = Kind::kPublished;
  std::string remote_id;
  std::string remote_url;
  std::optional<Instant> retry_at;  // kRetryLater: not before; nullopt = the runtime's backoff decides
  std::string why;
  // Set on a 429 or throttle answer (with kRetryLater), and on a success whose
  // answer said no request remains before a reset (with kPublished).
  std::optional<RateLimitHold> hold;
  int http_status = 0;  // of the answer that decided, 0 when there was none
  // The platform said the access token is not (or no longer) valid: HTTP 401,
  // or Graph's error code 190 (which Meta answers with HTTP 400). A connected
  // account (oauth/) then needs reconnecting.
  bool token_refused = false;
  // false: herald never handed the post to the platform (it was stopping);
  // not an attempt, and says nothing about the platform's health.
  bool attempted = true;
  // Lookup's kFailed, when it means "safe to send again" only because the
  // platform still remembers the idempotency key: the send must come before
  // this, or it may publish a second copy.
  std::optional<Instant> resend_by;
};

// A published post whose engagement is read back (Connector::ReadEngagement).
struct EngagementRequest {
  int64_t post_id = 0;
  std::string organization;
  std::string account;
  std::string remote_id;   // as the publish returned it
  std::string remote_url;
  Instant now;
  // The connected account's OAuth access token (GrantedConnector), used
  // instead of the connector's static token; nullopt: the static token.
  std::optional<std::string> access_token;
};

struct EngagementResult {
  enum class Kind {
    kRead,          // counts: what the platform reports (absent = not exposed)
    kGone,          // the platform no longer has the post (deleted): stop reading it
    kRetryLater,    // a rate limit or a transient failure: retry_at when the platform said
    kFailed,        // refused for good (credentials, an unreadable answer): skip this read
    kNotSupported,  // this connector cannot read engagement
  };
  Kind kind = Kind::kNotSupported;
  EngagementCounts counts;
  std::optional<Instant> retry_at;  // kRetryLater: not before; nullopt = the reader's backoff decides
  std::string why;
  int http_status = 0;  // of the answer that decided, 0 when there was none
  // The answer said the account's request budget is (nearly) spent until
  // then: no further read on the account before it, so publishing keeps what
  // is left (platform_http.h, ReadsHoldAfterSuccess).
  std::optional<Instant> hold_until;
};

// One read of an account's inbox (Connector::ReadInbox).
struct InboxReadRequest {
  std::string organization;
  std::string account;
  // Where the previous read stopped, as the connector returned it
  // (InboxReadResult::cursor); empty for the first read.
  std::string cursor;
  // The remote ids of the account's recently published posts, newest first,
  // for platforms that are read per post (comments under a Facebook, Instagram
  // or Threads post).
  std::vector<std::string> recent_posts;
  Instant now;
  std::optional<std::string> access_token;  // as EngagementRequest::access_token
};

struct InboxReadResult {
  enum class Kind { kRead, kRetryLater, kFailed, kNotSupported };
  Kind kind = Kind::kNotSupported;
  // kRead: the items newer than the cursor, oldest first, at most one page
  // (the reader asks again when `more` is set).
  std::vector<InboxMessage> items;
  std::string cursor;  // kRead: where the next read starts (stored by the caller)
  bool more = false;   // kRead: another page is waiting now
  std::optional<Instant> retry_at;
  std::string why;
  int http_status = 0;
  std::optional<Instant> hold_until;  // as EngagementResult::hold_until
};

class Connector {
 public:
  virtual ~Connector() = default;
  virtual PublishResult Publish(const PublishRequest& request) = 0;
  // After a crash: did this post reach the platform? kPublished when it did,
  // kFailed when it certainly did not (safe to publish; until `resend_by` when
  // set), nullopt when the platform cannot tell (the post becomes unconfirmed).
  virtual std::optional<PublishResult> Lookup(const PublishRequest& request) = 0;
  // Whether Lookup can ever answer: false for a platform that offers no way to
  // find a post again (Lookup always nullopt by design). An unconfirmed post
  // is re-checked later only through a connector that can answer.
  virtual bool AnswersLookup() const { return true; }
  // Reads the counts the platform exposes for a published post, with the
  // account's credentials; one request (plus a session renewal where the
  // platform needs one). Safe to repeat: it changes nothing on the platform.
  virtual EngagementResult ReadEngagement(const EngagementRequest&) {
    return {EngagementResult::Kind::kNotSupported, {}, std::nullopt, "engagement is not available on this platform", 0};
  }
  // Whether ReadEngagement can ever answer something other than kNotSupported.
  virtual bool ReadsEngagement() const { return false; }
  // Reads what people wrote to the account since `cursor` (replies, mentions,
  // quotes, comments): one page. Safe to repeat; changes nothing remotely.
  virtual InboxReadResult ReadInbox(const InboxReadRequest&) {
    InboxReadResult r;
    r.why = "the inbox is not read on this platform";
    return r;
  }
  // Whether ReadInbox can ever answer something other than kNotSupported, and
  // whether Publish honours PublishRequest::reply_to.
  virtual bool ReadsInbox() const { return false; }
};

// What a connector may use besides its settings: the daemon's outbox folder,
// how to read a secret reference (the composition root reads the environment
// and files, nobody else), and the HTTP client's timeouts.
struct ConnectorContext {
  std::string outbox_dir;
  std::function<Result<std::string>(const policies::SecretRef&)> resolve_secret;
  HttpClientOptions http;
};

using ConnectorFactory =
    std::function<Result<std::unique_ptr<Connector>>(const policies::ConnectorConfig&, const ConnectorContext&)>;

// Connectors by name. Built once in the composition root; read-only afterwards.
class ConnectorRegistry {
 public:
  void Register(std::string name, ConnectorFactory factory);
  bool Has(const std::string& name) const;
  Result<std::unique_ptr<Connector>> Create(const policies::ConnectorConfig& config,
                                            const ConnectorContext& context) const;

  // Every connector herald ships, registered.
  static ConnectorRegistry Builtin();

 private:
  std::map<std::string, ConnectorFactory> factories_;
};

}  // namespace herald::connectors
