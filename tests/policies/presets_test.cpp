// Platform presets: the table in platforms.md, "Presets herald enforces".
#include "policies/presets.h"

#include <catch2/catch.hpp>

namespace herald::policies {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST_CASE("Every known platform has a preset, in a stable order", "[policies]") {
  std::vector<std::string> names;
  for (const auto& preset : AllPresets()) names.emplace_back(preset.platform);
  CHECK(names == std::vector<std::string>{"mastodon", "bluesky", "x", "linkedin", "facebook_page", "threads",
                                          "instagram", "telegram", "discord", "slack", "webhook", "file"});
  CHECK(FindPreset("myspace") == nullptr);
  CHECK(FindPreset("") == nullptr);
}

TEST_CASE("Preset caps are rolling, marked preset and name their platform", "[policies]") {
  struct Expected {
    std::string_view platform;
    std::vector<std::pair<int, Duration>> caps;
  };
  auto expected = GENERATE(values<Expected>({
      {"mastodon", {{300, hours{3}}}},
      {"bluesky", {{1666, hours{1}}, {11666, hours{24}}}},
      {"x", {{200, minutes{15}}, {300, hours{3}}}},
      {"linkedin", {}},
      {"facebook_page", {}},
      {"threads", {{250, hours{24}}}},
      {"instagram", {{50, hours{24}}}},
      {"telegram", {{20, minutes{1}}}},
      {"discord", {}},
      {"slack", {{1, seconds{1}}}},
      {"webhook", {}},
      {"file", {}},
  }));
  const PlatformPreset* preset = FindPreset(expected.platform);
  REQUIRE(preset != nullptr);
  REQUIRE(preset->caps.size() == expected.caps.size());
  for (std::size_t i = 0; i < expected.caps.size(); ++i) {
    const Cap& cap = preset->caps[i];
    CHECK(cap.max == expected.caps[i].first);
    CHECK(cap.window == expected.caps[i].second);
    CHECK(cap.unit == Cap::Unit::kRolling);
    CHECK(cap.preset);
    CHECK(cap.label.empty());
    CHECK(cap.origin == "preset " + std::string(expected.platform));
  }
}

TEST_CASE("Preset length rules follow each platform's counting unit", "[policies]") {
  auto rules = [](std::string_view platform) { return FindPreset(platform)->length; };
  using U = LengthUnit;
  auto is = [](const LengthRule& rule, U unit, int max, int url_weight) {
    return rule.unit == unit && rule.max == max && rule.url_weight == url_weight;
  };
  REQUIRE(rules("mastodon").size() == 1);
  CHECK(is(rules("mastodon")[0], U::kGraphemes, 500, 23));
  REQUIRE(rules("bluesky").size() == 2);
  CHECK(is(rules("bluesky")[0], U::kGraphemes, 300, 0));
  CHECK(is(rules("bluesky")[1], U::kUtf8Bytes, 3000, 0));
  CHECK(is(rules("x")[0], U::kXWeighted, 280, 23));
  CHECK(is(rules("linkedin")[0], U::kCodePoints, 3000, 0));
  CHECK(is(rules("facebook_page")[0], U::kCodePoints, 63206, 0));
  CHECK(is(rules("threads")[0], U::kThreadsChars, 500, 0));
  CHECK(is(rules("instagram")[0], U::kCodePoints, 2200, 0));
  CHECK(is(rules("telegram")[0], U::kUtf16Units, 4096, 0));
  CHECK(is(rules("discord")[0], U::kCodePoints, 2000, 0));
  CHECK(is(rules("slack")[0], U::kCodePoints, 4000, 0));
  CHECK(rules("webhook").empty());
  CHECK(rules("file").empty());
  CHECK(FindPreset("instagram")->needs_media);
  CHECK_FALSE(FindPreset("mastodon")->needs_media);
}

}  // namespace
}  // namespace herald::policies
