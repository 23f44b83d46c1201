#include "api/internal/json_codec.h"

#include <catch2/catch.hpp>

#include "core/time.h"

namespace {

using herald::api::internal::BodyErrors;
using nlohmann::json;
namespace api = herald::api::internal;

std::vector<std::string> Pointers(const BodyErrors& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.pointer);
  return out;
}

herald::Instant At(const char* text) { return *herald::ParseRfc3339(text); }

}  // namespace

TEST_CASE("Create body: every field", "[api]") {
  auto r = api::ParseCreatePost(json::parse(R"({"account":"acme-x","text":"hi","at":"2026-03-10T10:00:00+01:00",
      "labels":["promotional"],"priority":"urgent","media":[{"url":"https://e.example/a.png","alt":"A"}]})"));
  REQUIRE(r);
  CHECK(r->account == "acme-x");
  CHECK(r->text == "hi");
  CHECK(r->at == At("2026-03-10T09:00:00Z"));
  CHECK(r->labels == std::vector<std::string>{"promotional"});
  CHECK(r->priority == herald::PostPriority::kUrgent);
  REQUIRE(r->media.size() == 1);
  CHECK(r->media[0].alt == "A");
}

TEST_CASE("Create body: each error has a JSON pointer", "[api]") {
  struct Case {
    const char* body;
    std::vector<std::string> pointers;
  };
  auto c = GENERATE(values<Case>({
      {R"({"text":"hi"})", {"/account"}},
      {R"({"account":1,"text":"hi"})", {"/account"}},
      {R"({"account":"a","text":"hi","labels":[1,"ok",null]})", {"/labels/0", "/labels/2"}},
      {R"({"account":"a","text":"hi","labels":"x"})", {"/labels"}},
      {R"({"account":"a","text":"hi","colour":"red"})", {"/colour"}},
      {R"({"account":"a","text":"hi","a/b":1})", {"/a~1b"}},
      {R"({"account":"a","text":"hi","at":"2026-03-10T09:00:00"})", {"/at"}},
      {R"({"account":"a","text":"hi","at":"tomorrow"})", {"/at"}},
      {R"({"account":"a","text":"hi","priority":"high"})", {"/priority"}},
      {R"({"account":"a","text":"hi","media":[{"url":"ftp://x"}]})", {"/media/0/url"}},
      {R"({"account":"a","text":"hi","media":[{"alt":"x"}]})", {"/media/0/url"}},
      {R"({"account":"a","text":"hi","media":[{"url":"https://x/1","size":3}]})", {"/media/0/size"}},
      {R"({"account":"a","text":"hi","media":[{"url":"https://x/1"},{"url":"https://x/2"},{"url":"https://x/3"},
          {"url":"https://x/4"},{"url":"https://x/5"}]})",
       {"/media"}},
      {R"([1,2])", {""}},
      {R"({"account":"a","text":7,"extra":true})", {"/extra", "/text"}},
  }));
  auto r = api::ParseCreatePost(json::parse(c.body));
  REQUIRE_FALSE(r);
  auto got = Pointers(r.error());
  std::sort(got.begin(), got.end());
  auto want = c.pointers;
  std::sort(want.begin(), want.end());
  CHECK(got == want);
  for (const auto& e : r.error()) CHECK_FALSE(e.detail.empty());
}

TEST_CASE("Edit body needs something to change and rejects unknown fields", "[api]") {
  CHECK(api::ParseEditPost(json::parse(R"({"text":"new"})")));
  CHECK(api::ParseEditPost(json::parse(R"({"labels":[]})")));
  CHECK_FALSE(api::ParseEditPost(json::parse(R"({})")));
  auto r = api::ParseEditPost(json::parse(R"({"account":"other"})"));
  REQUIRE_FALSE(r);
  CHECK(Pointers(r.error()) == std::vector<std::string>{"/account"});
}

TEST_CASE("Note body", "[api]") {
  CHECK(*api::ParseNote(json::object()) == "");
  CHECK(*api::ParseNote(json::parse(R"({"note":"looks good"})")) == "looks good");
  CHECK_FALSE(api::ParseNote(json::parse(R"({"note":3})")));
  CHECK_FALSE(api::ParseNote(json::parse(R"({"reason":"x"})")));
}

TEST_CASE("Malformed JSON names the byte offset", "[api]") {
  auto r = api::ParseJsonBody(R"({"account": "a", "text": })");
  REQUIRE_FALSE(r);
  REQUIRE(r.error().size() == 1);
  CHECK(r.error()[0].pointer.empty());
  CHECK_THAT(r.error()[0].detail, Catch::Contains("byte 26"));
}

TEST_CASE("A number beyond a double's range is a malformed body, not an exception", "[api]") {
  auto r = api::ParseJsonBody(R"({"account": "a", "priority": 1e999})");
  REQUIRE_FALSE(r);
  REQUIRE(r.error().size() == 1);
  CHECK_THAT(r.error()[0].detail, Catch::Contains("too large"));
}

TEST_CASE("Canonical hash ignores whitespace and key order", "[api]") {
  auto a = api::CanonicalHash(json::parse(R"({"account":"a","text":"hi"})"));
  auto b = api::CanonicalHash(json::parse("{ \"text\" : \"hi\",\n  \"account\" : \"a\" }"));
  auto c = api::CanonicalHash(json::parse(R"({"account":"a","text":"hi!"})"));
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a.size() == 64);
}

TEST_CASE("Post JSON carries every field in RFC 3339", "[api]") {
  herald::Post p;
  p.id = 7;
  p.account = "acme-x";
  p.author = "alice";
  p.text = "hi";
  p.labels = {"news"};
  p.requested_at = At("2026-03-10T09:00:00Z");
  p.planned_at = At("2026-03-10T09:45:00Z");
  p.state = herald::PostState::kScheduled;
  p.reasons = {{"min_spacing", "45m after post 6", {"6"}}};
  p.created_at = p.updated_at = At("2026-03-10T08:00:00Z");
  p.version = 2;
  json j = api::PostToJson(p);
  for (const char* key : {"id", "account", "text", "labels", "priority", "media", "state", "requested_at", "planned_at",
                          "decision", "author", "approved_by", "remote_id", "remote_url", "published_at", "failure",
                          "created_at", "updated_at", "version"}) {
    CHECK(j.contains(key));
  }
  CHECK(j["state"] == "scheduled");
  CHECK(j["planned_at"] == "2026-03-10T09:45:00Z");
  CHECK(j["published_at"].is_null());
  CHECK(j["decision"]["reasons"][0]["rule"] == "min_spacing");
  CHECK(j["decision"]["reasons"][0]["posts"] == json::array({"6"}));
  CHECK_THAT(j["decision"]["summary"].get<std::string>(), Catch::Contains("min_spacing"));
  p.planned_at.reset();
  p.state = herald::PostState::kRefused;
  CHECK(api::PostToJson(p)["planned_at"].is_null());
  CHECK_THAT(api::DecisionSummary(p), Catch::StartsWith("refused by min_spacing"));
}

TEST_CASE("Status codes map to HTTP statuses", "[api]") {
  using herald::Code;
  CHECK(api::HttpStatusOf(Code::kInvalidArgument) == 400);
  CHECK(api::HttpStatusOf(Code::kUnauthenticated) == 401);
  CHECK(api::HttpStatusOf(Code::kPermissionDenied) == 403);
  CHECK(api::HttpStatusOf(Code::kNotFound) == 404);
  CHECK(api::HttpStatusOf(Code::kAlreadyExists) == 409);
  CHECK(api::HttpStatusOf(Code::kFailedPrecondition) == 409);
  CHECK(api::HttpStatusOf(Code::kResourceExhausted) == 429);
  CHECK(api::HttpStatusOf(Code::kUnavailable) == 503);
  CHECK(api::HttpStatusOf(Code::kInternal) == 500);
  auto p = api::ProblemFromStatus(herald::Status(Code::kResourceExhausted, "slow down")
                                      .WithRetryAt(At("2026-03-10T09:00:00Z")));
  CHECK(p.status == 429);
  REQUIRE(p.retry_at);
  CHECK(api::HttpDate(*p.retry_at) == "Tue, 10 Mar 2026 09:00:00 GMT");
  auto internal = api::ProblemFromStatus(herald::Status(Code::kInternal, "sqlite said SQLITE_CORRUPT at /var/x"));
  CHECK(internal.detail.find("sqlite") == std::string::npos);
  json j = api::ProblemFromStatus(herald::Status(Code::kInvalidArgument, "bad", {.path = "count"})).ToJson();
  CHECK(j["type"].is_string());
  CHECK(j["title"] == "Bad Request");
  CHECK(j["status"] == 400);
  CHECK(j["errors"][0]["pointer"] == "/count");
}
