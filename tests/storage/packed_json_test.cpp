// The stored form of audit details and event payloads gives back, byte for
// byte, what herald's encoders wrote (PostEvent for events; the audit detail as
// the Service builds it, with Decision::Summary), over many posts of every
// state and shape, and keeps as it is any text it cannot pack.
#include "storage/internal/packed_json.h"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/time.h"
#include "scheduler/governor.h"
#include "storage/internal/event_rows.h"

namespace herald::storage::internal {
namespace {

using nlohmann::json;

constexpr int64_t kBase = 1796673665;  // 2026-12-07T20:01:05Z

Instant T(int64_t offset) { return Instant(std::chrono::seconds(kBase + offset)); }

const std::vector<std::string> kOrganizations = {"mem", "acme \"quoted\"", "zürich-ß", "org/with\\slash"};

// The reasons of post `i`: none, a quiet hour, spacing around other posts, a
// content refusal, an empty detail, text that needs escaping or is not UTF-8.
std::vector<StoredReason> ReasonsOf(int i) {
  std::vector<StoredReason> reasons;
  if (i % 3 == 1) reasons.push_back({"quiet_hours", "00:00-06:00", {}});
  for (int k = 0; k < i % 5; ++k) {
    reasons.push_back({"min_spacing", "45m after post " + std::to_string(i * 7 + k), {std::to_string(i * 7 + k)}});
  }
  if (i % 11 == 0) reasons.push_back({"content.banned_term", "\"RivalCorp\" — ✓ \n\ttab", {}});
  if (i % 13 == 0) reasons.push_back({"days", "", {}});
  if (i % 17 == 0) reasons.push_back({"rolling_cap", std::string("bad \xff\xfe utf-8"), {"1", "2"}});
  return reasons;
}

Post PostOf(int i) {
  Post p;
  p.id = 1000 + i;
  p.organization = kOrganizations[i % kOrganizations.size()];
  p.account = i % 9 == 0 ? "acct \"x\"" : "mem-" + std::to_string(i % 100);
  p.author = "bench";
  p.text = "Planned post " + std::to_string(i) + ": ünïcode ✓ \"quotes\" \\ back";
  p.state = static_cast<PostState>(i % (static_cast<int>(PostState::kMissed) + 1));
  p.requested_at = T(i * 60);
  if (i % 4 != 3) p.planned_at = T(i * 60 + (i % 7) * 3600);
  if (i % 5 == 0) p.labels = {"launch"};
  if (i % 10 == 0) p.labels.push_back("ä \"b\"");
  p.reasons = ReasonsOf(i);
  if (i % 7 == 0) p.answers_item = 40 + i;
  if (p.state == PostState::kPublished) {
    p.published_at = T(i * 60 + 5);
    p.remote_id = "r-" + std::to_string(i);
    p.remote_url = "https://social.example/@mem/" + std::to_string(i);
  }
  if (p.state == PostState::kFailed || p.state == PostState::kUnconfirmed) p.failure = "HTTP 503: \"busy\"";
  p.version = 1 + i % 4;
  p.created_at = p.updated_at = T(0);
  return p;
}

// The create entry's detail as Service::CreatePost and Service::Impl::Audit write it.
std::string CreateDetail(const Post& p) {
  json detail = {{"account", p.account}, {"text", p.text}};
  if (p.answers_item) detail["answers_item"] = *p.answers_item;
  detail["state"] = PostStateName(p.state);
  if (p.planned_at) detail["planned_at"] = FormatRfc3339(*p.planned_at);
  if (!p.reasons.empty()) {
    json reasons = json::array();
    for (const auto& r : p.reasons) reasons.push_back({{"rule", r.rule}, {"detail", r.detail}, {"posts", r.posts}});
    detail["reasons"] = reasons;
    scheduler::Decision d;
    d.requested_at = p.requested_at;
    d.planned_at = p.planned_at;
    d.outcome = p.state == PostState::kRefused ? scheduler::Decision::Outcome::kRefused
                                               : scheduler::Decision::Outcome::kPlaced;
    for (const auto& r : p.reasons) d.reasons.push_back({r.rule, r.detail, r.posts});
    detail["summary"] = d.Summary();
  }
  return detail.dump(-1, ' ', false, json::error_handler_t::replace);
}

TEST_CASE("Post event payloads are stored packed and read back byte for byte", "[storage][packed]") {
  size_t events = 0, packed = 0, plain_bytes = 0, packed_bytes = 0;
  for (int i = 0; i < 3000; ++i) {
    Post p = PostOf(i);
    std::optional<PostState> from;
    if (i % 3 != 0) from = static_cast<PostState>((i / 3) % (static_cast<int>(PostState::kMissed) + 1));
    std::optional<Instant> from_planned;
    if (i % 6 == 1) from_planned = T(i * 30);
    auto event = PostEvent(from, from_planned, p);
    if (!event) continue;
    ++events;
    std::string stored = PackJson(event->payload, p.organization);
    INFO("payload " << event->payload << "\nstored " << stored);
    REQUIRE(UnpackJson(stored, p.organization) == event->payload);
    if (stored.starts_with(kPackedPrefix)) ++packed;
    plain_bytes += event->payload.size();
    packed_bytes += stored.size();
  }
  REQUIRE(events > 1000);
  CHECK(packed == events);
  CHECK(packed_bytes * 10 < plain_bytes * 7);  // under 70 %
}

TEST_CASE("Audit details are stored packed and read back byte for byte", "[storage][packed]") {
  size_t packed = 0, plain_bytes = 0, packed_bytes = 0;
  std::vector<std::string> details;
  for (int i = 0; i < 3000; ++i) details.push_back(CreateDetail(PostOf(i)));
  // The other actions' details, as the Service and the reply rows write them.
  details.push_back(R"({"from":"2026-12-07T20:01:05Z","planned_at":"2026-12-08T06:00:00Z","reasons":[{"detail":"00:00-06:00","posts":[],"rule":"quiet_hours"}],"state":"scheduled","summary":"deferred 9h58m55s: quiet_hours 00:00-06:00","why":"policy reload"})");
  details.push_back(R"({"from":null,"state":"refused","why":"cancelled"})");
  details.push_back(R"({"note":"fine by me","planned_at":"2026-12-08T06:00:00Z","state":"scheduled"})");
  details.push_back(R"({"planned_at":"2026-12-08T06:00:00Z","state":"scheduled","violations":[{"detail":"45m after post 3","posts":["3"],"rule":"min_spacing"}]})");
  details.push_back(R"({"by":"bob","remote_id":"r-9","reply_post_id":12,"to":"answered"})");
  details.push_back(R"({"bypassed":"caps, min_spacing, quiet_hours, days, ramp_up, mix","state":"scheduled"})");
  for (const std::string& detail : details) {
    std::string stored = PackJson(detail, "mem");
    INFO("detail " << detail << "\nstored " << stored);
    REQUIRE(UnpackJson(stored, "mem") == detail);
    if (stored.starts_with(kPackedPrefix)) ++packed;
    plain_bytes += detail.size();
    packed_bytes += stored.size();
  }
  CHECK(packed == details.size());
  CHECK(packed_bytes * 10 < plain_bytes * 7);
}

TEST_CASE("A create entry keeps its summary as its first words", "[storage][packed]") {
  std::string detail = R"({"account":"mem-99","planned_at":"2026-12-12T20:15:00Z","reasons":[{"detail":"45m before post 11900","posts":["11900"],"rule":"min_spacing"}],"state":"scheduled","summary":"deferred 1h13m55s: min_spacing 45m before post 11900","text":"hello"})";
  std::string stored = PackJson(detail, "mem");
  CHECK(stored == R"(~1{"S":"deferred 1h13m55s","a":"mem-99","p":1797106500,"r":[["min_spacing","45m before post 11900",["11900"]]],"s":1,"x":"hello"})");
  CHECK(UnpackJson(stored, "mem") == detail);
}

TEST_CASE("Texts that cannot be packed are stored as they are", "[storage][packed]") {
  auto kept = [](const std::string& text) {
    std::string stored = PackJson(text, "mem");
    CHECK(stored == text);
    CHECK(UnpackJson(stored, "mem") == text);
  };
  kept("{}");                                         // nothing to gain
  kept("not json");                                   // not JSON
  kept("[1,2,3]");                                    // not an object
  kept(R"({"a":1,"account":"x"})");                   // holds a stored key already
  kept(R"({ "account": "spaced", "state": "x" })");   // not written by herald's encoder
  kept(R"({"S":"x","reasons":[{"detail":"d","rule":"r"}],"state":"scheduled","summary":"y: r d"})");
  // A time with an offset stays text; another organisation's name stays in the text.
  std::string offset = R"({"planned_at":"2026-12-07T20:01:05+01:00","state":"scheduled","text":"an offset"})";
  CHECK(UnpackJson(PackJson(offset, "mem"), "mem") == offset);
  std::string other = R"({"organization":"other","post":{"account":"mem-1","id":1,"state":"scheduled"}})";
  CHECK(UnpackJson(PackJson(other, "mem"), "mem") == other);
  SECTION("a text that looks packed is kept apart from packed ones") {
    for (std::string text : {"~1{\"a\":\"x\"}", "~0", "~", "~~1"}) {
      std::string stored = PackJson(text, "mem");
      CHECK(UnpackJson(stored, "mem") == text);
    }
  }
}

}  // namespace
}  // namespace herald::storage::internal
