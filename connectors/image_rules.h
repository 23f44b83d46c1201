// Which images each platform takes: the byte limit and the formats, from the
// platforms' documentation (docs/media.md lists the sources). The format of an
// image is read from its first bytes, never from a Content-Type header.
// Thread-safe: pure functions over constant tables.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace herald::connectors {

enum class ImageFormat { kPng, kJpeg, kGif, kWebp };

// "image/png", ...
std::string_view MimeType(ImageFormat format);

// The format whose signature `bytes` starts with, or nullopt (HTML, text,
// truncated data, formats no platform here takes).
std::optional<ImageFormat> SniffImageFormat(std::string_view bytes);

struct ImageRules {
  size_t max_bytes = 0;
  bool png = true, jpeg = true, gif = true, webp = true;
  bool Accepts(ImageFormat format) const;
  // "PNG, JPEG or GIF", for messages.
  std::string_view Names() const;
};

// The rules for `platform` ("bluesky", "mastodon", ...); a platform that is
// not listed gets the strictest common rules (5 MB, all four formats).
ImageRules ImageRulesFor(std::string_view platform);

}  // namespace herald::connectors
