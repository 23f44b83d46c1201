// What the Mastodon and Bluesky connectors share for the steps before a post is
// created (image download, media upload, session): none of them can publish
// anything, so none of their failures can leave a post's outcome unknown.
// Shared by the connectors that upload images themselves rather than passing
// their URLs to the platform. Thread-safe: pure functions over a thread-safe HttpClient.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "connectors/connector.h"
#include "connectors/http_client.h"

namespace herald::connectors {

struct FetchedImage {
  std::string bytes;
  std::string content_type;  // from the image's server, "image/jpeg" when it gives none
  std::string filename;      // last path segment of its URL, for multipart uploads
};

// Downloads a post's image (its URL is public). A 4xx is kFailed naming the
// URL; a transport failure, 5xx or 429 from the image's host is kRetryLater
// (without a hold: the image host's limits are not the platform's).
std::expected<FetchedImage, PublishResult> FetchImage(const HttpClient& http, std::string_view platform,
                                                      const Media& media, Instant now);

// The reading (ReadFailure) of a step that cannot publish anything: an
// unknown outcome becomes kRetryLater, since repeating the step is harmless.
PublishResult BeforePosting(PublishResult failure);

}  // namespace herald::connectors
