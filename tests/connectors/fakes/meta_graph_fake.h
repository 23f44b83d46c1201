// What the fakes of Meta's Graph API family share: the token check (the
// `access_token` parameter or a Bearer header; a wrong one is HTTP 400 with
// OAuthException code 190, as Graph answers), the {"error":{...}} shape, a
// throttle answer, and ContainerPlatformFake, the two-step container API of
// Threads and Instagram: POST /<v>/<user>/<create> -> container, GET
// /<v>/<container>?fields=status[_code], POST /<v>/<user>/<publish>
// creation_id -> media id (a container publishes once), GET
// /<v>/<user>/<limit> (quota_usage, config), GET /<v>/<user>/<list edge>
// (recent posts, newest first), GET /<v>/<media>?fields=permalink. It keeps
// every post it published.
//
// Thread-safe: handlers run on the server's threads; every accessor may be
// called from the test thread at any time.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"
#include "tests/connectors/fakes/graph_comments_fake.h"
#include "tests/support/fake_server.h"

namespace herald::testing {

// A form field or query parameter of a Graph request.
std::string GraphParam(const httplib::Request& req, const std::string& name);
// false (and the answer written) when the request does not carry `token`.
bool CheckGraphToken(const httplib::Request& req, httplib::Response& res, const std::string& token);

// The tokens a Graph fake takes: its one static token, or (AcceptTokens)
// those a fake authorization server issued and still honours.
class GraphTokenCheck {
 public:
  explicit GraphTokenCheck(std::string token) : token_(std::move(token)) {}
  void AcceptTokens(std::function<bool(const std::string&)> accepts);
  // false (and Graph's code 190 written) when the request carries no token taken.
  bool Check(const httplib::Request& req, httplib::Response& res) const;

 private:
  const std::string token_;
  mutable std::mutex mu_;
  std::function<bool(const std::string&)> accepts_;  // guarded by mu_
};
void WriteGraphError(httplib::Response& res, int status, int code, const std::string& message,
                     const std::string& type = "OAuthException");
// The request as a handler sees it, form fields parsed.
RecordedRequest Record(const httplib::Request& req);
// "2026-11-23T10:00:00+0000", as Graph writes times.
std::string GraphTime(Instant t);
// Graph's throttle answer: HTTP 400, error code 80001 and an
// X-Business-Use-Case-Usage header for `object_id` saying access returns in
// `minutes`.
Fault GraphThrottle(const std::string& object_id, int minutes);

class ContainerPlatformFake {
 public:
  struct Config {
    std::string version;             // "v1.0"
    std::string user_id;
    std::string token;
    std::string create_edge;         // "threads" | "media"
    std::string publish_edge;        // "threads_publish" | "media_publish"
    std::string limit_edge;          // "threads_publishing_limit" | "content_publishing_limit"
    std::string list_edge;           // "threads" | "media"
    std::string status_field;        // "status" | "status_code"
    std::string text_field;          // "text" | "caption"
    size_t max_text = 500;           // characters (code points)
    bool needs_media = false;        // Instagram: no text-only containers
    std::string permalink_prefix;    // + a short code
    int quota_total = 250;
    // The conversations under the posts (GraphComments): GET
    // /<post>/<comments_edge>, POST /<comment>/<reply_edge> (empty: replies
    // are containers with reply_to_id, which must name a known reply or post).
    GraphComments::Style comments_style = GraphComments::Style::kThreads;
    std::string comments_edge;  // "conversation" | "comments"
    std::string reply_edge;     // "" | "replies"
    std::string username = "herald";
  };
  struct Container {
    std::string id;
    std::map<std::string, std::string> fields;
    std::vector<std::string> children;
    std::string status = "FINISHED";
    int in_progress_reads = 0;  // status reads that still say IN_PROGRESS
  };
  struct Post {
    std::string id;
    std::string text;
    std::string media_type;              // TEXT, IMAGE, CAROUSEL
    std::vector<std::string> image_urls;
    std::vector<std::string> alt_texts;
    std::string timestamp;               // Graph time
    std::string permalink;
    std::string container;
  };

  explicit ContainerPlatformFake(Config config);  // serving once constructed

  FakeServer& server() { return server_; }
  std::string base_url() const { return server_.base_url(); }
  std::vector<Post> Posts() const;
  std::optional<Container> FindContainer(const std::string& id) const;

  void SetQuotaUsage(int usage);
  // New containers read IN_PROGRESS this many times before FINISHED; or end in `status` (ERROR, EXPIRED).
  void SetProcessing(int in_progress_reads, std::string final_status = "FINISHED");
  // The time new posts are stamped with.
  void SetNow(Instant now);
  // The next publish call is answered only after `delay` (beyond the
  // client's read timeout: no answer); with `act`, the post is made first.
  // (FailNext cannot single out threads_publish: its path is a prefix of
  // threads_publishing_limit.)
  void StallNextPublish(std::chrono::milliseconds delay, bool act, int times = 1);
  // Every request that reached a handler, recorded as the handler starts
  // (FakeServer records after the handler: a stalled publish shows there only
  // once its stall is over).
  std::vector<RecordedRequest> Received() const;
  // A post made earlier (not through a container); returns its id.
  std::string AddPost(const std::string& text, Instant at);
  GraphComments& comments() { return comments_; }
  // From now on every token `accepts` says yes to, instead of config.token.
  void AcceptTokens(std::function<bool(const std::string&)> accepts) { tokens_.AcceptTokens(std::move(accepts)); }

 private:
  void CreateContainer(const httplib::Request& req, httplib::Response& res);
  void PublishContainer(const httplib::Request& req, httplib::Response& res);
  void PublishNow(const httplib::Request& req, httplib::Response& res);
  void GetObject(const std::string& id, const httplib::Request& req, httplib::Response& res);
  void List(const httplib::Request& req, httplib::Response& res);

  const Config config_;
  GraphTokenCheck tokens_{config_.token};
  FakeServer server_;
  mutable std::mutex mu_;
  std::map<std::string, Container> containers_;  // guarded by mu_
  std::vector<Post> posts_;                      // guarded by mu_, oldest first
  int quota_usage_ = 0;                          // guarded by mu_
  int in_progress_reads_ = 0;                    // guarded by mu_
  std::string final_status_ = "FINISHED";        // guarded by mu_
  Instant now_;                                  // guarded by mu_
  int64_t next_id_ = 17900000000000001;          // guarded by mu_
  std::chrono::milliseconds stall_{0};           // guarded by mu_
  bool stall_acts_ = false;                      // guarded by mu_
  int stalls_ = 0;                               // guarded by mu_
  std::vector<RecordedRequest> received_;        // guarded by mu_
  GraphComments comments_;
};

}  // namespace herald::testing
