// Input limits over the real API: a post's `at`, labels and text are refused
// with 400 and a JSON pointer before any rule or platform looks at them, on
// create and on edit, and nothing is stored.
#include <catch2/catch.hpp>

#include <string>

#include "tests/api/api_fixture.h"

namespace {

using herald::api::testing::ApiFixture;
using herald::api::testing::kAcmeEditor;
using herald::api::testing::Reply;
using nlohmann::json;

// The 400's first error: its pointer, and the detail has `words` in it.
void CheckRefused(const Reply& r, const std::string& pointer, const std::string& words) {
  INFO(r.body);
  REQUIRE(r.status == 400);
  CHECK(r.content_type == "application/problem+json");
  json j = r.json();
  REQUIRE(j["errors"].is_array());
  REQUIRE_FALSE(j["errors"].empty());
  CHECK(j["errors"][0]["pointer"] == pointer);
  CHECK(j["errors"][0]["detail"].get<std::string>().find(words) != std::string::npos);
}

json Post(json extra) {
  json body{{"account", "acme-mastodon"}, {"text", "limits"}};
  body.update(extra);
  return body;
}

}  // namespace

TEST_CASE("API limits: `at` beyond the horizon is refused, inside it accepted", "[api][limits]") {
  ApiFixture f;  // now: 2026-03-10T14:00:00Z, default horizon 366 days
  CheckRefused(f.Post("/v1/posts", kAcmeEditor, Post({{"at", "9999-12-31T23:59:59Z"}})), "/at", "ahead");
  CheckRefused(f.Post("/v1/posts", kAcmeEditor, Post({{"at", "2027-03-11T14:00:01Z"}})), "/at", "horizon");
  CHECK(f.AcmePostCount() == 0);
  int64_t id = f.Create(kAcmeEditor, Post({{"at", "2027-03-10T14:00:00Z"}}));
  SECTION("and on edit") {
    CheckRefused(f.Patch("/v1/posts/" + std::to_string(id), kAcmeEditor, {{"at", "2030-01-01T00:00:00Z"}}), "/at",
                 "ahead");
    Reply still = f.Get("/v1/posts/" + std::to_string(id), kAcmeEditor);
    CHECK(still.json()["requested_at"] == "2027-03-10T14:00:00Z");
  }
}

TEST_CASE("API limits: labels are short, from a small alphabet, and few", "[api][limits]") {
  ApiFixture f;
  CheckRefused(f.Post("/v1/posts", kAcmeEditor, Post({{"labels", json::array({"ok", std::string(65, 'a')})}})), "/labels/1",
               "at most 64");
  CheckRefused(f.Post("/v1/posts", kAcmeEditor, Post({{"labels", json::array({"two words"})}})), "/labels/0", "letters");
  CheckRefused(f.Post("/v1/posts", kAcmeEditor, Post({{"labels", json::array({"caf\u00e9"})}})), "/labels/0", "letters");
  CheckRefused(f.Post("/v1/posts", kAcmeEditor, Post({{"labels", json::array({""})}})), "/labels/0", "empty");
  json seventeen = json::array();
  for (int i = 0; i < 17; ++i) seventeen.push_back("l" + std::to_string(i));
  CheckRefused(f.Post("/v1/posts", kAcmeEditor, Post({{"labels", seventeen}})), "/labels", "at most 16");
  CHECK(f.AcmePostCount() == 0);
  seventeen.erase(seventeen.begin());
  seventeen[0] = std::string(64, 'z');
  seventeen[1] = "Team-A_b.c:d/e9";
  int64_t id = f.Create(kAcmeEditor, Post({{"labels", seventeen}}));
  CheckRefused(f.Patch("/v1/posts/" + std::to_string(id), kAcmeEditor, {{"labels", json::array({"no!"})}}), "/labels/0",
               "letters");
}

TEST_CASE("API limits: text over the size limit is refused before the platform counts it", "[api][limits]") {
  ApiFixture f;
  // 63,207 bytes: over the default limit, under the 64 KiB body cap.
  CheckRefused(f.Post("/v1/posts", kAcmeEditor, Post({{"text", std::string(63'207, 'x')}})), "/text", "63206");
  CHECK(f.AcmePostCount() == 0);
  SECTION("a body over the cap is 413 whatever it holds") {
    Reply r = f.Post("/v1/posts", kAcmeEditor, Post({{"text", std::string(70'000, 'x')}}));
    CHECK(r.status == 413);
  }
}
