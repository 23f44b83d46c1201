// GraphComments: the conversations under posts of Meta's Graph platforms, as
// their fakes serve them: Facebook Page comments (GET /<post>/comments, flat
// with filter=stream, `from{id,name}`, `message`, `created_time`,
// `parent{id}`, `permalink_url`; a reply is POST /<comment>/comments),
// Instagram comments (GET /<media>/comments, top level with their
// `replies{data:[...]}`, `text`, `username`, `timestamp`, `from{id,username}`;
// a reply is POST /<comment>/replies) and Threads replies (GET
// /<media>/conversation, flat, `text`, `username`, `timestamp`, `permalink`,
// `replied_to{id}`, `is_reply_owned_by_me`; a reply is a container with
// reply_to_id). Lists are newest first (reverse_chronological / reverse=true;
// Instagram too) with Graph's cursor paging (`paging.cursors.after`, `next`
// only when another page exists), at most `limit` and the page cap per page.
//
// Thread-safe: every method locks; the owning fake calls List and Reply from
// its handlers.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "core/time.h"
#include "tests/support/fake_server.h"

namespace herald::testing {

class GraphComments {
 public:
  enum class Style { kFacebook, kInstagram, kThreads };
  struct Comment {
    std::string id;
    std::string post;    // the post it is under
    std::string parent;  // the comment it answers, empty for a top-level one
    std::string from_id;
    std::string name;  // Facebook: from.name; Instagram and Threads: username
    std::string text;
    Instant at;
    bool own = false;  // written by the account (a reply herald sent)
  };

  GraphComments(Style style, std::string own_id, std::string own_name);

  // A comment by `name` (the account's own when it is own_name); returns its id.
  std::string Add(const std::string& post, const std::string& name, const std::string& text, Instant at,
                  const std::string& parent = "");
  // The answer to GET /<post>/<edge> (after the token check).
  void List(const std::string& post, const httplib::Request& req, httplib::Response& res);
  // POST /<comment>/<edge> with `message`: the account's reply (400 code 100
  // for an unknown comment or an empty message).
  void Reply(const std::string& comment, const httplib::Request& req, httplib::Response& res);
  bool Knows(const std::string& id) const;
  void set_page_cap(int cap);
  void set_now(Instant now);
  std::vector<Comment> Comments() const;  // in the order added

 private:
  const Style style_;
  const std::string own_id_;
  const std::string own_name_;
  mutable std::mutex mu_;
  std::vector<Comment> comments_;  // guarded by mu_
  int page_cap_ = 100;             // guarded by mu_
  Instant now_;                    // guarded by mu_
  int64_t next_id_ = 17800000000000001;  // guarded by mu_
};

}  // namespace herald::testing
