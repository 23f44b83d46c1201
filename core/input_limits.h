// Limits on what a post may carry, checked when a post is created or edited,
// before any rule or platform check: a typo in `at` must not park a post for
// decades, and no label or text may be large enough to cost real work.
//
// Labels are 1 to 64 characters from A-Z a-z 0-9 and "-_.:/", at most 16 per
// post. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace herald {

inline constexpr size_t kMaxLabels = 16;
inline constexpr size_t kMaxLabelLength = 64;

struct InputLimits {
  // `at` may be at most this far after now.
  Duration horizon = std::chrono::days{366};
  // Text longer than this (UTF-8 bytes) is refused before any platform counts
  // it. The default holds the longest platform limit (Facebook's 63,206
  // characters) in ASCII and leaves room in the default 64 KiB body.
  size_t max_text_bytes = 63'206;
};

// Why `label` is not a valid label, or nullopt when it is.
std::optional<std::string> LabelProblem(const std::string& label);

// InvalidArgument naming the field ("at", "text", "labels/3") when a value
// breaks a limit. Absent values are not checked.
Result<void> CheckPostInput(const InputLimits& limits, Instant now, const std::optional<Instant>& at,
                            const std::string* text, const std::vector<std::string>* labels);

}  // namespace herald
