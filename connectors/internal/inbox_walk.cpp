#include "connectors/internal/inbox_walk.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace herald::connectors::internal {
namespace {

using json = nlohmann::json;
constexpr size_t kMaxIdsAtMark = 200;  // a cursor from elsewhere cannot grow without end

void Raise(std::optional<InboxMark>& mark, const WalkItem& item) {
  if (!mark || item.at > mark->at) {
    mark = InboxMark{item.at, {item.id}};
  } else if (item.at == mark->at && mark->ids.size() < kMaxIdsAtMark) {
    mark->ids.insert(item.id);
  }
}

bool IsVersion1(const json& j) { return j.is_object() && j.contains("v") && j["v"] == 1; }

json MarkJson(const std::optional<InboxMark>& mark) {
  if (!mark) return nullptr;
  return {{"at", mark->at.time_since_epoch().count()}, {"ids", mark->ids}};
}

std::optional<std::optional<InboxMark>> ReadMark(const json& j) {
  if (j.is_null()) return std::optional<InboxMark>{};
  if (!j.is_object() || !j.contains("at") || !j["at"].is_number_integer() || !j.contains("ids") || !j["ids"].is_array() ||
      j["ids"].size() > kMaxIdsAtMark)
    return std::nullopt;
  InboxMark mark{Instant{std::chrono::seconds{j["at"].get<int64_t>()}}, {}};
  for (const json& id : j["ids"]) {
    if (!id.is_string()) return std::nullopt;
    mark.ids.insert(id.get<std::string>());
  }
  return std::optional<InboxMark>{mark};
}

json WalkJson(const InboxWalk& walk) {
  json j = {{"seen", MarkJson(walk.seen)}};
  if (walk.walking()) {
    j["top"] = MarkJson(walk.top);
    j["page"] = walk.page;
  }
  return j;
}

std::optional<InboxWalk> ReadWalk(const json& j) {
  if (!j.is_object()) return std::nullopt;
  InboxWalk walk;
  auto seen = ReadMark(j.value("seen", json()));
  if (!seen) return std::nullopt;
  walk.seen = *seen;
  if (j.contains("page")) {
    auto top = ReadMark(j.value("top", json()));
    if (!top || !j["page"].is_string()) return std::nullopt;
    walk.top = *top;
    walk.page = j["page"].get<std::string>();
  }
  return walk;
}

}  // namespace

bool InboxWalk::IsNew(std::string_view id, Instant at) const {
  if (!seen) return true;
  return at > seen->at || (at == seen->at && !seen->ids.contains(std::string(id)));
}

WalkStep Advance(const InboxWalk& walk, const std::vector<WalkItem>& page, const std::string& next_page,
                 bool newest_first, bool history) {
  WalkStep step;
  bool reached_old = false;
  std::optional<InboxMark> top = walk.walking() ? walk.top : std::nullopt;
  for (size_t i = 0; i < page.size(); ++i) {
    if (walk.IsNew(page[i].id, page[i].at)) {
      step.fresh.push_back(i);
      Raise(top, page[i]);
    } else {
      reached_old = true;
    }
  }
  bool done = next_page.empty() || (newest_first && reached_old) || (!walk.seen && !history && !walk.walking());
  if (done) {
    step.next.seen = walk.seen;
    if (top && (!step.next.seen || top->at >= step.next.seen->at)) {
      if (step.next.seen && top->at == step.next.seen->at) top->ids.insert(step.next.seen->ids.begin(), step.next.seen->ids.end());
      step.next.seen = top;
    }
    return step;
  }
  step.next.seen = walk.seen;
  step.next.top = top;
  step.next.page = next_page;
  step.more = true;
  return step;
}

InboxReadResult TakeNewestFirstPage(const InboxWalk& walk, std::vector<InboxMessage> page,
                                    const std::vector<WalkItem>& items, const std::string& next_page, bool history) {
  WalkStep step = Advance(walk, items, next_page, /*newest_first=*/true, history);
  InboxReadResult out;
  out.kind = InboxReadResult::Kind::kRead;
  for (auto it = step.fresh.rbegin(); it != step.fresh.rend(); ++it) out.items.push_back(std::move(page[*it]));
  out.cursor = EncodeWalk(step.next);
  out.more = step.more;
  return out;
}

std::string EncodeWalk(const InboxWalk& walk) { return json{{"v", 1}, {"walk", WalkJson(walk)}}.dump(); }

std::optional<InboxWalk> DecodeWalk(std::string_view cursor) {
  json j = json::parse(cursor, nullptr, false);
  if (!IsVersion1(j) || !j.contains("walk")) return std::nullopt;
  return ReadWalk(j["walk"]);
}

std::string EncodeWalks(const std::map<std::string, InboxWalk>& walks, const std::vector<std::string>& keep) {
  json posts = json::object();
  for (const std::string& id : keep)
    if (auto it = walks.find(id); it != walks.end()) posts[id] = WalkJson(it->second);
  return json{{"v", 1}, {"posts", posts}}.dump();
}

std::optional<std::map<std::string, InboxWalk>> DecodeWalks(std::string_view cursor) {
  json j = json::parse(cursor, nullptr, false);
  if (!IsVersion1(j) || !j.contains("posts") || !j["posts"].is_object()) return std::nullopt;
  std::map<std::string, InboxWalk> walks;
  for (const auto& [id, w] : j["posts"].items()) {
    auto walk = ReadWalk(w);
    if (!walk) return std::nullopt;
    walks[id] = *walk;
  }
  return walks;
}

}  // namespace herald::connectors::internal
