// When an unconfirmed post is asked about again: the default ages, the next
// check after any moment, and checks missed while the daemon was down.
#include "scheduler/recheck_schedule.h"

#include <catch2/catch.hpp>

namespace herald::scheduler {
namespace {

using namespace std::chrono;

Instant At(const char* s) { return *ParseRfc3339(s); }

TEST_CASE("Recheck schedule: the default thins out with age and ends at 24h", "[recheck]") {
  RecheckSchedule s = RecheckSchedule::Default();
  REQUIRE(s.enabled());
  CHECK(s.ages == std::vector<Duration>{minutes{1}, minutes{5}, minutes{15}, hours{1}, hours{6}, hours{12}, hours{24}});
  CHECK(s.span() == hours{24});
  const Instant since = At("2026-12-01T09:00:00Z");
  // Each check asked for right when it is due gives the one after it.
  std::vector<Instant> checks;
  for (auto next = NextRecheck(s, since, since); next; next = NextRecheck(s, since, *next)) checks.push_back(*next);
  CHECK(checks == std::vector<Instant>{At("2026-12-01T09:01:00Z"), At("2026-12-01T09:05:00Z"), At("2026-12-01T09:15:00Z"),
                                       At("2026-12-01T10:00:00Z"), At("2026-12-01T15:00:00Z"), At("2026-12-01T21:00:00Z"),
                                       At("2026-12-02T09:00:00Z")});
}

TEST_CASE("Recheck schedule: checks missed while down collapse into the next one", "[recheck]") {
  RecheckSchedule s = RecheckSchedule::Default();
  const Instant since = At("2026-12-01T09:00:00Z");
  auto [after, expected] = GENERATE(table<const char*, const char*>({
      {"2026-12-01T09:00:59Z", "2026-12-01T09:01:00Z"},
      {"2026-12-01T09:01:00Z", "2026-12-01T09:05:00Z"},  // strictly after
      {"2026-12-01T09:30:00Z", "2026-12-01T10:00:00Z"},  // 15m check missed: next is 1h
      {"2026-12-01T20:59:59Z", "2026-12-01T21:00:00Z"},
      {"2026-12-02T08:59:59Z", "2026-12-02T09:00:00Z"},
  }));
  CHECK(NextRecheck(s, since, At(after)) == At(expected));
  // At or past the last age nothing is left: herald gives up.
  CHECK_FALSE(NextRecheck(s, since, At("2026-12-02T09:00:00Z")));
  CHECK_FALSE(NextRecheck(s, since, At("2026-12-05T00:00:00Z")));
}

TEST_CASE("Recheck schedule: an empty one never checks", "[recheck]") {
  RecheckSchedule off;
  CHECK_FALSE(off.enabled());
  CHECK(off.span() == Duration{0});
  CHECK_FALSE(NextRecheck(off, At("2026-12-01T09:00:00Z"), At("2026-12-01T09:00:00Z")));
}

TEST_CASE("Recheck schedule: a custom one counts every age from the same start", "[recheck]") {
  RecheckSchedule s{{seconds{2}, seconds{4}, seconds{30}}};
  const Instant since = At("2026-12-01T09:00:00Z");
  CHECK(NextRecheck(s, since, since) == since + seconds{2});
  CHECK(NextRecheck(s, since, since + seconds{3}) == since + seconds{4});
  CHECK(NextRecheck(s, since, since + seconds{4}) == since + seconds{30});
  CHECK_FALSE(NextRecheck(s, since, since + seconds{30}));
}

}  // namespace
}  // namespace herald::scheduler
