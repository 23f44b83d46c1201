// FacebookPageFake: the Graph API Page endpoints herald's facebook_page
// connector uses, under /<graph_version>/<page_id>: feed (message,
// attached_media[i]={"media_fbid"}), photos (url + caption published, or
// published=false for attaching), posts (recent posts, newest first). Posts get
// ids "<page_id>_<n>"; a wrong Page token is Graph's 400 code 190; a message
// over 63206 characters is a 400 code 100. Keeps every post it created.
// The comments under its posts (GraphComments, Facebook style): GET
// /<post>/comments and POST /<comment>/comments.
//
// Thread-safe: handlers run on the server's threads; accessors may be called
// from the test thread at any time.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tests/connectors/fakes/graph_comments_fake.h"
#include "tests/connectors/fakes/meta_graph_fake.h"

namespace herald::testing {

class FacebookPageFake {
 public:
  struct Post {
    std::string id;
    std::string message;
    std::vector<std::string> photo_urls;
    std::string created_time;
  };

  FacebookPageFake(std::string page_id, std::string token, std::string version = "v21.0");  // serving once constructed

  FakeServer& server() { return server_; }
  std::string base_url() const { return server_.base_url(); }
  std::vector<Post> Posts() const;
  // Unpublished photos uploaded for attaching, by id.
  std::map<std::string, std::string> UnpublishedPhotos() const;
  // A post made earlier; returns its id.
  std::string AddPost(const std::string& message);
  GraphComments& comments() { return comments_; }
  // A header every answer carries from now on (Meta usage headers).
  void SetAnswerHeader(std::string name, std::string value);
  // From now on every token `accepts` says yes to, instead of the Page token.
  void AcceptTokens(std::function<bool(const std::string&)> accepts) { tokens_.AcceptTokens(std::move(accepts)); }

 private:
  void Me(const httplib::Request& req, httplib::Response& res);
  void Feed(const httplib::Request& req, httplib::Response& res);
  void Photos(const httplib::Request& req, httplib::Response& res);
  void List(const httplib::Request& req, httplib::Response& res);
  std::string NewPost(std::string message, std::vector<std::string> photos);  // REQUIRES: mu_ held

  const std::string page_id_;
  const std::string token_;
  GraphTokenCheck tokens_{token_};
  const std::string version_;
  FakeServer server_;
  mutable std::mutex mu_;
  std::vector<Post> posts_;                      // guarded by mu_, oldest first
  std::map<std::string, std::string> photos_;    // guarded by mu_: unpublished photo id -> url
  std::vector<std::pair<std::string, std::string>> answer_headers_;  // guarded by mu_
  int64_t next_id_ = 122100000000000001;         // guarded by mu_
  GraphComments comments_{GraphComments::Style::kFacebook, page_id_, "Herald Page"};
};

}  // namespace herald::testing
