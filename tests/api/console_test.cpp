// The web console's files as herald serves them, and the API endpoints the
// console needs (who am I, dry runs, conditional lists), over real HTTP.
#include <fstream>
#include <regex>
#include <sstream>
#include <set>
#include <tuple>

#include "api/internal/console_files.h"
#include "tests/api/api_fixture.h"

namespace herald::api::testing {
namespace {

using nlohmann::json;

std::string Path(int64_t id, const std::string& tail = "") { return "/v1/posts/" + std::to_string(id) + tail; }

std::set<std::string> Rules(const json& decision) {
  std::set<std::string> out;
  for (const auto& r : decision["reasons"]) out.insert(r["rule"].get<std::string>());
  return out;
}

TEST_CASE("Console: the page is served without a token, with a strict policy and an ETag", "[console]") {
  ApiFixture f;
  Reply page = f.Get("/", nullptr);
  REQUIRE(page.status == 200);
  CHECK(page.content_type == "text/html; charset=utf-8");
  std::string csp = page.header("Content-Security-Policy");
  CHECK(csp.find("script-src 'self'") != std::string::npos);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(csp.find("default-src 'none'") != std::string::npos);
  CHECK(csp.find("unsafe") == std::string::npos);
  CHECK(page.header("X-Content-Type-Options") == "nosniff");
  CHECK(page.header("Cache-Control") == "no-cache");
  std::string etag = page.header("ETag");
  REQUIRE(etag.size() > 2);

  Reply again = f.Send("GET", "/", nullptr, "", "", {{"If-None-Match", etag}});
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(f.Send("GET", "/", nullptr, "", "", {{"If-None-Match", "\"other\""}}).status == 200);
  CHECK(f.Get("/index.html", nullptr).body == page.body);
}

TEST_CASE("API: /v1/openapi.json is docs/openapi.json, served without a token", "[api][openapi]") {
  ApiFixture f;
  Reply doc = f.Get("/v1/openapi.json", nullptr);
  REQUIRE(doc.status == 200);
  CHECK(doc.content_type == "application/json");
  std::ifstream in(std::string(HERALD_SOURCE_DIR) + "/docs/openapi.json", std::ios::binary);
  std::ostringstream file;
  file << in.rdbuf();
  CHECK(doc.body == file.str());
  json parsed = json::parse(doc.body);
  CHECK(parsed["openapi"] == "3.1.0");
  // Every route the server answers is described (the responses are checked
  // against it by tests/openapi/ over the whole test run).
  for (const char* path : {"/v1/posts", "/v1/posts/{id}", "/v1/posts/{id}/approve", "/v1/accounts", "/v1/audit",
                           "/v1/policy", "/v1/me", "/healthz", "/metrics"}) {
    INFO(path);
    CHECK(parsed["paths"].contains(path));
  }
  CHECK(f.Send("GET", "/v1/openapi.json", nullptr, "", "", {{"If-None-Match", doc.header("ETag")}}).status == 304);
}

TEST_CASE("Console: every file the page names is served with its type, and nothing runs inline", "[console]") {
  ApiFixture f;
  std::string html = f.Get("/", nullptr).body;
  // No inline script or style for the policy to block, no event-handler attributes.
  CHECK(std::regex_search(html, std::regex("<script(?![^>]*\\ssrc=)")) == false);
  CHECK(std::regex_search(html, std::regex("\\sstyle=|\\son[a-z]+=|<style")) == false);
  std::regex ref("(?:src|href)=\"(/console/[^\"]+)\"");
  int seen = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), ref); it != std::sregex_iterator(); ++it, ++seen) {
    Reply file = f.Get((*it)[1].str(), nullptr);
    INFO((*it)[1].str());
    CHECK(file.status == 200);
    CHECK(file.header("X-Content-Type-Options") == "nosniff");
  }
  CHECK(seen >= 3);
  for (const auto& asset : internal::ConsoleAssets()) {
    Reply file = f.Get(std::string(asset.path), nullptr);
    INFO(asset.path);
    CHECK(file.status == 200);
    CHECK(file.content_type == asset.content_type);
    CHECK(file.body == asset.body);
    if (asset.path.ends_with(".js")) {
      CHECK(file.content_type == "text/javascript; charset=utf-8");
      // Text from the API must never be parsed as HTML.
      CHECK(file.body.find("innerHTML") == std::string::npos);
      CHECK(file.body.find("insertAdjacentHTML") == std::string::npos);
      CHECK(file.body.find("localStorage") == std::string::npos);
    }
  }
  CHECK(f.Get("/console/missing.js", nullptr).status == 404);
  CHECK(f.Get("/console/../examples/tokens.json", nullptr).status == 404);
  CHECK(f.Send("POST", "/", nullptr, "", "text/plain").status != 200);
}

TEST_CASE("API: /v1/me names the token's organisation, name and role", "[api][console]") {
  ApiFixture f;
  json me = f.Get("/v1/me", kAcmeEditor).json();
  CHECK(me == json{{"organization", "acme"}, {"name", "acme-editor"}, {"role", "editor"}});
  CHECK(f.Get("/v1/me", kGlobexAdmin).json()["organization"] == "globex");
  CHECK(f.Get("/v1/me", nullptr).status == 401);
  CHECK(f.Get("/v1/me?x=1", kAcmeEditor).status == 400);
}

TEST_CASE("API: a dry run of a new post answers what the governor would do and stores nothing", "[api][console]") {
  ApiFixture f;
  SECTION("on time") {
    Reply r = f.Post("/v1/posts/dry-run", kAcmeEditor,
                     {{"account", "acme-mastodon"}, {"text", "Spring notes"}, {"at", "2026-03-10T15:00:00Z"}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.json()["outcome"] == "on_time");
    CHECK(r.json()["planned_at"] == "2026-03-10T15:00:00Z");
    CHECK(r.json()["reasons"].empty());
  }
  SECTION("deferred past quiet hours, with the next allowed time") {
    // 00:00 in Berlin: acme-mastodon is quiet from 22:00 to 07:30.
    Reply r = f.Post("/v1/posts/dry-run", kAcmeViewer,
                     {{"account", "acme-mastodon"}, {"text", "Late news"}, {"at", "2026-03-10T23:00:00Z"}});
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.json()["outcome"] == "deferred");
    CHECK(r.json()["requested_at"] == "2026-03-10T23:00:00Z");
    CHECK(r.json()["planned_at"] == "2026-03-11T06:30:00Z");
    CHECK(Rules(r.json()).count("quiet_hours") == 1);
    CHECK(r.json()["summary"].get<std::string>().find("quiet_hours") != std::string::npos);
  }
  SECTION("refused for its text") {
    Reply r = f.Post("/v1/posts/dry-run", kAcmeEditor, {{"account", "acme-mastodon"}, {"text", "Better than RivalCorp"}});
    REQUIRE(r.status == 200);
    CHECK(r.json()["outcome"] == "refused");
    CHECK(r.json()["planned_at"].is_null());
    CHECK(Rules(r.json()).count("content.banned_term") == 1);
  }
  SECTION("bad bodies are problems") {
    CHECK(f.Post("/v1/posts/dry-run", kAcmeEditor, {{"account", "acme-mastodon"}}).status == 400);
    CHECK(f.Post("/v1/posts/dry-run", kAcmeEditor, {{"account", "acme-mastodon"}, {"text", "x"}, {"at", "soon"}}).status == 400);
    CHECK(f.Send("POST", "/v1/posts/dry-run", kAcmeEditor, "{}", "text/plain").status == 415);
    CHECK(f.Post("/v1/posts/dry-run", kAcmeEditor, {{"account", "nope"}, {"text", "x"}}).status == 422);
  }
  CHECK(f.AcmePostCount() == 0);
}

TEST_CASE("API: a dry run of an existing post at another time changes nothing", "[api][console]") {
  ApiFixture f;
  int64_t first = f.Create(kAcmeEditor, {{"text", "First"}});
  REQUIRE(f.Post(Path(first, "/approve"), kAcmeManager, json::object()).status == 200);
  json before = f.Get(Path(first), kAcmeEditor).json();

  // The post does not count against itself: its own time is still on time.
  Reply same = f.Post(Path(first, "/dry-run"), kAcmeEditor, {{"at", ApiFixture::kNow}});
  INFO(same.body);
  REQUIRE(same.status == 200);
  CHECK(same.json()["outcome"] == "on_time");

  Reply night = f.Post(Path(first, "/dry-run"), kAcmeEditor, {{"at", "2026-03-10T23:00:00Z"}});
  REQUIRE(night.status == 200);
  CHECK(night.json()["outcome"] == "deferred");
  CHECK(Rules(night.json()).count("quiet_hours") == 1);

  // Another post 20 minutes after the first is held back by it, and says so.
  int64_t second = f.Create(kAcmeEditor, {{"text", "Second"}, {"at", "2026-03-10T16:00:00Z"}});
  Reply close = f.Post(Path(second, "/dry-run"), kAcmeEditor, {{"at", "2026-03-10T14:20:00Z"}});
  INFO(close.body);
  REQUIRE(close.status == 200);
  CHECK(close.json()["outcome"] == "deferred");
  bool names_first = false;
  const json reasons = close.json()["reasons"];
  for (const auto& r : reasons) {
    for (const auto& p : r["posts"]) names_first = names_first || p == std::to_string(first);
  }
  CHECK(names_first);

  CHECK(f.Get(Path(first), kAcmeEditor).json() == before);
  CHECK(f.Post(Path(first, "/dry-run"), kAcmeEditor, json::object()).status == 400);
  CHECK(f.Post("/v1/posts/999/dry-run", kAcmeEditor, {{"at", ApiFixture::kNow}}).status == 404);
}

TEST_CASE("API: dry runs see nothing of another organisation", "[api][console]") {
  ApiFixture f;
  int64_t id = f.Create(kAcmeEditor, {{"text", "acme only"}});
  Reply post = f.Post(Path(id, "/dry-run"), kGlobexAdmin, {{"at", "2026-03-10T15:00:00Z"}});
  CHECK(post.status == 404);
  CHECK(post.body.find("acme only") == std::string::npos);
  Reply fresh = f.Post("/v1/posts/dry-run", kGlobexAdmin, {{"account", "acme-mastodon"}, {"text", "into acme"}});
  CHECK(fresh.status == 422);
  CHECK(fresh.json()["errors"][0]["pointer"] == "/account");
}

TEST_CASE("API: lists, accounts and audit answer 304 to a matching If-None-Match", "[api][console]") {
  ApiFixture f;
  for (const char* path : {"/v1/posts", "/v1/accounts", "/v1/audit"}) {
    INFO(path);
    Reply first = f.Get(path, kAcmeViewer);
    REQUIRE(first.status == 200);
    std::string etag = first.header("ETag");
    REQUIRE(!etag.empty());
    Reply unchanged = f.Send("GET", path, kAcmeViewer, "", "", {{"If-None-Match", etag}});
    CHECK(unchanged.status == 304);
    CHECK(unchanged.body.empty());
    // Another organisation's identical-looking view is not this one.
    CHECK(f.Send("GET", path, nullptr, "", "", {{"If-None-Match", etag}}).status == 401);
  }
  Reply posts = f.Get("/v1/posts", kAcmeViewer);
  f.Create(kAcmeEditor, {{"text", "a change"}});
  Reply changed = f.Send("GET", "/v1/posts", kAcmeViewer, "", "", {{"If-None-Match", posts.header("ETag")}});
  CHECK(changed.status == 200);
  CHECK(changed.header("ETag") != posts.header("ETag"));
}

TEST_CASE("Console: closed spans are the account's quiet hours, days off and blackouts, in its own zone", "[console]") {
  ApiFixture f;
  using Spans = std::vector<std::tuple<std::string, std::string, std::string>>;
  auto spans = [&](const std::string& query, const char* token = kAcmeViewer) {
    Reply r = f.Get("/v1/accounts/acme-mastodon/closed?" + query, token);
    INFO(r.body);
    REQUIRE(r.status == 200);
    Spans out;
    json body = r.json();
    for (const auto& s : body["spans"]) out.emplace_back(s["from"], s["until"], s["rule"]);
    return out;
  };
  // Berlin, UTC+1 in mid-March: quiet 22:00-07:30, Sunday 15 March off.
  CHECK(spans("from=2026-03-14T00:00:00Z&to=2026-03-16T00:00:00Z") ==
        Spans{{"2026-03-14T00:00:00Z", "2026-03-14T06:30:00Z", "quiet_hours"},
              {"2026-03-14T21:00:00Z", "2026-03-15T06:30:00Z", "quiet_hours"},
              {"2026-03-14T23:00:00Z", "2026-03-15T23:00:00Z", "days"},
              {"2026-03-15T21:00:00Z", "2026-03-16T00:00:00Z", "quiet_hours"}});
  // Summer time starts in the night of Sunday 29 March: the quiet night ends at
  // 07:30 UTC+2, and the Sunday ends at midnight UTC+2.
  CHECK(spans("from=2026-03-28T12:00:00Z&to=2026-03-30T00:00:00Z") ==
        Spans{{"2026-03-28T21:00:00Z", "2026-03-29T05:30:00Z", "quiet_hours"},
              {"2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z", "days"},
              {"2026-03-29T20:00:00Z", "2026-03-30T00:00:00Z", "quiet_hours"}});
  Reply holidays = f.Get("/v1/accounts/acme-mastodon/closed?from=2026-12-24T00:00:00Z&to=2026-12-25T00:00:00Z", kAcmeViewer);
  REQUIRE(holidays.status == 200);
  bool blackout = false;
  json holiday_spans = holidays.json()["spans"];
  for (const auto& s : holiday_spans) {
    if (s["rule"] != "blackout") continue;
    blackout = true;
    CHECK(s["from"] == "2026-12-24T00:00:00Z");  // clipped: it began at 23:00Z the day before
    CHECK(s["until"] == "2026-12-25T00:00:00Z");
    CHECK(s["why"].get<std::string>().find("holidays") != std::string::npos);
  }
  CHECK(blackout);

  CHECK(f.Get("/v1/accounts/acme-mastodon/closed?from=2026-03-14T00:00:00Z&to=2026-03-16T00:00:00Z", kGlobexAdmin).status ==
        404);
  CHECK(f.Get("/v1/accounts/acme-mastodon/closed?from=2026-03-14T00:00:00Z&to=2026-03-16T00:00:00Z", nullptr).status ==
        401);
  CHECK(f.Get("/v1/accounts/acme-mastodon/closed?from=2026-01-01T00:00:00Z&to=2026-04-01T00:00:00Z", kAcmeViewer).status ==
        400);
  Reply missing = f.Get("/v1/accounts/acme-mastodon/closed?to=2026-04-01T00:00:00Z", kAcmeViewer);
  CHECK(missing.status == 400);
  CHECK(missing.json()["errors"][0]["parameter"] == "from");
}

}  // namespace
}  // namespace herald::api::testing
