// XFake: the X API v2 endpoints herald's x connector uses: POST /2/tweets
// ({"text", "media": {"media_ids"}}, 201 {"data":{"id","text",
// "edit_history_tweet_ids"}}), POST /2/media/upload (one-shot: `media` and
// `media_category` required, as multipart/form-data or JSON with base64
// `media`; 200 {"data":{"id","media_key","size","expires_after_secs"}}),
// POST /2/media/metadata ({"id", "metadata": {"alt_text": {"text"}}}, at most
// 1000 characters), GET /2/users/me, GET /2/users/:id/tweets (newest first,
// max_results 5..100, tweet.fields=created_at), and images to download under
// /images/. Bearer token check (401 problem JSON), 400 problem JSON for
// malformed requests (missing fields, unknown media ids, more than 4 media),
// 400 for empty or too long text (more than 280 code points; the real count is
// weighted), 403 for a text that duplicates one of the user's recent posts,
// x-rate-limit-* (15 min) headers on every answer to a post or an upload,
// x-user-limit-24hour-* on posts, and a 429 once the 24 h user limit or the
// 15 min upload limit is used up. Stored texts are as X returns them: &, <, > escaped, links replaced by
// t.co links, and a post with media ending with the t.co link to them.
// GET /2/tweets/:id answers {"data": {id, text, edit_history_tweet_ids}}
// with public_metrics (retweet, reply, like, quote, bookmark and impression
// counts) when tweet.fields asks for it; a deleted or unknown post answers 200
// with only {"errors": [{"type": ".../resource-not-found", ...}]}.
// GET /2/users/:id/mentions lists the mentions added with AddMention newest
// first (max_results 5..100, since_id, pagination_token, tweet.fields
// created_at/lang/referenced_tweets/conversation_id/author_id, expansions=
// author_id -> includes.users, meta newest_id/oldest_id/next_token, the
// x-rate-limit-* headers of a 15 min window of 180 reads); POST /2/tweets
// takes {"reply": {"in_reply_to_tweet_id"}} naming a known post or mention
// (400 otherwise) and keeps it on the post.
//
// Thread-safe: handlers run on the server's threads; accessors may be called
// from the test thread at any time.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/time.h"
#include "tests/support/fake_server.h"

namespace herald::testing {

class XFake {
 public:
  struct Post {
    std::string id;
    std::string text;  // as X returns it
    std::string created_at;
    std::vector<std::string> media_ids;  // in the order given
    std::string bearer;                  // the token it was made with (empty for AddPost)
    std::string in_reply_to_tweet_id;    // reply.in_reply_to_tweet_id, empty when not a reply
  };
  struct Upload {
    std::string id;
    std::string category;      // media_category
    std::string media_type;    // the media_type field, empty when not given
    std::string content_type;  // of the multipart file part
    std::string bytes;
    std::string alt_text;      // set by /2/media/metadata
  };

  XFake(std::string token, std::string user_id = "2244994945", std::string username = "herald");  // serving once constructed

  FakeServer& server() { return server_; }
  std::string base_url() const { return server_.base_url(); }
  std::vector<Post> Posts() const;
  std::vector<Upload> Uploads() const;  // in the order received
  // An image the fake serves: a PNG whose bytes hold its name; missing.png is 404.
  std::string image_url(const std::string& name) const { return base_url() + "/images/" + name; }
  static std::string ImageBytes(const std::string& name);
  // Accept the tokens `valid` says yes to instead of the one given at
  // construction (an authorization server's user tokens: XOAuthFake).
  void AcceptTokens(std::function<bool(const std::string&)> valid);
  // The 24 h user limit (posts accepted before 429).
  void SetUserDayLimit(int limit);
  // The 15 min media upload limit (uploads accepted before 429).
  void SetUploadLimit(int limit);
  // The time the 15 min and 24 h resets count from.
  void SetNow(Instant now);
  // A post made earlier, with its creation time.
  void AddPost(const std::string& text, Instant at);
  // The public_metrics GET /2/tweets/:id reports for the post from now on.
  void SetMetrics(const std::string& id, int replies, int retweets, int likes, int quotes, int bookmarks, int impressions);
  // The post is deleted: reads answer resource-not-found.
  void Delete(const std::string& id);
  // A post by someone else naming the account, created at `at` (ids grow);
  // `replied_to` / `quoted`: the post it answers / quotes. Returns its id.
  std::string AddMention(const std::string& username, const std::string& name, const std::string& text, Instant at,
                         const std::string& replied_to = "", const std::string& quoted = "");
  Instant FifteenMinuteReset() const;
  Instant DayReset() const;

 private:
  std::string Stored(const std::string& text) const;

  const std::string token_;
  const std::string user_id_;
  const std::string username_;
  FakeServer server_;
  mutable std::mutex mu_;
  std::vector<Post> posts_;    // guarded by mu_, oldest first
  std::vector<Upload> uploads_;  // guarded by mu_
  int day_limit_ = 100;        // guarded by mu_
  int day_used_ = 0;           // guarded by mu_
  int upload_limit_ = 500;     // guarded by mu_
  Instant now_;                // guarded by mu_
  int64_t next_id_ = 1860000000000000001;  // guarded by mu_
  std::function<bool(const std::string&)> valid_token_;  // guarded by mu_; empty: token_ only
  std::map<std::string, std::map<std::string, int>> metrics_;  // guarded by mu_
  std::set<std::string> deleted_;  // guarded by mu_
  struct Mention {
    std::string id, username, name, text, created_at, replied_to, quoted;
  };
  std::vector<Mention> mentions_;  // guarded by mu_, oldest first
  int mention_reads_ = 0;          // guarded by mu_
};

}  // namespace herald::testing
