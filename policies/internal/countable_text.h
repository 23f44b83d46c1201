// The text a platform measures, where that is not what was written. Mastodon
// counts a remote mention "@user@domain" as "@user" (StatusLengthValidator);
// X weights a bare domain ("example.com", "example.co.uk/x") as a URL, like
// twitter-text's extractor, so the domain gets "https://" here and the rule's
// URL weight applies to it. Which applies follows from the rule's count:
// X's weighted unit, and graphemes with a URL weight (Mastodon's). Internal to
// policies/. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "policies/presets.h"

namespace herald::policies::internal {

// The text to count for `rule`, or nullopt when it is `text` itself.
std::optional<std::string> CountableText(std::string_view text, const LengthRule& rule);

}  // namespace herald::policies::internal
