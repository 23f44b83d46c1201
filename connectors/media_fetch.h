// What the connectors that upload images themselves (Mastodon, Bluesky, X,
// LinkedIn, Discord) share for the steps before a post is created: the image
// download, and the multipart/form-data body X and Discord upload in. None of
// these steps can publish anything, so none of their failures can leave a
// post's outcome unknown. Thread-safe: pure functions over a thread-safe
// HttpClient; a MultipartForm is a value owned by one caller.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "connectors/connector.h"
#include "connectors/http_client.h"

namespace herald::connectors {

struct FetchedImage {
  std::string bytes;
  std::string content_type;  // from the image's first bytes, never from its server's header
  std::string filename;      // last path segment of its URL, for multipart uploads
};

// Downloads a post's image, guarded against server-side request forgery: an
// http(s) URL whose host is, or resolves only to, public addresses (or is in
// http.options().media_allow); the connection goes to the checked address,
// redirects are not followed, reading stops at the platform's byte limit and
// the bytes must be an image format the platform takes (ImageRulesFor). Each
// refusal, and a 3xx or 4xx, is kFailed with the reason; a transport failure,
// DNS failure other than "no such name", 5xx or 429 from the image's host is
// kRetryLater (without a hold: the image host's limits are not the platform's).
std::expected<FetchedImage, PublishResult> FetchImage(const HttpClient& http, std::string_view platform,
                                                      const Media& media, Instant now);

// A request target guarded as FetchImage guards an image's: `url` is http(s)
// and its host is, or resolves only to, public addresses (or is in `allow`).
// `url` is what to send (the origin and target), `connect_to` the checked
// address to connect to. Unavailable when the name cannot be resolved now;
// PermissionDenied for an internal address; InvalidArgument for a bad URL.
struct GuardedTarget {
  std::string url;
  std::string connect_to;
};
Result<GuardedTarget> GuardTarget(std::string_view url, const MediaAllowList& allow);

// The reading (ReadFailure) of a step that cannot publish anything: an
// unknown outcome becomes kRetryLater, since repeating the step is harmless.
PublishResult BeforePosting(PublishResult failure);

// A multipart/form-data body (RFC 7578), built part by part with a random
// boundary. Names and filenames are put in quoted header parameters: a quote,
// backslash or line break in them becomes '_'.
class MultipartForm {
 public:
  MultipartForm();
  // A text field; `content_type` adds a Content-Type header to the part
  // (Discord's payload_json is application/json).
  void AddField(std::string_view name, std::string_view value, std::string_view content_type = {});
  void AddFile(std::string_view name, std::string_view filename, std::string_view content_type, std::string_view bytes);
  // "multipart/form-data; boundary=..." for HttpRequest::content_type.
  std::string ContentType() const;
  // The body with its closing delimiter; the form can be closed only once.
  std::string Close() &&;

 private:
  void Open(std::string_view name, std::string_view filename, std::string_view content_type);

  std::string boundary_;
  std::string body_;
};

}  // namespace herald::connectors
