// Built-in platform presets (docs/platforms.md, "Presets herald enforces"):
// each platform's documented text limit and posting caps. Always enforced on top
// of a policy; a policy may be stricter, never looser. Immutable static data.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "policies/policy.h"

namespace herald::policies {

// How a platform measures text length.
enum class LengthUnit {
  kGraphemes,     // extended grapheme clusters (Mastodon, Bluesky)
  kUtf8Bytes,     // bytes of the UTF-8 encoding (Bluesky's second bound)
  kUtf16Units,    // UTF-16 code units (Telegram)
  kXWeighted,     // X/twitter-text v3 weights after NFC (Latin 1, other 2, emoji 2)
  kCodePoints,    // Unicode code points ("characters": LinkedIn, Discord, Slack, ...)
  kThreadsChars,  // code points, but non-ASCII ones count their UTF-8 byte length
};

struct LengthRule {
  LengthUnit unit = LengthUnit::kCodePoints;
  int max = 0;
  int url_weight = 0;  // > 0: each URL counts this many units instead of its text
};

struct PlatformPreset {
  std::string_view platform;
  std::vector<LengthRule> length;  // every rule must hold
  std::vector<Cap> caps;           // rolling caps, preset = true, origin "preset <platform>"
  bool needs_media = false;        // Instagram: no text-only posts
};

// The preset of a platform, or nullptr when the platform is unknown.
const PlatformPreset* FindPreset(std::string_view platform);

// Every platform herald knows, in a stable order (for messages).
std::span<const PlatformPreset> AllPresets();

}  // namespace herald::policies
