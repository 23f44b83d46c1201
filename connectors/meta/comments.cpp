#include "connectors/meta/comments.h"

#include <algorithm>

#include "connectors/internal/inbox_walk.h"
#include "connectors/internal/json_counts.h"
#include "connectors/platform_http.h"

namespace herald::connectors::meta {
namespace {

using json = nlohmann::json;
using IKind = InboxReadResult::Kind;
constexpr size_t kMaxPage = 4 * 1024 * 1024;

InboxReadResult Failed(std::string why, int status) {
  InboxReadResult out;
  out.kind = IKind::kFailed;
  out.why = std::move(why);
  out.http_status = status;
  return out;
}

// Whether a Graph refusal concerns the account (credentials, permissions)
// rather than this one post (deleted, or not the account's).
bool AboutAccount(const HttpResponse& r) {
  if (r.status == 401 || r.status == 403) return true;
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object()) return false;
  int64_t code = internal::JsonCount(j["error"], "code").value_or(0);
  return code == 190 || code == 102 || code == 10 || (code >= 200 && code < 300);
}

}  // namespace

std::optional<Instant> CommentTime(const json& item, std::string_view field) {
  auto it = item.find(field);
  if (it == item.end() || !it->is_string()) return std::nullopt;
  return ParseGraphTime(it->get<std::string>());
}

std::string CommentString(const json& item, std::string_view field, size_t max_bytes) {
  auto it = item.find(field);
  return it != item.end() && it->is_string() ? InboxText(it->get<std::string>(), max_bytes) : std::string();
}

InboxReadResult ReadComments(const GraphClient& client, const CommentEdge& edge, const InboxReadRequest& request) {
  const std::string& platform = client.platform();
  std::map<std::string, internal::InboxWalk> walks;
  if (!request.cursor.empty()) {
    auto decoded = internal::DecodeWalks(request.cursor);
    if (!decoded) return Failed(platform + ": the inbox cursor is not one this connector wrote", 0);
    walks = std::move(*decoded);
  }
  std::vector<std::string> posts;
  for (const std::string& id : request.recent_posts) {
    if (posts.size() >= edge.max_posts) break;
    if (!IsGraphId(id)) continue;
    if (std::find(posts.begin(), posts.end(), id) == posts.end()) posts.push_back(id);
  }
  InboxReadResult out;
  out.kind = IKind::kRead;
  std::vector<std::string> gone;
  for (const std::string& post : posts) {
    internal::InboxWalk& walk = walks[post];
    Fields query = edge.query;
    if (walk.walking()) query.emplace_back("after", walk.page);
    HttpResult r = client.Get(post + "/" + edge.edge, query, kMaxPage);
    if (!r && r.error().kind == HttpFailure::Kind::kTooLarge) return *ReadInboxFailure(platform, r, request.now);
    if (auto graph = ReadGraphFailure(platform, r, request.now)) {
      if (graph->kind == PublishResult::Kind::kFailed && r && r->status >= 400 && r->status < 500 && !AboutAccount(*r)) {
        gone.push_back(post);  // deleted, or no longer the account's: nothing to read under it
        continue;
      }
      InboxReadResult failure = InboxFailure(*graph);
      if (failure.kind == IKind::kFailed || out.items.empty()) return failure;
      // Keep what was read: the cursor covers the posts read so far only.
      out.hold_until = failure.hold_until ? failure.hold_until : failure.retry_at;
      out.why = failure.why;
      break;
    }
    json answer = json::parse(r->body, nullptr, false);
    if (!answer.is_object() || !answer.contains("data") || !answer["data"].is_array()) {
      return Failed(platform + ": the " + edge.edge + " of " + post + " answered without a data list (" +
                        (answer.is_discarded() ? "not JSON" : "unexpected JSON") + ")",
                    r->status);
    }
    std::vector<InboxMessage> page;
    std::vector<internal::WalkItem> items;
    for (const json& item : answer["data"]) {
      for (InboxMessage& m : edge.read(item, post)) {
        items.push_back({m.remote_id, m.created_at});
        page.push_back(std::move(m));
      }
    }
    std::string next;
    if (answer.contains("paging") && answer["paging"].is_object() && answer["paging"].contains("next") &&
        answer["paging"].value("cursors", json()).is_object() &&
        answer["paging"]["cursors"].value("after", json()).is_string())
      next = answer["paging"]["cursors"]["after"].get<std::string>();
    if (next.size() > 1024) next.clear();
    internal::WalkStep step = internal::Advance(walk, items, next, edge.newest_first, /*history=*/true);
    for (size_t i : step.fresh) out.items.push_back(std::move(page[i]));
    walk = step.next;
    out.more = out.more || step.more;
    if (auto hold = ReadsHoldAfterSuccess(*r, request.now)) {
      out.hold_until = hold;
      break;  // the account's budget is nearly spent: publishing keeps the rest
    }
    out.http_status = r->status;
  }
  std::stable_sort(out.items.begin(), out.items.end(),
                   [](const InboxMessage& a, const InboxMessage& b) { return a.created_at < b.created_at; });
  std::vector<std::string> keep;
  for (const std::string& id : request.recent_posts)
    if (std::find(gone.begin(), gone.end(), id) == gone.end()) keep.push_back(id);
  out.cursor = internal::EncodeWalks(walks, keep);
  return out;
}

}  // namespace herald::connectors::meta
