// The walk every inbox reader shares (connectors/internal/inbox_walk.h):
// which items of a page are new, when a walk back through older pages ends,
// and the cursor's encoding, including cursors it did not write.
#include <catch2/catch.hpp>

#include "connectors/internal/inbox_walk.h"

namespace herald::connectors::internal {
namespace {

using namespace std::chrono;
const Instant kT = *ParseRfc3339("2026-11-23T10:00:00Z");

TEST_CASE("Inbox walk: the first read of an account takes the newest page only", "[inbox_walk]") {
  auto step = Advance({}, {{"c", kT + seconds{3}}, {"b", kT + seconds{2}}}, "older", true, /*history=*/false);
  CHECK(step.fresh == std::vector<size_t>{0, 1});
  CHECK_FALSE(step.more);
  REQUIRE(step.next.seen.has_value());
  CHECK(step.next.seen->at == kT + seconds{3});
  CHECK(step.next.seen->ids == std::set<std::string>{"c"});
  CHECK_FALSE(step.next.walking());
}

TEST_CASE("Inbox walk: walks back until it meets what it has seen", "[inbox_walk]") {
  InboxWalk walk;
  walk.seen = InboxMark{kT, {"a"}};
  auto first = Advance(walk, {{"e", kT + seconds{4}}, {"d", kT + seconds{3}}}, "p2", true, true);
  CHECK(first.fresh.size() == 2);
  CHECK(first.more);
  CHECK(first.next.page == "p2");
  CHECK(first.next.seen->at == kT);  // not moved before the walk ends
  CHECK(first.next.top->at == kT + seconds{4});
  auto second = Advance(first.next, {{"c", kT + seconds{2}}, {"b", kT}, {"a", kT}}, "p3", true, true);
  // b shares a's second but was not seen: new; a ends the walk.
  CHECK(second.fresh == std::vector<size_t>{0, 1});
  CHECK_FALSE(second.more);
  CHECK(second.next.seen->at == kT + seconds{4});
  CHECK(second.next.seen->ids == std::set<std::string>{"e"});
}

TEST_CASE("Inbox walk: an unordered source reads every page", "[inbox_walk]") {
  InboxWalk walk;
  walk.seen = InboxMark{kT, {"a"}};
  auto step = Advance(walk, {{"a", kT}, {"x", kT + seconds{9}}}, "p2", /*newest_first=*/false, true);
  CHECK(step.fresh == std::vector<size_t>{1});
  CHECK(step.more);  // an old item does not end the walk
  auto end = Advance(step.next, {{"y", kT + seconds{1}}}, "", false, true);
  CHECK(end.fresh == std::vector<size_t>{0});
  CHECK(end.next.seen->at == kT + seconds{9});
  CHECK_FALSE(end.next.IsNew("x", kT + seconds{9}));
  CHECK_FALSE(end.next.IsNew("y", kT + seconds{1}));
  CHECK(end.next.IsNew("z", kT + seconds{9}));
}

TEST_CASE("Inbox walk: cursors round-trip and foreign ones are refused", "[inbox_walk]") {
  InboxWalk walk;
  walk.seen = InboxMark{kT, {"a", "b"}};
  walk.top = InboxMark{kT + seconds{5}, {"c"}};
  walk.page = "tok";
  auto back = DecodeWalk(EncodeWalk(walk));
  REQUIRE(back.has_value());
  CHECK(back->seen->ids == walk.seen->ids);
  CHECK(back->top->at == walk.top->at);
  CHECK(back->page == "tok");

  std::map<std::string, InboxWalk> walks{{"p1", walk}, {"p2", InboxWalk{}}};
  auto kept = DecodeWalks(EncodeWalks(walks, {"p2", "p3"}));
  REQUIRE(kept.has_value());
  CHECK(kept->size() == 1);
  CHECK(kept->count("p2") == 1);

  for (const char* foreign : {"", "null", "[]", "{\"v\":2,\"walk\":{}}", "{\"v\":1,\"walk\":{\"seen\":{\"at\":\"x\",\"ids\":[]}}}",
                              "{\"v\":1,\"walk\":{\"seen\":null,\"page\":5}}", "{\"v\":1,\"posts\":[]}"}) {
    INFO(foreign);
    CHECK_FALSE(DecodeWalk(foreign).has_value());
    CHECK_FALSE(DecodeWalks(foreign).has_value());
  }
}

}  // namespace
}  // namespace herald::connectors::internal
