// The machinery every network connector shares: rate-limit signals in every
// format of platforms.md, the reading of answers into publish outcomes, the
// HTTP client's transport failures, backoff and the circuit breaker.
#include <catch2/catch.hpp>

#include <atomic>
#include <random>

#include "connectors/backoff.h"
#include "connectors/circuit_breaker.h"
#include "connectors/http_client.h"
#include "connectors/platform_http.h"
#include "connectors/rate_limit.h"
#include "tests/support/fake_server.h"

namespace herald::connectors {
namespace {

using namespace std::chrono;
using Kind = PublishResult::Kind;

Instant T(std::string_view s) { return *ParseRfc3339(s); }
const Instant kNow = T("2026-11-23T10:00:00Z");

HttpResponse Answer(int status, HttpHeaders headers, std::string body = {}) {
  return HttpResponse{status, std::move(headers), std::move(body)};
}

TEST_CASE("Mastodon ISO 8601 reset with microseconds rounds up", "[rate_limit]") {
  auto s = ReadRateLimit(Answer(429, {{"X-RateLimit-Limit", "300"}, {"X-RateLimit-Remaining", "0"},
                                      {"X-RateLimit-Reset", "2026-11-23T10:15:00.019685Z"}}), kNow);
  CHECK(s.limited);
  REQUIRE(s.reset_at);
  CHECK(*s.reset_at == T("2026-11-23T10:15:01Z"));
  CHECK(s.remaining == 0);
  CHECK(s.limit == 300);
  CHECK(s.Describe() == "X-RateLimit-Reset 2026-11-23T10:15:01Z (0 of 300 left)");
}

TEST_CASE("Epoch resets from X Bluesky and Discord", "[rate_limit]") {
  int64_t epoch = duration_cast<seconds>(T("2026-11-23T10:10:00Z").time_since_epoch()).count();
  SECTION("x-rate-limit-reset epoch seconds, header names in any case") {
    auto s = ReadRateLimit(Answer(429, {{"x-rate-limit-remaining", "0"}, {"x-rate-limit-reset", std::to_string(epoch)}}), kNow);
    CHECK(*s.reset_at == T("2026-11-23T10:10:00Z"));
  }
  SECTION("Bluesky RateLimit-Reset epoch seconds") {
    auto s = ReadRateLimit(Answer(429, {{"RateLimit-Remaining", "0"}, {"RateLimit-Reset", std::to_string(epoch)},
                                        {"RateLimit-Policy", "5000;w=3600"}}), kNow);
    CHECK(*s.reset_at == T("2026-11-23T10:10:00Z"));
  }
  SECTION("an epoch too large for int64 is held to ten years, and such a count is no count") {
    // Found by the rate_limit_headers fuzz target (UBSan: 1e+78 outside long).
    auto s = ReadRateLimit(Answer(429, {{"x-rate-limit-limit", "100"}, {"x-rate-limit-remaining", std::string(80, '9')},
                                        {"x-rate-limit-reset", std::string(78, '9') + "0"}}),
                           kNow);
    REQUIRE(s.reset_at);
    CHECK(*s.reset_at == kNow + seconds{int64_t{10} * 365 * 86400});
  }
  SECTION("the IETF draft's delta seconds when the number is small") {
    auto s = ReadRateLimit(Answer(429, {{"RateLimit-Reset", "90"}}), kNow);
    CHECK(*s.reset_at == kNow + seconds{90});
  }
  SECTION("Discord fractional epoch and Reset-After") {
    auto s = ReadRateLimit(Answer(200, {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", std::to_string(epoch) + ".123"}}), kNow);
    CHECK(*s.reset_at == T("2026-11-23T10:10:01Z"));
    CHECK(s.exhausted);
    CHECK_FALSE(s.limited);
    auto after = ReadRateLimit(Answer(200, {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset-After", "2.5"}}), kNow);
    CHECK(*after.reset_at == kNow + seconds{3});
  }
}

TEST_CASE("X 24 hour user cap binds over the 15 minute window", "[rate_limit]") {
  int64_t in15 = duration_cast<seconds>((kNow + minutes{15}).time_since_epoch()).count();
  int64_t in24h = duration_cast<seconds>((kNow + hours{20}).time_since_epoch()).count();
  auto s = ReadRateLimit(Answer(429, {{"x-rate-limit-remaining", "150"}, {"x-rate-limit-reset", std::to_string(in15)},
                                      {"x-user-limit-24hour-limit", "100"}, {"x-user-limit-24hour-remaining", "0"},
                                      {"x-user-limit-24hour-reset", std::to_string(in24h)}}), kNow);
  CHECK(*s.reset_at == kNow + hours{20});
  CHECK(s.source == "x-user-limit-24hour-reset");
  CHECK(s.remaining == 0);
}

TEST_CASE("Retry-After in seconds and as an HTTP date", "[rate_limit]") {
  CHECK(*ReadRateLimit(Answer(429, {{"Retry-After", "120"}}), kNow).reset_at == kNow + seconds{120});
  CHECK(*ReadRateLimit(Answer(503, {{"Retry-After", "Mon, 23 Nov 2026 10:30:00 GMT"}}), kNow).reset_at ==
        T("2026-11-23T10:30:00Z"));
  CHECK_FALSE(ParseRetryAfter("soon", kNow).has_value());
  CHECK_FALSE(ParseRetryAfter("-5", kNow).has_value());
}

TEST_CASE("Discord and Telegram retry_after bodies", "[rate_limit]") {
  auto discord = ReadRateLimit(Answer(429, {}, R"({"message":"You are being rate limited.","retry_after":64.57,"global":false})"), kNow);
  CHECK(discord.limited);
  CHECK(*discord.reset_at == kNow + seconds{65});
  auto telegram = ReadRateLimit(
      Answer(429, {}, R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}})"),
      kNow);
  CHECK(*telegram.reset_at == kNow + seconds{35});
}

TEST_CASE("Meta usage headers and throttling codes", "[rate_limit]") {
  SECTION("business use case usage gives minutes to regain access") {
    auto s = ReadRateLimit(
        Answer(400, {{"X-Business-Use-Case-Usage",
                      R"({"112233":[{"type":"pages","call_count":100,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":12}]})"}},
               R"({"error":{"message":"(#80001) There have been too many calls to this Page account.","type":"OAuthException","code":80001}})"),
        kNow);
    CHECK(s.limited);
    CHECK(*s.reset_at == kNow + minutes{12});
  }
  SECTION("app usage at 100 percent without a time is limited without a reset") {
    auto s = ReadRateLimit(Answer(403, {{"X-App-Usage", R"({"call_count":100,"total_cputime":5,"total_time":5})"}}), kNow);
    CHECK(s.limited);
    CHECK_FALSE(s.reset_at.has_value());
  }
  SECTION("usage below 100 is no signal") {
    auto s = ReadRateLimit(Answer(200, {{"X-App-Usage", R"({"call_count":42,"total_cputime":5,"total_time":5})"}}), kNow);
    CHECK_FALSE(s.limited);
    CHECK_FALSE(s.exhausted);
  }
  SECTION("error code 613 in a 400 body") {
    auto s = ReadRateLimit(Answer(400, {}, R"({"error":{"message":"Calls to this api have exceeded the rate limit.","code":613}})"), kNow);
    CHECK(s.limited);
  }
}

TEST_CASE("Answers become publish outcomes", "[connector_outcome]") {
  SECTION("2xx is left to the connector, with a hold when nothing remains") {
    HttpResponse ok = Answer(200, {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", "2026-11-23T10:20:00Z"}});
    CHECK_FALSE(ReadFailure("mastodon", ok, kNow).has_value());
    auto hold = HoldAfterSuccess("mastodon", ok, kNow);
    REQUIRE(hold);
    CHECK(hold->until == T("2026-11-23T10:20:00Z"));
    CHECK(hold->why.starts_with("mastodon rate limit: X-RateLimit-Reset"));
    CHECK_FALSE(HoldAfterSuccess("mastodon", Answer(200, {{"X-RateLimit-Remaining", "7"}, {"X-RateLimit-Reset", "2026-11-23T10:20:00Z"}}), kNow));
  }
  SECTION("a 2xx with Meta usage at 100 percent is a success with a hold, never a retry") {
    HttpResponse ok = Answer(200, {{"X-App-Usage", R"({"call_count":100,"total_cputime":10,"total_time":10})"}}, R"({"id":"1_2"})");
    CHECK_FALSE(ReadFailure("facebook_page", ok, kNow).has_value());
    auto hold = HoldAfterSuccess("facebook_page", ok, kNow);
    REQUIRE(hold);
    CHECK(hold->until == kNow + minutes{1});
  }
  SECTION("429 is retry later at the reset, with a hold") {
    auto r = ReadFailure("mastodon", Answer(429, {{"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", "2026-11-23T10:10:00Z"}},
                                            R"({"error":"Too many requests"})"), kNow);
    REQUIRE(r);
    CHECK(r->kind == Kind::kRetryLater);
    CHECK(r->retry_at == T("2026-11-23T10:10:00Z"));
    REQUIRE(r->hold);
    CHECK(r->hold->until == T("2026-11-23T10:10:00Z"));
    CHECK(r->http_status == 429);
  }
  SECTION("LinkedIn's bare 429 waits for 00:00 UTC") {
    auto r = ReadFailure("linkedin", Answer(429, {}), kNow, /*daily_utc_reset=*/true);
    CHECK(r->retry_at == T("2026-11-24T00:00:00Z"));
  }
  SECTION("5xx is transient; Retry-After kept") {
    auto r = ReadFailure("slack", Answer(503, {{"Retry-After", "30"}}), kNow);
    CHECK(r->kind == Kind::kRetryLater);
    CHECK(r->retry_at == kNow + seconds{30});
    CHECK_FALSE(r->hold.has_value());
    CHECK_FALSE(ReadFailure("x", Answer(500, {}), kNow)->retry_at.has_value());
  }
  SECTION("4xx is a permanent failure with the platform's message") {
    auto r = ReadFailure("mastodon", Answer(422, {}, R"({"error":"Validation failed: Text character limit of 500 exceeded"})"), kNow);
    CHECK(r->kind == Kind::kFailed);
    CHECK(r->why == "mastodon answered HTTP 422: Validation failed: Text character limit of 500 exceeded");
    auto auth = ReadFailure("x", Answer(401, {}, R"({"title":"Unauthorized","detail":"Unauthorized","type":"about:blank","status":401})"), kNow);
    CHECK(auth->why.find("check the account's credentials") != std::string::npos);
  }
  SECTION("transport: not sent is transient, no answer is unknown") {
    HttpResult not_sent = std::unexpected(HttpFailure{HttpFailure::Kind::kNotSent, "Connection"});
    HttpResult no_answer = std::unexpected(HttpFailure{HttpFailure::Kind::kNoAnswer, "Read"});
    CHECK(ReadFailure("webhook", not_sent, kNow)->kind == Kind::kRetryLater);
    CHECK(ReadFailure("webhook", no_answer, kNow)->kind == Kind::kUnknown);
  }
}

TEST_CASE("The HTTP client tells not sent from no answer", "[http_client]") {
  HttpClient client({milliseconds{500}, milliseconds{300}, "herald-test"});
  SECTION("refused connection: not sent") {
    auto r = client.Send({"POST", "http://127.0.0.1:" + std::to_string(testing::UnusedPort()) + "/x", {}, "{}", "application/json"});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == HttpFailure::Kind::kNotSent);
  }
  SECTION("a server that reads and hangs up: no answer") {
    testing::SilentDropServer drop;
    auto r = client.Send({"POST", drop.base_url() + "/x", {}, "{}", "application/json"});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == HttpFailure::Kind::kNoAnswer);
    CHECK(drop.accepted() == 1);
  }
  SECTION("a slow answer beyond the read timeout: no answer, and the fake acted") {
    testing::FakeServer fake;
    std::atomic<int> created = 0;  // the handler runs on the fake's thread (TSan)
    fake.server().Post("/create", [&](const httplib::Request&, httplib::Response& res) {
      ++created;
      res.set_content("{}", "application/json");
    });
    fake.Start();
    fake.FailNext({.delay = milliseconds{900}, .act_then_stall = true});
    auto r = client.Send({"POST", fake.base_url() + "/create", {{"X-Test", "1"}}, "a=1", "application/x-www-form-urlencoded"});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == HttpFailure::Kind::kNoAnswer);
    CHECK(created == 1);
    auto requests = fake.Requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].Header("X-Test") == "1");
    CHECK(requests[0].Param("a") == "1");
    auto ok = client.Send({"POST", fake.base_url() + "/create", {}, "{}", "application/json"});
    REQUIRE(ok.has_value());
    CHECK(ok->status == 200);
  }
  SECTION("not an http URL") {
    auto r = client.Send({"POST", "ftp://example.org/x", {}, {}, {}});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("not an http(s) URL") != std::string::npos);
  }
  CHECK(FormEncode({{"status", "héllo world&more"}, {"a", "1"}}) == "status=h%C3%A9llo%20world%26more&a=1");
}

TEST_CASE("Backoff grows exponentially with jitter and stays bounded", "[backoff]") {
  Backoff b{seconds{5}, minutes{30}, 8};
  std::mt19937_64 rng(42);
  for (int attempt = 1; attempt <= 12; ++attempt) {
    int64_t ceiling = std::min<int64_t>(5LL << (attempt - 1), 1800);
    for (int i = 0; i < 50; ++i) {
      auto d = b.Delay(attempt, rng).count();
      CHECK(d >= ceiling / 2);
      CHECK(d <= ceiling);
    }
  }
}

TEST_CASE("Circuit breaker opens, admits one trial, and backs off longer", "[breaker]") {
  CircuitBreakers b({3, seconds{60}, minutes{10}});
  const std::string key = "platform:mastodon";
  CHECK_FALSE(b.Admit(key, kNow));
  CHECK_FALSE(b.RecordFailure(key, kNow, "HTTP 503"));
  CHECK_FALSE(b.RecordFailure(key, kNow, "HTTP 503"));
  CHECK(b.RecordFailure(key, kNow, "HTTP 502"));
  CHECK(b.View(key, kNow).state == BreakerState::kOpen);
  CHECK(b.View(key, kNow).last_failure == "HTTP 502");
  CHECK(b.Admit(key, kNow + seconds{30}) == kNow + seconds{60});
  // Half-open: exactly one trial passes.
  CHECK_FALSE(b.Admit(key, kNow + seconds{60}));
  CHECK(b.View(key, kNow + seconds{60}).state == BreakerState::kHalfOpen);
  CHECK(b.Admit(key, kNow + seconds{60}).has_value());
  // The trial fails: open again, twice as long.
  CHECK(b.RecordFailure(key, kNow + seconds{61}, "HTTP 503"));
  CHECK(b.View(key, kNow + seconds{62}).open_until == kNow + seconds{61 + 120});
  CHECK_FALSE(b.Admit(key, kNow + seconds{61 + 120}));
  b.RecordSuccess(key);
  CHECK(b.View(key, kNow + seconds{200}).state == BreakerState::kClosed);
  CHECK(b.View(key, kNow + seconds{200}).times_opened == 2);
  CHECK(b.View("account:other", kNow).state == BreakerState::kClosed);
}

}  // namespace
}  // namespace herald::connectors
