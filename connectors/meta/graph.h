// What Meta's Graph API family (Facebook Pages, Instagram, Threads) shares,
// written once: a client for one host + version + token (the token goes in the
// documented `access_token` parameter), the reading of Graph's
// {"error":{...}} answers, the search of an account's recent posts for a text
// (unknown outcomes and crash recovery), and the two-step container flow of
// Threads and Instagram (publishing-limit pre-check, container creation,
// status polling, publish, and resolving a publish that got no answer).
//
// Thread-safe: every class here is immutable after construction; calls may run
// on several threads at once.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/connector.h"
#include "connectors/http_client.h"

namespace herald::connectors::meta {

using Fields = std::vector<std::pair<std::string, std::string>>;

// A step of a multi-request flow: its value, or the outcome to return now.
template <class T>
using Step = std::expected<T, PublishResult>;

class GraphClient {
 public:
  // `root` is the base URL with the version: "https://graph.facebook.com/v21.0".
  GraphClient(std::string platform, std::string root, std::string token, HttpClientOptions http);

  // POST <root>/<path>, form-encoded, with access_token.
  HttpResult Post(std::string_view path, Fields fields) const;
  // GET <root>/<path>?<query>&access_token=...; with `max_body`, an answer
  // longer than that is an HttpFailure of kind kTooLarge.
  HttpResult Get(std::string_view path, Fields query, size_t max_body = 0) const;
  const std::string& platform() const { return platform_; }
  // This client with `token` in place of its own (a connected account's, oauth/).
  GraphClient WithToken(std::string token) const;

 private:
  std::string platform_;
  std::string root_;
  std::string token_;
  HttpClient http_;
};

// `request` without its access token: what a connector copy that already
// carries the connected account's token (GraphClient::WithToken) is given.
template <class Request>
Request WithoutToken(Request request) {
  request.access_token.reset();
  return request;
}

// ReadFailure for a non-2xx answer (a 2xx is nullopt even with a usage
// header at 100 %), plus what is Graph's own: an error with `is_transient: true`
// or code 1/2 (service trouble) is kRetryLater; code 190 (token invalid or
// expired) names the credentials even when the HTTP status is 400, and sets
// token_refused.
std::optional<PublishResult> ReadGraphFailure(std::string_view platform, const HttpResult& result, Instant now);

// A string field of a JSON object body (Graph ids are strings), else nullopt.
std::optional<std::string> ReadField(const HttpResponse& response, std::string_view field);

// Whether `id` can be a Graph object id (digits, and underscores as in a
// Page post's <page>_<post>): what herald puts in a Graph path must be one.
bool IsGraphId(std::string_view id);

// Parses Graph timestamps: "2026-11-23T10:00:00+0000" (no colon in the offset).
std::optional<Instant> ParseGraphTime(std::string_view text);

// The search of `GET /<owner>/<edge>?fields=<id,text,time,...>&limit=N`.
struct RecentQuery {
  std::string edge;        // "threads", "media", "posts"
  std::string text_field;  // "text", "caption", "message"
  std::string time_field;  // "timestamp", "created_time"
  std::string url_field;   // "permalink"; empty when the platform's list has none
  int limit = 5;
};

struct RecentMatch {
  std::optional<std::string> id;  // the post whose text equals the one searched
  std::string url;                // its permalink when the list gives one
  // No match, and the list reaches back before `since` (or holds every post):
  // the post certainly was not made in that span.
  bool certainly_absent = false;
};

Step<RecentMatch> FindRecentPost(const GraphClient& client, std::string_view owner, const RecentQuery& query,
                                 std::string_view text, Instant since, Instant now);

// Connector::Lookup's answer from a search: kPublished, kFailed when certainly
// absent, nullopt when it cannot tell (or the search failed).
// The caller fills remote_url when the list gave none.
std::optional<PublishResult> LookupAnswer(const Step<RecentMatch>& match, std::string_view platform);

// The Graph names of a container platform.
struct ContainerEdges {
  std::string create;        // POST /<user>/<create>: "threads", "media"
  std::string publish;       // "threads_publish", "media_publish"
  std::string limit;         // "threads_publishing_limit", "content_publishing_limit"
  std::string status_field;  // "status" (Threads), "status_code" (Instagram)
  std::string status_detail;  // why an ERROR: "error_message" (Threads), "status" (Instagram)
  RecentQuery recent;
};

// The containers of one post: the children first (carousel items), then the
// parent, which receives the children's ids as `children`.
struct ContainerPost {
  std::vector<Fields> children;
  Fields parent;
};

// The containers of a request: text only (media_type TEXT, Threads), one
// image, or a carousel of images, each image with its alt text. `text_field`
// is "text" (Threads) or "caption" (Instagram); Threads names media_type IMAGE
// on images (`typed_images`), Instagram infers it.
ContainerPost BuildContainers(const PublishRequest& request, const std::string& text_field, bool typed_images);

struct ContainerTiming {
  std::chrono::milliseconds poll_interval{2000};  // between status checks of a new container
  int polls = 15;                                 // then give up (kRetryLater; nothing published)
};

class ContainerPublisher {
 public:
  ContainerPublisher(GraphClient client, std::string user_id, ContainerEdges edges, ContainerTiming timing);

  // Pre-check of the publishing limit, containers, status polling, publish,
  // permalink. A publish without an answer is resolved from the container's
  // status (see the .cpp); the permalink lookup never changes the outcome.
  PublishResult Publish(const ContainerPost& post, const PublishRequest& request) const;
  // Crash recovery: the recent posts' text.
  std::optional<PublishResult> Lookup(const PublishRequest& request) const;
  // This publisher with `token` in place of its client's own.
  ContainerPublisher WithToken(std::string token) const;

 private:
  struct Quota {
    int64_t usage = 0;
    int64_t total = 0;
    std::chrono::seconds window{86400};
  };
  Step<Quota> CheckQuota(Instant now) const;
  Step<std::string> CreateContainer(const Fields& fields, Instant now) const;
  Step<std::string> WaitFinished(const std::string& container, Instant now) const;
  std::string Permalink(const std::string& media_id) const;
  PublishResult PublishContainer(const std::string& container, const PublishRequest& request, const Quota& quota,
                                 bool may_retry) const;
  PublishResult Resolve(const std::string& container, const PublishRequest& request, const Quota& quota,
                        const PublishResult& unknown, bool may_retry) const;
  PublishResult Published(std::string id, std::string url, const Quota& quota, Instant now,
                          std::optional<RateLimitHold> hold) const;

  GraphClient client_;
  std::string user_id_;
  ContainerEdges edges_;
  ContainerTiming timing_;
};

}  // namespace herald::connectors::meta
