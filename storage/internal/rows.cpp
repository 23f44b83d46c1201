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
  // [rule, detail] or [rule, detail, posts]: about half the bytes of {rule, detail, posts} objects.
  for (const StoredReason& r : reasons) {
    json reason = json::array({r.rule, r.detail});
    if (!r.posts.empty()) reason.push_back(r.posts);
    out.push_back(std::move(reason));
  }
  return Dump(out);
}

// nlohmann reports type mismatches by throwing, which stops here.
Status ReadJsonColumns(const std::string& labels, const std::string& media, const std::string& reasons,
                       Post& post) {
  std::string_view column;
  // Most posts have no labels, media or reasons: a start reading a million
  // posts skips three parser runs each.
  auto parse = [](const std::string& text) { return text == "[]" ? json::array() : json::parse(text); };
  try {
    column = "labels";
    if (labels != "[]") post.labels = json::parse(labels).get<std::vector<std::string>>();
    column = "media";
    for (const json& m : parse(media)) {
      post.media.push_back(Media{m.at("url").get<std::string>(), m.at("alt").get<std::string>()});
    }
    column = "reasons";
    for (const json& r : parse(reasons)) {
      if (r.is_array()) {
        StoredReason reason{r.at(0).get<std::string>(), r.at(1).get<std::string>(), {}};
        if (r.size() > 2) reason.posts = r.at(2).get<std::vector<std::string>>();
        post.reasons.push_back(std::move(reason));
        continue;
      }
      // Rows written before the packed forms (SQLite step 11, PostgreSQL 10) hold objects.
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

SqlValues PostFieldValues(const Post& post) {
  auto time = [](const std::optional<Instant>& t) -> SqlValue {
    if (!t) return std::monostate();
    return ToUnix(*t);
  };
  SqlValues values;
  values.reserve(kPostFieldCount);
  values.emplace_back(post.organization);
  values.emplace_back(post.account);
  values.emplace_back(post.author);
  values.emplace_back(post.text);
  values.emplace_back(LabelsJson(post.labels));
  values.emplace_back(std::string(post.priority == PostPriority::kUrgent ? "urgent" : "normal"));
  values.emplace_back(MediaJson(post.media));
  values.emplace_back(ToUnix(post.requested_at));
  values.push_back(time(post.planned_at));
  values.emplace_back(std::string(PostStateName(post.state)));
  values.emplace_back(ReasonsJson(post.reasons));
  values.emplace_back(post.approved_by);
  values.emplace_back(post.remote_id);
  values.emplace_back(post.remote_url);
  values.push_back(time(post.published_at));
  values.emplace_back(post.failure);
  values.emplace_back(ToUnix(post.created_at));
  values.emplace_back(ToUnix(post.updated_at));
  values.emplace_back(post.claimed_by);
  values.push_back(time(post.unconfirmed_since));
  values.push_back(time(post.recheck_at));
  values.emplace_back(int64_t{post.rechecks});
  if (post.answers_item) {
    values.emplace_back(*post.answers_item);
  } else {
    values.push_back(std::monostate());
  }
  values.emplace_back(post.reply_to);
  return values;
}

Status UnknownValue(int64_t post_id, std::string_view what, std::string_view value) {
  return Status(Code::kInternal, "post " + std::to_string(post_id) + " has unknown " + std::string(what) +
                                     " \"" + std::string(value) + "\"");
}

}  // namespace herald::storage::internal
