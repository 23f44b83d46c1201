// JSON for the engagement endpoints: a post's series and the rollups. Counts a
// platform does not expose are null, never 0. Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "scheduler/runtime/service.h"

namespace herald::api::internal {

// {"post", "account", "platform", "published_at", "gone", "next_read",
//  "not_available": [...], "series": [{"point", "read_at", "outcome",
//  "counts": {...}, "interactions", "detail"?}, ...]} with the newest last.
nlohmann::json EngagementSeriesToJson(const runtime::EngagementSeries& series);

// {"from", "to", "promotional_labels", "totals", "promotional", "other",
//  "by_account": {id: totals}, "by_label": {label: totals}}, each totals
// {"posts", "interactions", "interactions_per_post"}.
nlohmann::json EngagementRollupToJson(const runtime::EngagementRollupView& view);

}  // namespace herald::api::internal
