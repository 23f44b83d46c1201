#include "storage/internal/engagement_rows.h"

#include <string>

namespace herald::storage::internal {
namespace {

SqlValue Text(std::string_view v) { return std::string(v); }

SqlValue Count(const std::optional<int64_t>& v) {
  if (!v) return {};
  return *v;
}

Status ClaimLost(int64_t post_id, int point, std::string_view process) {
  return Status(Code::kFailedPrecondition, "engagement read " + std::to_string(point) + " of post " +
                                               std::to_string(post_id) + " is no longer claimed by " +
                                               std::string(process) + ": its claim ended and another process took it");
}

// The latest finished point of post `p`.
constexpr std::string_view kLastPoint =
    "(SELECT MAX(e.point) FROM engagement_reads e WHERE e.post_id = p.id AND e.state <> 'claimed')";

}  // namespace

Statement EngagementTargetsStatement(Instant since, int points, int limit) {
  static const std::string sql =
      "SELECT p.id, p.organization, p.account, p.remote_id, p.remote_url, p.published_at, " + std::string(kLastPoint) +
      " FROM posts p WHERE p.state = 'published' AND p.published_at >= ?"
      " AND NOT EXISTS (SELECT 1 FROM engagement_reads g WHERE g.post_id = p.id AND g.state = 'gone')"
      " AND COALESCE(" + std::string(kLastPoint) + ", -1) < ?"
      " ORDER BY p.published_at, p.id LIMIT ?";
  return {sql, {ToUnix(since), int64_t{points - 1}, int64_t{limit}}};
}

Statement ListEngagementStatement(std::string_view organization, int64_t post_id) {
  return {"SELECT " + std::string(kEngagementColumns) +
              " FROM engagement_reads WHERE post_id = ? AND organization = ? AND state <> 'claimed'"
              " ORDER BY read_at, point",
          {post_id, Text(organization)}};
}

Result<Statement> EngagementSamplesStatement(const EngagementQuery& q) {
  if (q.organization.empty()) {
    return std::unexpected(Status(Code::kInvalidArgument, "an engagement query needs an organization"));
  }
  Statement s{"SELECT p.id, p.account, p.labels, e.replies, e.reposts, e.likes, e.quotes, e.bookmarks, e.views"
              " FROM posts p JOIN engagement_reads e ON e.post_id = p.id AND e.state = 'read'"
              " AND e.point = (SELECT MAX(x.point) FROM engagement_reads x WHERE x.post_id = p.id AND x.state = 'read')"
              " WHERE p.organization = ? AND p.state = 'published' AND p.published_at >= ? AND p.published_at < ?",
              {q.organization, ToUnix(q.from), ToUnix(q.to)}};
  if (q.account) {
    s.sql += " AND p.account = ?";
    s.values.emplace_back(*q.account);
  }
  s.sql += " ORDER BY p.id";
  return s;
}

Result<bool> ClaimEngagementRead(WriteSession& db, const EngagementClaim& c) {
  if (c.organization.empty() || c.process.empty()) {
    return std::unexpected(Status(Code::kInvalidArgument, "an engagement claim needs an organization and a process"));
  }
  auto changed = db.RunCounting(
      {"INSERT INTO engagement_reads (post_id, point, organization, state, claimed_by, claim_until, detail)"
       " VALUES (?, ?, ?, 'claimed', ?, ?, '')"
       " ON CONFLICT (post_id, point) DO UPDATE SET claimed_by = excluded.claimed_by,"
       " claim_until = excluded.claim_until"
       " WHERE engagement_reads.state = 'claimed' AND engagement_reads.claim_until <= ?",
       {c.post_id, int64_t{c.point}, c.organization, c.process, ToUnix(c.until), ToUnix(c.now)}});
  if (!changed) return std::unexpected(changed.error());
  return *changed == 1;
}

Result<void> FinishEngagementRead(WriteSession& db, const EngagementRead& r, std::string_view process) {
  const bool read = r.outcome == EngagementOutcome::kRead;
  auto changed = db.RunCounting(
      {"UPDATE engagement_reads SET state = ?, read_at = ?, replies = ?, reposts = ?, likes = ?, quotes = ?,"
       " bookmarks = ?, views = ?, detail = ?"
       " WHERE post_id = ? AND point = ? AND claimed_by = ? AND state = 'claimed'",
       {Text(EngagementOutcomeName(r.outcome)), ToUnix(r.read_at), read ? Count(r.counts.replies) : SqlValue{},
        read ? Count(r.counts.reposts) : SqlValue{}, read ? Count(r.counts.likes) : SqlValue{},
        read ? Count(r.counts.quotes) : SqlValue{}, read ? Count(r.counts.bookmarks) : SqlValue{},
        read ? Count(r.counts.views) : SqlValue{}, r.detail, r.post_id, int64_t{r.point}, Text(process)}});
  if (!changed) return std::unexpected(changed.error());
  if (*changed != 1) return std::unexpected(ClaimLost(r.post_id, r.point, process));
  return {};
}

Result<void> DeferEngagementRead(WriteSession& db, int64_t post_id, int point, std::string_view process,
                                 Instant until, std::string_view why) {
  auto changed = db.RunCounting({"UPDATE engagement_reads SET claim_until = ?, detail = ?"
                                 " WHERE post_id = ? AND point = ? AND claimed_by = ? AND state = 'claimed'",
                                 {ToUnix(until), Text(why), post_id, int64_t{point}, Text(process)}});
  if (!changed) return std::unexpected(changed.error());
  if (*changed != 1) return std::unexpected(ClaimLost(post_id, point, process));
  return {};
}

Result<std::vector<std::string>> ReadLabels(int64_t post_id, const std::string& labels_json) {
  Post scratch;
  scratch.id = post_id;
  if (Status s = ReadJsonColumns(labels_json, "[]", "[]", scratch); !s.ok()) return std::unexpected(s);
  return scratch.labels;
}

}  // namespace herald::storage::internal
