#include "scheduler/engagement_schedule.h"

#include <catch2/catch.hpp>

namespace herald::scheduler {
namespace {

using namespace std::chrono;

const Instant kPublished = Instant{sys_days{2026y / 11 / 23}} + hours{10};

TEST_CASE("Engagement reads default to 1h, 6h, 24h, 3d, 7d after publishing", "[engagement][schedule]") {
  auto s = EngagementSchedule::Default();
  REQUIRE(s.ages.size() == 5);
  CHECK(s.span() == days{7});
  auto first = NextEngagementRead(s, kPublished, std::nullopt, kPublished);
  REQUIRE(first);
  CHECK(*first == DueRead{0, kPublished + hours{1}});
  auto second = NextEngagementRead(s, kPublished, 0, kPublished + hours{1});
  REQUIRE(second);
  CHECK(*second == DueRead{1, kPublished + hours{6}});
  auto last = NextEngagementRead(s, kPublished, 3, kPublished + days{3});
  REQUIRE(last);
  CHECK(*last == DueRead{4, kPublished + days{7}});
}

TEST_CASE("Engagement reading stops after the last point", "[engagement][schedule]") {
  auto s = EngagementSchedule::Default();
  CHECK_FALSE(NextEngagementRead(s, kPublished, 4, kPublished + days{8}));
  CHECK_FALSE(NextEngagementRead(s, kPublished, 9, kPublished));
  CHECK_FALSE(NextEngagementRead(EngagementSchedule{}, kPublished, std::nullopt, kPublished));
}

TEST_CASE("Engagement points missed while the daemon was down collapse into the latest", "[engagement][schedule]") {
  auto s = EngagementSchedule::Default();
  SECTION("down for two days after publishing: one read, filed under 24h") {
    auto next = NextEngagementRead(s, kPublished, std::nullopt, kPublished + days{2});
    REQUIRE(next);
    CHECK(*next == DueRead{2, kPublished + hours{24}});
  }
  SECTION("down for a month: the last point, once") {
    auto next = NextEngagementRead(s, kPublished, 0, kPublished + days{30});
    REQUIRE(next);
    CHECK(*next == DueRead{4, kPublished + days{7}});
    CHECK_FALSE(NextEngagementRead(s, kPublished, next->point, kPublished + days{30}));
  }
  SECTION("exactly at a point's time it counts as reached") {
    auto next = NextEngagementRead(s, kPublished, std::nullopt, kPublished + hours{6});
    REQUIRE(next);
    CHECK(next->point == 1);
  }
}

TEST_CASE("Engagement read times come from the publish time and the points done, not from when asked",
          "[engagement][schedule]") {
  EngagementSchedule s{{seconds{1}, seconds{2}}};
  auto offset = GENERATE(0, 1);
  Instant asked = kPublished + seconds{offset};
  auto first = NextEngagementRead(s, kPublished, std::nullopt, asked);
  REQUIRE(first);
  CHECK(first->at == kPublished + seconds{1});
  auto second = NextEngagementRead(s, kPublished, 0, asked);
  REQUIRE(second);
  CHECK(second->at == kPublished + seconds{2});
}

}  // namespace
}  // namespace herald::scheduler
