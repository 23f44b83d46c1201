#include "connectors/image_rules.h"

namespace herald::connectors {

std::string_view MimeType(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng: return "image/png";
    case ImageFormat::kJpeg: return "image/jpeg";
    case ImageFormat::kGif: return "image/gif";
    case ImageFormat::kWebp: return "image/webp";
  }
  return "application/octet-stream";
}

std::optional<ImageFormat> SniffImageFormat(std::string_view b) {
  // Signatures from the WHATWG MIME Sniffing standard, section 6.1.
  if (b.starts_with(std::string_view("\x89PNG\r\n\x1a\n", 8))) return ImageFormat::kPng;
  if (b.starts_with("\xff\xd8\xff")) return ImageFormat::kJpeg;
  if (b.starts_with("GIF87a") || b.starts_with("GIF89a")) return ImageFormat::kGif;
  if (b.size() >= 14 && b.starts_with("RIFF") && b.substr(8, 6) == "WEBPVP") return ImageFormat::kWebp;
  return std::nullopt;
}

bool ImageRules::Accepts(ImageFormat format) const {
  switch (format) {
    case ImageFormat::kPng: return png;
    case ImageFormat::kJpeg: return jpeg;
    case ImageFormat::kGif: return gif;
    case ImageFormat::kWebp: return webp;
  }
  return false;
}

std::string_view ImageRules::Names() const {
  if (png && jpeg && gif && webp) return "PNG, JPEG, GIF or WebP";
  if (png && jpeg && gif) return "PNG, JPEG or GIF";
  if (png && jpeg) return "PNG or JPEG";
  return "an image format it takes";
}

ImageRules ImageRulesFor(std::string_view platform) {
  constexpr size_t kMB = 1000 * 1000, kMiB = 1024 * 1024;
  if (platform == "bluesky") return {1'000'000};  // app.bsky.embed.images: blob maxSize 1000000
  if (platform == "mastodon") return {16 * kMB};  // default image limit; instances may set lower
  if (platform == "x") return {5 * kMB};          // simple media upload: images up to 5 MB
  if (platform == "linkedin") return {10 * kMB, true, true, true, false};  // Images API: JPG, GIF, PNG
  if (platform == "discord") return {10 * kMiB};  // default upload limit of a server without boosts
  return {5 * kMB};
}

}  // namespace herald::connectors
