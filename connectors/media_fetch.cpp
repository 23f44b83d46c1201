#include "connectors/media_fetch.h"

#include "connectors/platform_http.h"

namespace herald::connectors {

PublishResult BeforePosting(PublishResult failure) {
  if (failure.kind == PublishResult::Kind::kUnknown) {
    failure.kind = PublishResult::Kind::kRetryLater;
    failure.why += "; nothing was posted yet, so it is safe to repeat";
  }
  return failure;
}

std::expected<FetchedImage, PublishResult> FetchImage(const HttpClient& http, std::string_view platform,
                                                      const Media& media, Instant now) {
  HttpResult got = http.Send({"GET", media.url, {{"Accept", "image/*"}}, {}, {}});
  const std::string what = std::string(platform) + " image " + media.url;
  if (!got) {
    return std::unexpected(PublishResult{PublishResult::Kind::kRetryLater, {}, {}, std::nullopt,
                                         what + ": " + got.error().message, {}, 0});
  }
  if (got->status < 200 || got->status >= 300) {
    bool transient = got->status == 429 || got->status == 408 || got->status >= 500;
    std::optional<Instant> at;
    if (auto h = got->Header("Retry-After")) at = ParseRetryAfter(*h, now);
    return std::unexpected(PublishResult{transient ? PublishResult::Kind::kRetryLater : PublishResult::Kind::kFailed, {},
                                         {}, at, what + ": HTTP " + std::to_string(got->status), {}, got->status});
  }
  FetchedImage image;
  image.bytes = std::move(got->body);
  image.content_type = got->Header("Content-Type").value_or("image/jpeg");
  if (auto semicolon = image.content_type.find(';'); semicolon != std::string::npos) image.content_type.resize(semicolon);
  std::string path = media.url.substr(0, media.url.find_first_of("?#"));
  image.filename = path.substr(path.rfind('/') + 1);
  if (image.filename.empty()) image.filename = "image";
  return image;
}

}  // namespace herald::connectors
