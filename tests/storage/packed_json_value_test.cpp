// Building a stored form from the JSON value (PackJsonValue, SetAuditDetail,
// StoredPostEvent) writes the same bytes as printing the value and packing
// the text (PackJson), over many varied values: the shapes herald writes, and
// values that must not be packed (floats, stored keys, numbers where names or
// times go, text that is not UTF-8, an organisation that is not the row's).
#include "storage/internal/packed_json.h"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/time.h"
#include "storage/audit_detail.h"
#include "storage/internal/event_rows.h"

namespace herald::storage::internal {
namespace {

using nlohmann::json;

constexpr int64_t kBase = 1796673665;  // 2026-12-07T20:01:05Z

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string TimeText(int i) { return FormatRfc3339(Instant(std::chrono::seconds(kBase + i * 3671))); }

json Reasons(int i) {
  json reasons = json::array();
  if (i % 3 == 1) reasons.push_back({{"rule", "quiet_hours"}, {"detail", "00:00-06:00"}});
  for (int k = 0; k < i % 4; ++k) {
    reasons.push_back({{"rule", "min_spacing"},
                       {"detail", "45m after post " + std::to_string(i + k)},
                       {"posts", json::array({std::to_string(i + k)})}});
  }
  if (i % 11 == 0) reasons.push_back({{"rule", "content.banned_term"}, {"detail", "\"RivalCorp\" — ✓ \n"}});
  if (i % 13 == 0) reasons.push_back({{"rule", "days"}, {"detail", ""}});
  if (i % 17 == 0) reasons.push_back({{"rule", "x"}, {"detail", "y"}, {"extra", 1}});  // not a plain reason
  return reasons;
}

std::string SummaryOf(const json& reasons, int i) {
  std::string s = i % 2 == 0 ? "deferred 1h13m55s" : "placed";
  bool first = true;
  for (const json& r : reasons) {
    const std::string rule = r["rule"];
    const std::string detail = r["detail"];
    s += first ? ": " : "; ";
    first = false;
    s += rule;
    if (!detail.empty()) s += (rule.starts_with("content.") ? ": " : " ") + detail;
  }
  return s;
}

// Value `i` of many shapes; `organization` is the row's.
json ValueOf(int i, const std::string& organization) {
  json v = json::object();
  v["account"] = i % 9 == 0 ? "acct \"x\"" : "acct-" + std::to_string(i % 50);
  if (i % 2 == 0) v["text"] = "Post " + std::to_string(i) + ": ünïcode ✓ \\ \"q\"";
  static const char* kStateNames[] = {"scheduled", "published", "refused", "not-a-state"};
  switch (i % 7) {
    case 0: v["state"] = kStateNames[i % 4]; break;
    case 1: v["state"] = int64_t{i % 12};    break;  // a number where a name goes (signed in memory)
    case 2: v["state"] = uint64_t(i % 12);   break;
    default: v["state"] = "scheduled";
  }
  switch (i % 6) {
    case 0: v["planned_at"] = TimeText(i);                  break;
    case 1: v["planned_at"] = "2026-12-07T20:01:05+01:00";  break;  // not the canonical form
    case 2: v["planned_at"] = int64_t{kBase + i};           break;  // a number where a time goes
    case 3: v["planned_at"] = nullptr;                      break;
    default: break;
  }
  json reasons = Reasons(i);
  if (!reasons.empty() && i % 5 != 4) {
    v["reasons"] = reasons;
    if (i % 3 != 2) v["summary"] = SummaryOf(reasons, i);
    else v["summary"] = "something else";
  }
  if (i % 8 == 0) v["organization"] = organization;
  if (i % 8 == 1) v["organization"] = "other org";
  if (i % 8 == 2) v["organization"] = 0;
  if (i % 10 == 3) v["labels"] = json::array({"launch", "ä \"b\""});
  if (i % 12 == 5) v["x"] = "a stored key already";
  if (i % 14 == 6) v["ratio"] = 0.5 + i;  // a float: PackJson's own path
  if (i % 15 == 7) v["answers_item"] = -int64_t{i};
  if (i % 16 == 8) v["text"] = std::string("bad \xff\xfe utf-8");
  if (i % 19 == 9) v["previous"] = {{"state", "scheduled"}, {"planned_at", TimeText(i + 1)}};
  if (i % 21 == 10) v["violations"] = Reasons(i + 1);
  if (i % 23 == 11) v["note"] = "~ starts with a tilde";
  if (i % 27 == 13) {
    // Invalid UTF-8 that prints the same in the summary and in a reason.
    v["reasons"] = json::array({{{"rule", "days"}, {"detail", std::string("a\xff")}}});
    v["summary"] = std::string("deferred 1h: days a\xfe");
  }
  if (i % 25 == 12) v = json::object({{"inbox_item", i}, {"to", "answered"}});
  return v;
}

TEST_CASE("A stored form built from the value is what packing its text stores", "[storage][packed]") {
  const std::vector<std::string> organizations = {"mem", "acme \"quoted\"", "zürich-ß"};
  size_t packed = 0, plain = 0;
  for (int i = 0; i < 4000; ++i) {
    const std::string& organization = organizations[i % organizations.size()];
    json value = ValueOf(i, organization);
    PackedJson built = PackJsonValue(value, organization);
    std::string text = Dump(value);
    INFO("value " << text);
    REQUIRE(built.text == text);
    REQUIRE(built.stored == PackJson(text, organization));
    REQUIRE(UnpackJson(built.stored, organization) == text);
    (built.stored.starts_with(kPackedPrefix) ? packed : plain) += 1;
  }
  // Both outcomes are exercised.
  CHECK(packed > 1000);
  CHECK(plain > 200);
}

TEST_CASE("A value that is not an object is stored as its text", "[storage][packed]") {
  for (const json& value : {json::array({1, 2}), json("~text"), json(3), json(nullptr), json(1.5)}) {
    PackedJson built = PackJsonValue(value, "mem");
    CHECK(built.text == Dump(value));
    CHECK(built.stored == PackJson(built.text, "mem"));
  }
}

TEST_CASE("An audit detail set from its value is stored as its text would be", "[storage][packed]") {
  json detail = ValueOf(6, "mem");
  AuditEntry entry;
  entry.organization = "mem";
  SetAuditDetail(entry, detail);
  CHECK(entry.detail == Dump(detail));
  CHECK(entry.stored_detail == PackJson(entry.detail, "mem"));
  CHECK(entry.stored_detail.starts_with(kPackedPrefix));

  AuditEntry unowned;  // no organisation yet: the store packs the text
  SetAuditDetail(unowned, detail);
  CHECK(unowned.detail == entry.detail);
  CHECK(unowned.stored_detail.empty());
}

TEST_CASE("A post event's stored payload is what packing its payload stores", "[storage][packed]") {
  for (int i = 0; i < 2000; ++i) {
    Post p;
    p.id = 5000 + i;
    p.organization = i % 2 ? "mem" : "acme \"q\"";
    p.account = "acct-" + std::to_string(i % 7);
    p.state = static_cast<PostState>(i % (static_cast<int>(PostState::kMissed) + 1));
    p.version = 1 + i % 3;
    p.updated_at = Instant(std::chrono::seconds(kBase + i));
    if (i % 4 != 3) p.planned_at = Instant(std::chrono::seconds(kBase + i * 60));
    if (i % 5 == 0) p.labels = {"launch", "ä"};
    if (i % 3 == 1) p.reasons.push_back({"quiet_hours", "00:00-06:00", {}});
    if (i % 7 == 0) p.answers_item = i;
    if (p.state == PostState::kPublished) {
      p.published_at = Instant(std::chrono::seconds(kBase + i + 5));
      p.remote_id = "r-" + std::to_string(i);
    }
    if (i % 9 == 0) p.failure = std::string("bad \xff utf-8");
    std::optional<PostState> from;
    if (i % 3 != 0) from = PostState::kScheduled;
    auto event = PostEvent(from, std::nullopt, p);
    auto stored = StoredPostEvent(from, std::nullopt, p);
    REQUIRE(event.has_value() == stored.has_value());
    if (!event) continue;
    INFO("payload " << event->payload);
    CHECK(stored->event == *event);
    CHECK(stored->stored_payload == PackJson(event->payload, p.organization));
  }
}

}  // namespace
}  // namespace herald::storage::internal
