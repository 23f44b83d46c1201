#include "policies/presets.h"

#include <chrono>

namespace herald::policies {

namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

Cap PresetCap(std::string_view platform, int max, Duration window) {
  Cap cap;
  cap.max = max;
  cap.unit = Cap::Unit::kRolling;
  cap.window = window;
  cap.origin = "preset " + std::string(platform);
  cap.preset = true;
  return cap;
}

// Numbers from docs/platforms.md, "Presets herald enforces".
std::vector<PlatformPreset> BuildPresets() {
  using U = LengthUnit;
  std::vector<PlatformPreset> p;
  p.push_back({"mastodon", {{U::kGraphemes, 500, 23}}, {PresetCap("mastodon", 300, hours{3})}, false});
  p.push_back({"bluesky",
               {{U::kGraphemes, 300, 0}, {U::kUtf8Bytes, 3000, 0}},
               {PresetCap("bluesky", 1666, hours{1}), PresetCap("bluesky", 11666, hours{24})},
               false});
  p.push_back({"x",
               {{U::kXWeighted, 280, 23}},
               {PresetCap("x", 200, minutes{15}), PresetCap("x", 300, hours{3})},
               false});
  p.push_back({"linkedin", {{U::kCodePoints, 3000, 0}}, {}, false});
  p.push_back({"facebook_page", {{U::kCodePoints, 63206, 0}}, {}, false});
  p.push_back({"threads", {{U::kThreadsChars, 500, 0}}, {PresetCap("threads", 250, hours{24})}, false});
  p.push_back({"instagram", {{U::kCodePoints, 2200, 0}}, {PresetCap("instagram", 50, hours{24})}, true});
  p.push_back({"telegram", {{U::kUtf16Units, 4096, 0}}, {PresetCap("telegram", 20, minutes{1})}, false});
  p.push_back({"discord", {{U::kCodePoints, 2000, 0}}, {}, false});
  p.push_back({"slack", {{U::kCodePoints, 4000, 0}}, {PresetCap("slack", 1, seconds{1})}, false});
  p.push_back({"webhook", {}, {}, false});
  p.push_back({"file", {}, {}, false});
  return p;
}

const std::vector<PlatformPreset>& Presets() {
  static const std::vector<PlatformPreset> presets = BuildPresets();
  return presets;
}

}  // namespace

const PlatformPreset* FindPreset(std::string_view platform) {
  for (const auto& preset : Presets())
    if (preset.platform == platform) return &preset;
  return nullptr;
}

std::span<const PlatformPreset> AllPresets() { return Presets(); }

}  // namespace herald::policies
