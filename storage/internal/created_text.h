// A post's create audit entry keeps the text and reasons the post was created
// with. While the post still has them, the entry's stored detail leaves them
// out and the reader takes them from the post row; an update that changes
// them puts the old values into the entry first (a trigger on posts.text and
// posts.reasons in both databases, SQLite step 12 and PostgreSQL step 11), so
// the entry reads the same bytes before and after.
//
// Stored forms of an audit detail, beside those of packed_json.h ("rest" is
// the packed object without the members left out, after its "~1"):
//   "~2" rest: the text is the post's;
//   "~4" rest: the text and the reasons are the post's;
//   "~3" <n> ":" <text> rest: "~2" once the post's text changed (n bytes of
//     the text as it was);
//   "~5" <n> ":" <text> <m> ":" <reasons column> rest: "~4" once the post's
//     text or reasons changed.
// These forms are part of the stored format and of the triggers: never change
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
inline constexpr std::string_view kTextAndReasonsOfPostPrefix = "~4";
inline constexpr std::string_view kTextAndReasonsKeptPrefix = "~5";

// The stored form of a create entry's `detail` (written in a row of
// `organization`) for a post whose columns are `post_text` and `post_reasons`
// (the reasons as the posts row stores them): without the members that equal
// the post's, when reading it back gives `detail` byte for byte; else
// PackJson's form.
std::string PackCreateDetail(std::string_view detail, std::string_view organization, std::string_view post_text,
                             std::string_view post_reasons);
// The same for a detail already packed: `packed` is PackJson's form of
// `detail` (AuditEntry::stored_detail), so it is not packed again.
std::string PackCreateDetailFrom(std::string_view packed, std::string_view detail, std::string_view organization,
                                 std::string_view post_text, std::string_view post_reasons);

// The detail as written, for any stored form. `post_text` and `post_reasons`
// are the post's columns, read with the row (nullopt when the form needs
// neither). Internal when a form needs a column it was not given, or a kept
// form is cut short.
Result<std::string> UnpackDetail(std::string_view stored, std::string_view organization,
                                 const std::optional<std::string>& post_text,
                                 const std::optional<std::string>& post_reasons);

}  // namespace herald::storage::internal
