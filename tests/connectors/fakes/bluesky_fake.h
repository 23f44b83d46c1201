// BlueskyFake: a PDS's XRPC endpoints herald uses (docs.bsky.app, lexicons in
// bluesky-social/atproto) on a FakeServer: createSession / refreshSession with
// expiring tokens (400 ExpiredToken; refreshSession refuses any request body,
// as the PDS does), resolveHandle for two handles, createRecord (validates repo, TID rkey
// and the 300-grapheme text; a second create of the same rkey answers HTTP 500
// like the real PDS), getRecord (400 RecordNotFound; 502 on demand), uploadBlob, images to
// download under /images/, RateLimit-* headers with epoch resets, and
// app.bsky.feed.getPosts (authenticated; each known post's replyCount,
// repostCount, likeCount, quoteCount and, once set, bookmarkCount; a deleted
// or unknown post is left out of `posts`, as the AppView does), and
// app.bsky.notification.listNotifications (authenticated; newest first by
// indexedAt, limit 1..100, `reasons` filter, a cursor to older pages) over
// notifications added with AddReply / AddMention / AddQuote. createRecord
// checks a record's `reply` ({root, parent} strong refs) as the lexicon
// requires.
//
// Thread-safe: state shared with the server's threads is under a mutex.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/time.h"
#include "tests/support/fake_server.h"

namespace herald::testing {

class BlueskyFake {
 public:
  struct Record {
    std::string rkey;
    nlohmann::json value;
  };
  static constexpr const char* kDid = "did:plc:heraldtest7x3k";
  static constexpr const char* kHandle = "herald.bsky.social";
  // A second account com.atproto.identity.resolveHandle knows; any other
  // handle answers 400 "Unable to resolve handle".
  static constexpr const char* kFriendHandle = "bob.test";
  static constexpr const char* kFriendDid = "did:plc:bobfriend22222";

  explicit BlueskyFake(std::string password = "app-pass-1234");
  FakeServer& fake() { return fake_; }
  std::string base_url() const { return fake_.base_url(); }
  std::string image_url(const std::string& name = "photo.png") const { return base_url() + "/images/" + name; }

  // The current access token expires (and, with `refresh_too`, the refresh token).
  void ExpireTokens(bool refresh_too = false);
  // The next createRecord creates the record, then hangs up mid-answer.
  void DropNextCreateAnswer();
  // While set, getRecord answers 502 (the PDS's upstream is down): nobody can
  // tell whether a record exists. createRecord still creates.
  void set_records_unreadable(bool unreadable);
  // The next answer reports `remaining`, resetting at `reset`.
  void set_rate_limit(int remaining, Instant reset);

  std::vector<Record> Records() const;
  // The counts getPosts reports for the record from now on.
  void SetCounts(const std::string& rkey, int replies, int reposts, int likes, int quotes,
                 std::optional<int> bookmarks = {});
  // The record is deleted: getPosts leaves it out.
  void Delete(const std::string& rkey);
  // Someone else's post answering `parent` (an at:// uri with its cid) in the
  // thread rooted at `root`, indexed at `at`; a notification with reason
  // "reply". Returns the reply's uri.
  std::string AddReply(const std::string& author, const std::string& text, Instant at, const nlohmann::json& parent,
                       const nlohmann::json& root);
  std::string AddMention(const std::string& author, const std::string& text, Instant at);
  std::string AddQuote(const std::string& author, const std::string& text, Instant at, const std::string& quoted_uri);
  // A notification of another reason (like, follow): never part of the inbox.
  void AddLike(const std::string& author, Instant at, const std::string& liked_uri);
  // Notification reads so far, and the `reasons` each asked for.
  std::vector<std::string> notification_reasons() const;
  int sessions_created() const;
  int refreshes() const;
  int resolutions() const;  // resolveHandle calls
  std::vector<std::string> blob_types() const;

 private:
  void Headers(httplib::Response& res);                   // REQUIRES: mu_ held
  bool Authorized(const httplib::Request& req, httplib::Response& res);  // REQUIRES: mu_ held
  nlohmann::json NewSession();                            // REQUIRES: mu_ held

  const std::string password_;
  mutable std::mutex mu_;
  int tokens_issued_ = 0;                 // guarded by mu_
  std::string access_, refresh_;          // the valid ones; guarded by mu_
  std::set<std::string> expired_;         // guarded by mu_
  int sessions_ = 0, refreshes_ = 0;      // guarded by mu_
  int resolutions_ = 0;                   // guarded by mu_
  bool drop_next_create_ = false;         // guarded by mu_
  bool records_unreadable_ = false;       // guarded by mu_
  int remaining_ = 5000;                  // guarded by mu_
  Instant reset_;                         // guarded by mu_
  std::vector<Record> records_;           // guarded by mu_
  std::map<std::string, nlohmann::json> counts_;  // rkey -> count fields; guarded by mu_
  std::set<std::string> deleted_;         // rkeys; guarded by mu_
  std::vector<std::string> blob_types_;   // guarded by mu_
  std::vector<nlohmann::json> notifications_;  // guarded by mu_, in the order added
  std::vector<std::string> reasons_asked_;     // guarded by mu_
  std::string AddNotification(const std::string& reason, const std::string& author, Instant at, nlohmann::json record,
                              const std::string& subject);
  FakeServer fake_;                       // last: stopped before the state its handlers use
};

}  // namespace herald::testing
