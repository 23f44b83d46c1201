#include "connectors/media_fetch.h"

#include <cstdint>
#include <cstdio>
#include <random>

#include "connectors/platform_http.h"

namespace herald::connectors {
namespace {

std::string QuotedParameter(std::string_view value) {
  std::string out(value);
  for (char& c : out)
    if (c == '"' || c == '\\' || c == '\r' || c == '\n') c = '_';
  return out;
}

}  // namespace

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

MultipartForm::MultipartForm() {
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> dist;
  char buf[64];
  // 128 random bits: a boundary that occurs in an image by chance is not a concern.
  std::snprintf(buf, sizeof buf, "herald-%016llx%016llx", static_cast<unsigned long long>(dist(rd)),
                static_cast<unsigned long long>(dist(rd)));
  boundary_ = buf;
}

void MultipartForm::Open(std::string_view name, std::string_view filename, std::string_view content_type) {
  body_ += "--" + boundary_ + "\r\nContent-Disposition: form-data; name=\"" + QuotedParameter(name) + "\"";
  if (!filename.empty()) body_ += "; filename=\"" + QuotedParameter(filename) + "\"";
  body_ += "\r\n";
  if (!content_type.empty()) body_ += "Content-Type: " + std::string(content_type) + "\r\n";
  body_ += "\r\n";
}

void MultipartForm::AddField(std::string_view name, std::string_view value, std::string_view content_type) {
  Open(name, {}, content_type);
  body_.append(value);
  body_ += "\r\n";
}

void MultipartForm::AddFile(std::string_view name, std::string_view filename, std::string_view content_type,
                            std::string_view bytes) {
  Open(name, filename.empty() ? std::string_view("file") : filename,
       content_type.empty() ? std::string_view("application/octet-stream") : content_type);
  body_.append(bytes);
  body_ += "\r\n";
}

std::string MultipartForm::ContentType() const { return "multipart/form-data; boundary=" + boundary_; }

std::string MultipartForm::Close() && {
  body_ += "--" + boundary_ + "--\r\n";
  return std::move(body_);
}

}  // namespace herald::connectors
