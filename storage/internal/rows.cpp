#include "storage/internal/rows.h"

#include <nlohmann/json.hpp>

#include <string>

namespace herald::storage::internal {
namespace {

using nlohmann::json;

// Invalid UTF-8 is stored with replacement characters instead of failing the write.
std::string Dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::string LabelsJson(const std::vector<std::string>& labels) { return Dump(json(labels)); }

std::string MediaJson(const std::vector<Media>& media) {
  json out = json::array();
  for (const Media& m : media) out.push_back({{"url", m.url}, {"alt", m.alt}});
  return Dump(out);
}

std::string ReasonsJson(const std::vector<StoredReason>& reasons) {
  json out = json::array();
  for (const StoredReason& r : reasons) {
    out.push_back({{"rule", r.rule}, {"detail", r.detail}, {"posts", r.posts}});
  }
  return Dump(out);
}

// nlohmann reports type mismatches by throwing, which stops here.
Status ReadJsonColumns(const std::string& labels, const std::string& media, const std::string& reasons,
                       Post& post) {
  std::string_view column;
  try {
    column = "labels";
    post.labels = json::parse(labels).get<std::vector<std::string>>();
    column = "media";
    for (const json& m : json::parse(media)) {
      post.media.push_back(Media{m.at("url").get<std::string>(), m.at("alt").get<std::string>()});
    }
    column = "reasons";
    for (const json& r : json::parse(reasons)) {
      post.reasons.push_back(StoredReason{r.at("rule").get<std::string>(),
                                          r.at("detail").get<std::string>(),
                                          r.at("posts").get<std::vector<std::string>>()});
    }
  } catch (const json::exception& e) {
    return Status(Code::kInternal, "post " + std::to_string(post.id) + " has unreadable " +
                                       std::string(column) + " in the database: " + e.what());
  }
  return Status();
}

int64_t ToUnix(Instant t) { return t.time_since_epoch().count(); }

Instant FromUnix(int64_t seconds) { return Instant(std::chrono::seconds(seconds)); }

void BindPostFields(Query& query, const Post& post) {
  auto optional_time = [](const std::optional<Instant>& t) -> std::optional<int64_t> {
    if (!t) return std::nullopt;
    return ToUnix(*t);
  };
  query.Bind(post.organization)
      .Bind(post.account)
      .Bind(post.author)
      .Bind(post.text)
      .Bind(LabelsJson(post.labels))
      .Bind(post.priority == PostPriority::kUrgent ? "urgent" : "normal")
      .Bind(MediaJson(post.media))
      .Bind(ToUnix(post.requested_at))
      .Bind(optional_time(post.planned_at))
      .Bind(PostStateName(post.state))
      .Bind(ReasonsJson(post.reasons))
      .Bind(post.approved_by)
      .Bind(post.remote_id)
      .Bind(post.remote_url)
      .Bind(optional_time(post.published_at))
      .Bind(post.failure)
      .Bind(ToUnix(post.created_at))
      .Bind(ToUnix(post.updated_at))
      .Bind(post.claimed_by);
}

Result<Post> ReadPost(const Query& query) {
  Post post;
  post.id = query.Int(0);
  post.organization = query.Text(1);
  post.account = query.Text(2);
  post.author = query.Text(3);
  post.text = query.Text(4);
  std::string priority = query.Text(6);
  if (priority != "normal" && priority != "urgent") {
    return std::unexpected(Status(Code::kInternal, "post " + std::to_string(post.id) +
                                                       " has unknown priority \"" + priority + "\""));
  }
  post.priority = priority == "urgent" ? PostPriority::kUrgent : PostPriority::kNormal;
  post.requested_at = FromUnix(query.Int(8));
  if (auto t = query.OptionalInt(9)) post.planned_at = FromUnix(*t);
  std::string state = query.Text(10);
  auto parsed = ParsePostState(state);
  if (!parsed) {
    return std::unexpected(Status(Code::kInternal, "post " + std::to_string(post.id) +
                                                       " has unknown state \"" + state + "\""));
  }
  post.state = *parsed;
  post.approved_by = query.Text(12);
  post.remote_id = query.Text(13);
  post.remote_url = query.Text(14);
  if (auto t = query.OptionalInt(15)) post.published_at = FromUnix(*t);
  post.failure = query.Text(16);
  post.created_at = FromUnix(query.Int(17));
  post.updated_at = FromUnix(query.Int(18));
  post.version = query.Int(19);
  post.change_seq = query.Int(20);
  post.claimed_by = query.Text(21);
  if (Status s = ReadJsonColumns(query.Text(5), query.Text(7), query.Text(11), post); !s.ok()) return std::unexpected(std::move(s));
  return post;
}

Result<AuditEntry> ReadAudit(const Query& query) {
  AuditEntry entry;
  entry.id = query.Int(0);
  entry.organization = query.Text(1);
  entry.at = FromUnix(query.Int(2));
  entry.actor = query.Text(3);
  entry.action = query.Text(4);
  entry.post_id = query.OptionalInt(5);
  entry.detail = query.Text(6);
  return entry;
}

}  // namespace herald::storage::internal
