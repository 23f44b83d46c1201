// The body of POST /v1/posts/batch: posts as JSON lines (the objects of
// POST /v1/posts, plus an optional "id", which is what `herald simulate`
// reads) or CSV (a header row naming the columns id, account, at, text,
// labels, priority, media_url, media_alt). Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/internal/json_codec.h"
#include "scheduler/runtime/service.h"

namespace herald::api::internal {

enum class BatchFormat { kJsonLines, kCsv };

inline constexpr size_t kMaxBatchLines = 1000;

// One post of a batch: where it is in the body, the id the line gave (if
// any), and its request or what is wrong with it.
struct BatchLine {
  int line = 0;
  std::optional<std::string> id;
  Parsed<runtime::CreatePostRequest> request = std::unexpected(BodyErrors{});
  nlohmann::json canonical;  // the line as a JSON object, for the idempotency hash
};

// The posts of the body, or what makes the whole body unreadable (a CSV that
// is not CSV, a header with an unknown column, more than kMaxBatchLines
// posts), each error with its line.
Parsed<std::vector<BatchLine>> ParseBatch(std::string_view body, BatchFormat format);

}  // namespace herald::api::internal
