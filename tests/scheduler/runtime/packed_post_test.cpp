// PackedPost: the plan book's compact copy of a post gives back the post it was
// made from, field for field.
#include "scheduler/runtime/internal/packed_post.h"

#include <catch2/catch.hpp>

#include <string>

namespace herald::runtime::internal {
namespace {

Instant At(const char* s) { return *ParseRfc3339(s); }

// Every field set to something other than its default, so a field the
// packing forgot cannot come back equal by accident.
Post Everything() {
  Post p;
  p.id = 812;
  p.organization = "acme";
  p.account = "acme-mastodon";
  p.author = "editor-anna";
  p.text = "Spring collection: new colours \xc3\xa9t\xc3\xa9 \xf0\x9f\x8c\xb7 and sizes";
  p.labels = {"launch", "spring"};
  p.priority = PostPriority::kUrgent;
  p.media = {{"https://cdn.example/a.png", "a tulip"}, {"https://cdn.example/b.png", ""}};
  p.answers_item = 4242;
  p.reply_to = "109876543210";
  p.requested_at = At("2026-03-02T09:00:00Z");
  p.planned_at = At("2026-03-02T09:45:00Z");
  p.state = PostState::kUnconfirmed;
  p.reasons = {{"min_spacing", "45m after post 811", {"811"}}, {"quiet_hours", "00:00-06:00", {}}};
  p.approved_by = "manager-bo";
  p.remote_id = "111";
  p.remote_url = "https://social.example/@acme/111";
  p.published_at = At("2026-03-02T09:45:03Z");
  p.failure = "timeout after 30 s";
  p.created_at = At("2026-03-01T10:00:00Z");
  p.updated_at = At("2026-03-02T09:46:00Z");
  p.version = 300;
  p.change_seq = 1LL << 40;
  p.claimed_by = "host-a:4711";
  p.unconfirmed_since = At("2026-03-02T09:46:00Z");
  p.recheck_at = At("2026-03-02T10:46:00Z");
  p.rechecks = 2;
  return p;
}

TEST_CASE("A packed post unpacks to the post it was made from", "[plan_book]") {
  const std::string org = "acme";
  const std::string account = "acme-mastodon";
  SECTION("every field set") {
    Post p = Everything();
    PackedPost packed(p, &org, &account);
    CHECK(packed.Unpack(p.id) == p);
    CHECK(packed.state() == PostState::kUnconfirmed);
    CHECK(packed.organization() == "acme");
    CHECK(packed.account() == "acme-mastodon");
    CHECK(packed.planned_at() == p.planned_at);
  }
  SECTION("every optional field empty, times before 1970 and negative numbers") {
    Post p;
    p.id = 1;
    p.organization = org;
    p.account = account;
    p.requested_at = At("1969-07-20T20:17:40Z");
    p.created_at = p.requested_at;
    p.version = -1;
    p.rechecks = -3;
    PackedPost packed(p, &org, &account);
    CHECK(packed.Unpack(1) == p);
    CHECK_FALSE(packed.planned_at().has_value());
  }
  SECTION("text longer than a varint's first byte counts") {
    Post p = Everything();
    p.text = std::string(70000, 'x');
    CHECK(PackedPost(p, &org, &account).Unpack(p.id) == p);
  }
}

TEST_CASE("A packed post holds its fields in fewer bytes than a Post", "[plan_book]") {
  const std::string org = "acme";
  const std::string account = "acme-mastodon";
  Post p;
  p.id = 7;
  p.organization = org;
  p.account = account;
  p.author = "bench";
  p.text = std::string(100, 't');
  p.state = PostState::kScheduled;
  p.requested_at = At("2026-03-02T09:00:00Z");
  p.planned_at = p.requested_at;
  p.created_at = p.requested_at;
  p.updated_at = p.requested_at;
  p.version = 1;
  p.change_seq = 100000;
  PackedPost packed(p, &org, &account);
  // The text, and about a byte or five for each other field.
  CHECK(packed.packed_bytes() < p.text.size() + 64);
  CHECK(sizeof(PackedPost) + packed.packed_bytes() < sizeof(Post));
}

}  // namespace
}  // namespace herald::runtime::internal
