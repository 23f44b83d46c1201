// MastodonFake: a Mastodon instance's posting API (docs.joinmastodon.org) on a
// FakeServer: POST /api/v1/statuses (form or JSON) honouring Idempotency-Key
// like the server (the same key returns the same status, no second post),
// POST /api/v2/media (multipart `file` + `description`), GET /api/v1/media/:id,
// and images to download under /images/. Bearer token check (401 with
// {"error": ...}), validation errors as 422 {"error":"Validation failed: ..."},
// X-RateLimit-* headers on every API answer with the ISO 8601 reset, and
// GET /api/v1/statuses/:id with the status's replies_count, reblogs_count and
// favourites_count (quotes_count once set: instances with quote posts), 404
// {"error":"Record not found"} for a deleted or unknown status. The inbox:
// GET /api/v1/notifications (types[], min_id, since_id, max_id, limit up to
// 80, newest first, with a Link header) over mentions added with AddMention,
// and 429s on those reads on request; statuses record their in_reply_to_id.
//
// Thread-safe: state shared with the server's threads is under a mutex.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <mutex>
#include <string>
#include <vector>

#include "core/time.h"
#include "tests/support/fake_server.h"

namespace herald::testing {

class MastodonFake {
 public:
  struct Status {
    std::string id;
    std::string text;
    std::string idempotency_key;
    std::vector<std::string> media_ids;
    std::string url;
    std::string in_reply_to_id;
  };
  // A status that mentions the account, as its notification shows it.
  struct Mention {
    std::string author = "bob@example.social";  // acct
    std::string display_name = "Bob";
    std::string html = "<p>hello</p>";
    std::string in_reply_to_id;
    std::string language = "en";
  };
  struct Upload {
    std::string id;
    std::string description;
    std::string filename;
    std::string content_type;
    std::string bytes;
  };

  explicit MastodonFake(std::string token = "mastodon-token");
  ~MastodonFake();
  FakeServer& fake() { return fake_; }
  std::string base_url() const { return fake_.base_url(); }
  // A PNG the fake serves (any name under /images/ except missing.png).
  std::string image_url(const std::string& name = "chart.png") const { return base_url() + "/images/" + name; }
  static const std::string& ImageBytes();

  // The next answer reports `remaining`; each API call then uses one more.
  void set_rate_limit(int remaining, Instant reset);
  // Uploads answer 202 and stay "processing" (206) for this many polls.
  void set_media_processing(int polls);
  std::vector<Status> Statuses() const;
  // The counts GET /api/v1/statuses/:id reports for a status from now on.
  void SetCounts(const std::string& id, int replies, int reblogs, int favourites, std::optional<int> quotes = {});
  // The status is deleted: reads answer 404.
  void Delete(const std::string& id);
  std::vector<Upload> Uploads() const;

  // Adds a mention notification (and its status); returns the status id.
  std::string AddMention(const Mention& mention);
  // The next `count` notification reads answer 429 with a reset `retry_in` ahead.
  void FailNotificationReads(int count, std::chrono::seconds retry_in = std::chrono::seconds{60});
  // Notification reads answered so far (429s included).
  int NotificationReads() const;
  // OAuth, as an instance serves it (mastodon_fake_oauth.cpp):
  // POST /api/v1/apps registers an app (client_name, redirect_uris, scopes,
  // website; 422 without a name or redirect URI) and answers its client_id
  // and client_secret; GET /oauth/authorize (response_type=code, the app's
  // client_id and redirect_uri, scopes among the app's, and PKCE S256 as 4.3+
  // supports) approves at once as the signed-in user would and redirects
  // (302) with code and state; POST /oauth/token (grant_type=
  // authorization_code, client_id and client_secret as form fields, the code
  // once only within 10 minutes, its redirect_uri, the code_verifier) answers
  // {"access_token","token_type":"Bearer","scope","created_at"}: no expiry,
  // no refresh token. Refusals as Doorkeeper words them (401 invalid_client,
  // 400 invalid_grant). Issued tokens are accepted by the API beside the
  // constructor's; a revoked one answers 401 "The access token was revoked".
  int AppRegistrations() const;
  int CodeExchanges() const;
  // The user revokes every token issued so far (Settings > Authorized apps).
  void RevokeOAuthTokens();
  std::string LastOAuthToken() const;
  // Every access token and client secret issued, for "never in a log" checks.
  std::vector<std::string> OAuthSecrets() const;
  // The query of the last authorize request.
  std::multimap<std::string, std::string> LastAuthorize() const;

 private:
  struct OAuth;
  void ServeOAuth(httplib::Server& s);
  bool OAuthAccepts(const std::string& bearer, std::string& refusal) const;
  void RateLimitHeaders(httplib::Response& res);  // REQUIRES: mu_ held
  bool Authorized(const httplib::Request& req, httplib::Response& res) const;

  const std::string token_;
  mutable std::mutex mu_;
  int remaining_ = 300;                      // guarded by mu_
  Instant reset_;                            // guarded by mu_
  int processing_polls_ = 0;                 // guarded by mu_
  std::map<std::string, int> pending_;       // media id -> polls left; guarded by mu_
  std::vector<Status> statuses_;             // guarded by mu_
  std::vector<Upload> uploads_;              // guarded by mu_
  std::map<std::string, size_t> by_key_;     // Idempotency-Key -> statuses_ index; guarded by mu_
  std::map<std::string, std::map<std::string, int>> counts_;  // status id -> count fields; guarded by mu_
  std::set<std::string> deleted_;            // guarded by mu_
  struct Notification {
    int64_t id = 0;
    std::string status_id;
    Mention mention;
    Instant at;
  };
  std::vector<Notification> notifications_;  // ascending ids; guarded by mu_
  int notification_failures_ = 0;            // guarded by mu_
  std::chrono::seconds notification_retry_{60};  // guarded by mu_
  int notification_reads_ = 0;               // guarded by mu_
  std::shared_ptr<OAuth> oauth_;             // its own mutex; shared_ptr: OAuth is complete only in its file
  FakeServer fake_;                          // last: stopped before the state its handlers use
};

}  // namespace herald::testing
