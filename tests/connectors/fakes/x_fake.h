// XFake: the X API v2 endpoints herald's x connector uses: POST /2/tweets
// ({"text"}, 201 {"data":{"id","text","edit_history_tweet_ids"}}), GET
// /2/users/me, GET /2/users/:id/tweets (newest first, max_results 5..100,
// tweet.fields=created_at). Bearer token check (401 problem JSON), 400 for
// empty or too long text (more than 280 code points; the real count is
// weighted), 403 for a text that duplicates one of the user's recent posts,
// x-rate-limit-* (15 min) and x-user-limit-24hour-* headers on every answer
// to a post, and a 429 once the 24 h user limit is used up. Stored texts are
// as X returns them: &, <, > escaped and links replaced by t.co links.
//
// Thread-safe: handlers run on the server's threads; accessors may be called
// from the test thread at any time.
#pragma once

#include <mutex>
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
  };

  XFake(std::string token, std::string user_id = "2244994945", std::string username = "herald");  // serving once constructed

  FakeServer& server() { return server_; }
  std::string base_url() const { return server_.base_url(); }
  std::vector<Post> Posts() const;
  // The 24 h user limit (posts accepted before 429).
  void SetUserDayLimit(int limit);
  // The time the 15 min and 24 h resets count from.
  void SetNow(Instant now);
  // A post made earlier, with its creation time.
  void AddPost(const std::string& text, Instant at);
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
  int day_limit_ = 100;        // guarded by mu_
  int day_used_ = 0;           // guarded by mu_
  Instant now_;                // guarded by mu_
  int64_t next_id_ = 1860000000000000001;  // guarded by mu_
};

}  // namespace herald::testing
