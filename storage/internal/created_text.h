// A post's create audit entry keeps the text the post was created with. While
// the post still has that text, the entry's stored detail leaves it out and
// the reader takes it from the post row; an edit that changes the text puts
// the old text into the entry first (a trigger on posts.text in both
// databases, SQLite step 12 and PostgreSQL step 11), so the entry reads the
// same bytes before and after.
//
// Stored forms of an audit detail, beside those of packed_json.h:
//   "~2" + packed object without "text": the text is the post's;
//   "~3" + <byte length> + ":" + text + packed object without "text": the
//     text as it was before an edit (the trigger's rewrite of a "~2" detail).
// These prefixes are part of the stored format and the triggers: never change
// them.
//
// Pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace herald::storage::internal {

inline constexpr std::string_view kTextOfPostPrefix = "~2";
inline constexpr std::string_view kTextKeptPrefix = "~3";

// The stored form of a create entry's `detail` (written in a row of
// `organization`) for a post whose text is `post_text`: without the text when
// its "text" member is `post_text` and reading it back gives `detail` byte for
// byte, else PackJson's form.
std::string PackCreateDetail(std::string_view detail, std::string_view organization, std::string_view post_text);

// True when `stored` needs its post's text to be read (a "~2" detail).
bool NeedsPostText(std::string_view stored);

// The detail as written, for any stored form. `post_text` is the post's current
// text, read with the row; Internal when a "~2" detail has no post to take it
// from, or a "~3" detail is cut short.
Result<std::string> UnpackDetail(std::string_view stored, std::string_view organization,
                                 const std::optional<std::string>& post_text);

}  // namespace herald::storage::internal
