// The engagement_reads table for both stores: its statements, reading its
// rows back, and the conditional writes behind Store::ClaimEngagementRead,
// FinishEngagementRead and DeferEngagementRead.
//
// A row is one point of a post's read schedule: `claimed` (by a process,
// until a time) while the read is made, then `read` (with counts), `gone` or
// `failed`. Pure apart from the WriteSession it is handed.
#pragma once

#include <string_view>

#include "core/engagement.h"
#include "core/status.h"
#include "storage/internal/rows.h"
#include "storage/internal/sql_value.h"
#include "storage/internal/writes.h"
#include "storage/store.h"

namespace herald::storage::internal {

// What ReadEngagementRow expects to have been selected.
inline constexpr std::string_view kEngagementColumns =
    "post_id, organization, point, state, read_at, replies, reposts, likes, quotes, bookmarks, views, detail";

Statement EngagementTargetsStatement(Instant since, int points, int limit);
Statement ListEngagementStatement(std::string_view organization, int64_t post_id);
// InvalidArgument without an organization.
Result<Statement> EngagementSamplesStatement(const EngagementQuery& query);

// See Store for the contracts. Each runs inside its caller's transaction.
Result<bool> ClaimEngagementRead(WriteSession& db, const EngagementClaim& claim);
Result<void> FinishEngagementRead(WriteSession& db, const EngagementRead& read, std::string_view process);
Result<void> DeferEngagementRead(WriteSession& db, int64_t post_id, int point, std::string_view process,
                                 Instant until, std::string_view why);

// The counts of a row whose columns `first`.. hold replies, reposts, likes,
// quotes, bookmarks and views.
template <class Row>
EngagementCounts ReadCounts(const Row& row, int first) {
  EngagementCounts c;
  int column = first;
  for (EngagementMetric m : kEngagementMetrics) c.Set(m, row.OptionalInt(column++));
  return c;
}

template <class Row>
Result<EngagementTarget> ReadEngagementTarget(const Row& row) {
  EngagementTarget t{row.Int(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4), FromUnix(row.Int(5)), std::nullopt};
  if (auto p = row.OptionalInt(6)) t.last_point = static_cast<int>(*p);
  return t;
}

template <class Row>
Result<EngagementRead> ReadEngagementRow(const Row& row) {
  auto outcome = ParseEngagementOutcome(row.Text(3));
  if (!outcome) return std::unexpected(UnknownValue(row.Int(0), "engagement state", row.Text(3)));
  EngagementRead r{row.Int(0), row.Text(1), static_cast<int>(row.Int(2)), FromUnix(row.OptionalInt(4).value_or(0)),
                   *outcome, ReadCounts(row, 5), row.Text(11)};
  return r;
}

// Labels are stored as JSON text; Internal when they are not.
Result<std::vector<std::string>> ReadLabels(int64_t post_id, const std::string& labels_json);

// Selected by EngagementSamplesStatement.
template <class Row>
Result<EngagementSample> ReadEngagementSample(const Row& row) {
  auto labels = ReadLabels(row.Int(0), row.Text(2));
  if (!labels) return std::unexpected(labels.error());
  return EngagementSample{row.Int(0), row.Text(1), std::move(*labels), ReadCounts(row, 3)};
}

}  // namespace herald::storage::internal
