// Event types, which post writes are events, event ids, and the retry
// schedule of deliveries.
#include "core/event.h"

#include <catch2/catch.hpp>

namespace herald {
namespace {

using namespace std::chrono;

Post At(PostState state, std::optional<Instant> planned) {
  Post p;
  p.state = state;
  p.planned_at = planned;
  return p;
}

TEST_CASE("Every event type has a name that parses back", "[events]") {
  for (EventType t : kEventTypes) CHECK(ParseEventType(EventTypeName(t)) == t);
  CHECK(EventTypeName(EventType::kAccountCredentialsBroken) == "account.credentials_broken");
  CHECK_FALSE(ParseEventType("post.deleted"));
  CHECK_FALSE(ParseEventType("*"));
}

TEST_CASE("Post writes that are events", "[events]") {
  const Instant nine = sys_days{2026y / 3 / 2} + hours{9};
  const Instant ten = nine + hours{1};
  using S = PostState;
  using E = EventType;
  struct Row {
    std::optional<S> from;
    std::optional<Instant> from_planned;
    S to;
    std::optional<Instant> to_planned;
    std::optional<E> event;
  };
  auto row = GENERATE_COPY(values<Row>({
      {std::nullopt, std::nullopt, S::kPendingApproval, nine, std::nullopt},
      {std::nullopt, std::nullopt, S::kScheduled, nine, E::kPostScheduled},
      {std::nullopt, std::nullopt, S::kRefused, std::nullopt, E::kPostRefused},
      {S::kPendingApproval, nine, S::kScheduled, nine, E::kPostScheduled},
      {S::kPendingApproval, nine, S::kPendingApproval, ten, std::nullopt},
      {S::kScheduled, nine, S::kScheduled, ten, E::kPostMoved},
      {S::kScheduled, nine, S::kScheduled, nine, std::nullopt},
      {S::kScheduled, nine, S::kPublishing, nine, std::nullopt},
      {S::kPublishing, nine, S::kScheduled, ten, E::kPostMoved},
      {S::kPublishing, nine, S::kScheduled, nine, std::nullopt},
      {S::kPublishing, nine, S::kPublished, nine, E::kPostPublished},
      {S::kPublishing, nine, S::kFailed, nine, E::kPostFailed},
      {S::kPublishing, nine, S::kUnconfirmed, nine, E::kPostUnconfirmed},
      {S::kUnconfirmed, nine, S::kPublished, nine, E::kPostPublished},
      {S::kScheduled, nine, S::kRefused, std::nullopt, E::kPostRefused},
      {S::kScheduled, nine, S::kCancelled, nine, std::nullopt},
      {S::kScheduled, nine, S::kMissed, nine, std::nullopt},
  }));
  INFO((row.from ? PostStateName(*row.from) : "new") << " -> " << PostStateName(row.to));
  CHECK(PostEventType(row.from, row.from_planned, At(row.to, row.to_planned)) == row.event);
}

TEST_CASE("Event ids keep only what is safe in a header and a signature", "[events]") {
  CHECK(EventId({"post", "12", "v3"}) == "evt_post_12_v3");
  CHECK(EventId({"account.paused", "acme", "acme.x"}) == "evt_account_paused_acme_acme_x");
  CHECK(EventId({"inbox", "a\r\nb c/d"}) == "evt_inbox_a__b_c_d");
}

TEST_CASE("A delivery is retried on a growing schedule for about a day, then fails", "[events]") {
  CHECK(DeliveryRetryDelay(0) == std::nullopt);
  CHECK(DeliveryRetryDelay(1) == seconds{5});
  CHECK(DeliveryRetryDelay(2) == seconds{30});
  CHECK(DeliveryRetryDelay(3) == minutes{2});
  CHECK(DeliveryRetryDelay(4) == minutes{10});
  CHECK(DeliveryRetryDelay(5) == hours{1});
  Duration total{0};
  Duration previous{0};
  for (int attempt = 1; attempt < kMaxDeliveryAttempts; ++attempt) {
    auto delay = DeliveryRetryDelay(attempt);
    REQUIRE(delay);
    CHECK(*delay > previous);
    previous = *delay;
    total += *delay;
  }
  CHECK(DeliveryRetryDelay(kMaxDeliveryAttempts) == std::nullopt);
  CHECK(total > hours{20});
  CHECK(total < hours{25});
}

TEST_CASE("Delivery states have names that parse back", "[events]") {
  for (DeliveryState s : {DeliveryState::kPending, DeliveryState::kDelivered, DeliveryState::kFailed})
    CHECK(ParseDeliveryState(DeliveryStateName(s)) == s);
  CHECK_FALSE(ParseDeliveryState("sent"));
}

}  // namespace
}  // namespace herald
