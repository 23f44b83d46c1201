// The LinkedIn connector's pieces that tests reach directly.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace herald::connectors {

// The LinkedIn-Version header sent when the connector names none (YYYYMM).
inline constexpr std::string_view kDefaultLinkedinVersion = "202509";

// `text` in LinkedIn's "little" text format: a backslash before each
// reserved character \ | { } @ [ ] ( ) < > # * _ ~ so the post shows it
// literally instead of being cut at it.
std::string EscapeLittleText(std::string_view text);

}  // namespace herald::connectors
