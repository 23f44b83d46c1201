#include "api/http_server.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <regex>
#include <set>
#include <thread>

#include "tests/api/api_fixture.h"

namespace {

using namespace herald::api::testing;
using nlohmann::json;

void CheckProblem(const Reply& r, int status) {
  INFO(r.body);
  CHECK(r.status == status);
  CHECK(r.content_type == "application/problem+json");
  json j = r.json();
  CHECK(j["status"] == status);
  CHECK(j["type"].is_string());
  CHECK(j["title"].is_string());
  CHECK_FALSE(j["detail"].get<std::string>().empty());
}

std::string Path(int64_t id, const std::string& suffix = "") { return "/v1/posts/" + std::to_string(id) + suffix; }

}  // namespace

TEST_CASE("API: healthz needs no token and reflects the firing loop", "[api]") {
  ApiFixture f;
  Reply ok = f.Get("/healthz", nullptr);
  CHECK(ok.status == 200);
  CHECK(ok.json() == json{{"status", "ok"}});
}

TEST_CASE("API: requests without a valid token get 401 with WWW-Authenticate", "[api]") {
  ApiFixture f;
  auto [header, token] = GENERATE(values<std::pair<std::string, std::string>>({
      {"", ""},
      {"Authorization", "Bearer wrong"},
      {"Authorization", "Basic aGVsbG86d29ybGQ="},
      {"Authorization", "Bearer"},
      {"Authorization", std::string("Bearer ") + kAcmeAdmin + "x"},
  }));
  httplib::Headers headers;
  if (!header.empty()) headers.emplace(header, token);
  for (auto path : {"/v1/posts", "/v1/accounts", "/v1/policy", "/v1/audit", "/metrics", "/v1/posts/1",
                    "/v1/posts/1/engagement", "/v1/engagement"}) {
    Reply r = f.Send("GET", path, nullptr, "", "application/json", headers);
    CheckProblem(r, 401);
    CHECK(r.header("WWW-Authenticate").starts_with("Bearer"));
  }
  Reply create = f.Send("POST", "/v1/posts", nullptr, R"({"account":"acme-mastodon","text":"x"})", "application/json",
                        headers);
  CheckProblem(create, 401);
  CHECK(f.AcmePostCount() == 0);
}

TEST_CASE("API: bearer scheme is case-insensitive", "[api]") {
  ApiFixture f;
  httplib::Headers headers{{"Authorization", std::string("bearer ") + kAcmeViewer}};
  CHECK(f.Send("GET", "/v1/posts", nullptr, "", "", headers).status == 200);
}

TEST_CASE("API: unknown routes are 404 and wrong methods 405 with Allow", "[api]") {
  ApiFixture f;
  CheckProblem(f.Get("/v2/posts", kAcmeAdmin), 404);
  CheckProblem(f.Get("/v1", nullptr), 404);  // "/" is the web console (console_test.cpp)
  Reply del = f.Send("DELETE", "/v1/posts/1", kAcmeAdmin);
  CheckProblem(del, 405);
  CHECK(del.header("Allow") == "GET, PATCH");
  Reply put = f.Send("PUT", "/v1/posts", kAcmeAdmin, "{}");
  CheckProblem(put, 405);
  CHECK(put.header("Allow") == "POST, GET");
  CheckProblem(f.Send("GET", "/v1/posts/1/approve", kAcmeAdmin), 405);
}

TEST_CASE("API: create, read, approve: the editor and manager workflow", "[api]") {
  ApiFixture f;
  Reply created = f.Post("/v1/posts", kAcmeEditor,
                         {{"account", "acme-mastodon"}, {"text", "Spring release notes"}, {"labels", {"news"}}});
  INFO(created.body);
  REQUIRE(created.status == 201);
  CHECK(created.content_type == "application/json");
  json post = created.json();
  CHECK(post["state"] == "pending_approval");
  CHECK(post["author"] == "acme-editor");
  CHECK(post["account"] == "acme-mastodon");
  CHECK(post["labels"] == json::array({"news"}));
  CHECK(post["requested_at"] == ApiFixture::kNow);
  CHECK(post["decision"]["summary"].is_string());
  CHECK(post["decision"]["reasons"].is_array());
  CHECK(post["version"].is_number_integer());
  int64_t id = post["id"];
  CHECK(created.header("Location") == Path(id));

  Reply read = f.Get(Path(id), kAcmeViewer);
  REQUIRE(read.status == 200);
  CHECK(read.json() == post);

  Reply approved = f.Post(Path(id, "/approve"), kAcmeManager, {{"note", "looks good"}});
  INFO(approved.body);
  REQUIRE(approved.status == 200);
  CHECK(approved.json()["state"] == "scheduled");
  CHECK(approved.json()["approved_by"] == "acme-manager");
  CHECK(approved.json()["planned_at"].is_string());

  Reply audit = f.Get("/v1/audit?post=" + std::to_string(id), kAcmeViewer);
  REQUIRE(audit.status == 200);
  std::set<std::string> actions;
  json audit_items = audit.json()["items"];
  for (const auto& e : audit_items) {
    actions.insert(e["action"].get<std::string>());
    CHECK(e["post"] == id);
    if (e["action"] == "approve") CHECK(e["detail"]["note"] == "looks good");
  }
  CHECK(actions.count("create") == 1);
  CHECK(actions.count("approve") == 1);
}

TEST_CASE("API: roles", "[api]") {
  ApiFixture f;
  int64_t id = f.Create(kAcmeEditor, {{"text", "by the editor"}});

  SECTION("viewers read but cannot write") {
    CHECK(f.Get(Path(id), kAcmeViewer).status == 200);
    CHECK(f.Get("/v1/accounts", kAcmeViewer).status == 200);
    CHECK(f.Get("/v1/policy", kAcmeViewer).status == 200);
    CheckProblem(f.Post("/v1/posts", kAcmeViewer, {{"account", "acme-mastodon"}, {"text", "x"}}), 403);
    CheckProblem(f.Patch(Path(id), kAcmeViewer, {{"text", "changed"}}), 403);
    CheckProblem(f.Post(Path(id, "/approve"), kAcmeViewer, json::object()), 403);
    CheckProblem(f.Post(Path(id, "/cancel"), kAcmeViewer, json::object()), 403);
  }
  SECTION("editors edit their own posts only") {
    Reply edited = f.Patch(Path(id), kAcmeEditor, {{"text", "edited by the editor"}});
    INFO(edited.body);
    CHECK(edited.status == 200);
    CHECK(edited.json()["text"] == "edited by the editor");
    CheckProblem(f.Patch(Path(id), kAcmeEditor2, {{"text", "not mine"}}), 403);
    CHECK(f.Get(Path(id), kAcmeViewer).json()["text"] == "edited by the editor");
  }
  SECTION("editors cannot approve, reject or cancel") {
    CheckProblem(f.Post(Path(id, "/approve"), kAcmeEditor2, json::object()), 403);
    CheckProblem(f.Post(Path(id, "/reject"), kAcmeEditor2, json::object()), 403);
    CheckProblem(f.Post(Path(id, "/cancel"), kAcmeEditor2, json::object()), 403);
  }
  SECTION("managers reject with a note") {
    Reply r = f.Post(Path(id, "/reject"), kAcmeManager, {{"note", "off-brand"}});
    INFO(r.body);
    CHECK(r.status == 200);
    CHECK(r.json()["state"] == "rejected");
    CheckProblem(f.Post(Path(id, "/approve"), kAcmeManager, json::object()), 409);
  }
  SECTION("admins cancel") {
    Reply r = f.Post(Path(id, "/cancel"), kAcmeAdmin, json::object());
    INFO(r.body);
    CHECK(r.status == 200);
    CHECK(r.json()["state"] == "cancelled");
  }
  SECTION("urgent posts need a manager or admin") {
    Reply r = f.Post("/v1/posts", kAcmeEditor, {{"account", "acme-mastodon"}, {"text", "now!"}, {"priority", "urgent"}});
    CheckProblem(r, 403);
    CHECK(f.AcmePostCount() == 1);
    Reply m = f.Post("/v1/posts", kAcmeManager, {{"account", "acme-mastodon"}, {"text", "now!"}, {"priority", "urgent"}});
    INFO(m.body);
    CHECK(m.status == 201);
    CHECK(m.json()["priority"] == "urgent");
  }
}

TEST_CASE("API: four-eyes: nobody approves their own post", "[api]") {
  ApiFixture f;
  int64_t by_manager = f.Create(kAcmeManager, {{"text", "manager's own post"}});
  Reply own = f.Post(Path(by_manager, "/approve"), kAcmeManager, json::object());
  CheckProblem(own, 403);
  CHECK_THAT(own.json()["detail"].get<std::string>(), Catch::Contains("four-eyes"));
  CHECK(f.Get(Path(by_manager), kAcmeViewer).json()["state"] == "pending_approval");
  Reply other = f.Post(Path(by_manager, "/approve"), kAcmeAdmin, json::object());
  INFO(other.body);
  CHECK(other.status == 200);
}

TEST_CASE("API: a post a rule refuses is 422 with violations", "[api]") {
  ApiFixture f;
  Reply r = f.Post("/v1/posts", kAcmeEditor, {{"account", "acme-mastodon"}, {"text", "We beat CompetitorCo again"}});
  CheckProblem(r, 422);
  json j = r.json();
  REQUIRE(j["violations"].is_array());
  REQUIRE_FALSE(j["violations"].empty());
  CHECK(j["violations"][0]["rule"].is_string());
  CHECK(j["violations"][0]["detail"].is_string());
  CHECK(j["post"]["state"] == "refused");
}

TEST_CASE("API: Idempotency-Key replays the first answer and refuses a different body", "[api]") {
  ApiFixture f;
  httplib::Headers key{{"Idempotency-Key", "4d1c1f7e-retry"}};
  Reply first = f.Send("POST", "/v1/posts", kAcmeEditor, R"({"account":"acme-mastodon","text":"once"})",
                       "application/json", key);
  REQUIRE(first.status == 201);
  Reply again = f.Send("POST", "/v1/posts", kAcmeEditor, "{ \"text\" : \"once\",\n \"account\" : \"acme-mastodon\" }",
                       "application/json", key);
  INFO(again.body);
  CHECK(again.status == 200);
  CHECK(again.json()["id"] == first.json()["id"]);
  Reply different = f.Send("POST", "/v1/posts", kAcmeEditor, R"({"account":"acme-mastodon","text":"twice"})",
                           "application/json", key);
  CheckProblem(different, 409);
  CHECK(f.AcmePostCount() == 1);
  Reply bad_key = f.Send("POST", "/v1/posts", kAcmeEditor, R"({"account":"acme-mastodon","text":"x"})",
                         "application/json", {{"Idempotency-Key", std::string(300, 'k')}});
  CheckProblem(bad_key, 400);
  CHECK(f.AcmePostCount() == 1);
}

TEST_CASE("API: list pagination round trips with an opaque cursor", "[api]") {
  ApiFixture f;
  std::set<int64_t> created;
  for (int i = 0; i < 5; ++i) created.insert(f.Create(kAcmeEditor, {{"text", "post " + std::to_string(i)}}));
  std::set<int64_t> seen;
  std::string cursor;
  int pages = 0;
  do {
    Reply r = f.Get("/v1/posts?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor), kAcmeViewer);
    INFO(r.body);
    REQUIRE(r.status == 200);
    json j = r.json();
    CHECK(j["items"].size() <= 2);
    for (const auto& p : j["items"]) CHECK(seen.insert(p["id"].get<int64_t>()).second);
    cursor = j["next_cursor"].is_null() ? "" : j["next_cursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(pages == 3);
  CHECK(seen == created);

  Reply filtered = f.Get("/v1/posts?state=pending_approval&account=acme-mastodon", kAcmeViewer);
  REQUIRE(filtered.status == 200);
  CHECK(filtered.json()["items"].size() == 5);
  CHECK(f.Get("/v1/posts?state=scheduled", kAcmeViewer).json()["items"].empty());

  Reply audit = f.Get("/v1/audit?limit=3", kAcmeViewer);
  REQUIRE(audit.status == 200);
  CHECK(audit.json()["items"].size() == 3);
  CHECK(audit.json()["next_cursor"].is_string());
}

TEST_CASE("API: bad queries are 400 problems", "[api]") {
  ApiFixture f;
  auto path = GENERATE(as<std::string>{}, "/v1/posts?limit=501", "/v1/posts?limit=0", "/v1/posts?limit=ten",
                       "/v1/posts?limit=99999999999999999999", "/v1/posts?cursor=!!!", "/v1/posts?cursor=YWJj",
                       "/v1/posts?state=sleeping", "/v1/posts?from=2026-03-10T09:00:00",
                       "/v1/posts?from=2026-03-10T09:00:00%20", "/v1/posts?acount=acme-x",
                       "/v1/audit?limit=501", "/v1/audit?cursor=zz", "/v1/accounts/acme-mastodon/slots?count=51",
                       "/v1/accounts/acme-mastodon/slots?count=0", "/v1/accounts/acme-mastodon/slots?after=soon");
  INFO(path);
  CheckProblem(f.Get(path, kAcmeViewer), 400);
}

TEST_CASE("API: bad bodies are 4xx problems and store nothing", "[api]") {
  ApiFixture f;
  int64_t id = f.Create(kAcmeEditor, {{"text", "original"}});
  REQUIRE(f.AcmePostCount() == 1);

  SECTION("malformed JSON names the byte") {
    Reply r = f.Send("POST", "/v1/posts", kAcmeEditor, R"({"account": "acme-mastodon", "text": "x",})");
    CheckProblem(r, 400);
    CHECK_THAT(r.json()["detail"].get<std::string>(), Catch::Contains("byte"));
  }
  SECTION("wrong types and unknown fields name the pointer") {
    Reply r = f.Post("/v1/posts", kAcmeEditor, {{"account", "acme-mastodon"}, {"text", "x"}, {"labels", {1}}});
    CheckProblem(r, 400);
    CHECK(r.json()["errors"][0]["pointer"] == "/labels/0");
    Reply u = f.Post("/v1/posts", kAcmeEditor, {{"account", "acme-mastodon"}, {"text", "x"}, {"when", "now"}});
    CheckProblem(u, 400);
    CHECK(u.json()["errors"][0]["pointer"] == "/when");
  }
  SECTION("times without an offset name /at") {
    Reply r = f.Post("/v1/posts", kAcmeEditor, {{"account", "acme-mastodon"}, {"text", "x"}, {"at", "2026-03-11T09:00"}});
    CheckProblem(r, 400);
    CHECK(r.json()["errors"][0]["pointer"] == "/at");
    Reply p = f.Patch(Path(id), kAcmeEditor, {{"at", "2026-03-11 09:00:00"}});
    CheckProblem(p, 400);
    CHECK(p.json()["errors"][0]["pointer"] == "/at");
  }
  SECTION("more than four images") {
    json media = json::array();
    for (int i = 0; i < 5; ++i) media.push_back({{"url", "https://img.example/" + std::to_string(i)}, {"alt", ""}});
    CheckProblem(f.Post("/v1/posts", kAcmeEditor, {{"account", "acme-mastodon"}, {"text", "x"}, {"media", media}}), 400);
  }
  SECTION("a body over 64 KiB is 413") {
    std::string big = R"({"account":"acme-mastodon","text":")" + std::string(70 * 1024, 'a') + "\"}";
    CheckProblem(f.Send("POST", "/v1/posts", kAcmeEditor, big), 413);
  }
  SECTION("a body that is not JSON is 415") {
    CheckProblem(f.Send("POST", "/v1/posts", kAcmeEditor, R"({"account":"acme-mastodon","text":"x"})", "text/plain"),
                 415);
    CheckProblem(f.Send("PATCH", Path(id), kAcmeEditor, R"({"text":"y"})", "application/x-www-form-urlencoded"), 415);
  }
  SECTION("an unknown account") {
    Reply r = f.Post("/v1/posts", kAcmeEditor, {{"account", "acme-myspace"}, {"text", "x"}});
    CheckProblem(r, 422);
    CHECK(r.json()["errors"][0]["pointer"] == "/account");
  }
  SECTION("a body that is not an object") {
    CheckProblem(f.Send("POST", "/v1/posts", kAcmeEditor, "[1,2,3]"), 400);
    CheckProblem(f.Send("POST", "/v1/posts", kAcmeEditor, "\"text\""), 400);
    CheckProblem(f.Send("POST", "/v1/posts", kAcmeEditor, ""), 400);
  }
  SECTION("an empty edit, and notes of the wrong type") {
    CheckProblem(f.Patch(Path(id), kAcmeEditor, json::object()), 400);
    CheckProblem(f.Post(Path(id, "/reject"), kAcmeManager, {{"note", 5}}), 400);
    CheckProblem(f.Post(Path(id, "/reject"), kAcmeManager, {{"reason", "x"}}), 400);
  }
  SECTION("ids that are not numbers, or not there") {
    for (auto bad : {"abc", "0", "-1", "1e3", "99999999999999999999999", "424242"}) {
      INFO(bad);
      CheckProblem(f.Get(std::string("/v1/posts/") + bad, kAcmeViewer), 404);
      CheckProblem(f.Post(std::string("/v1/posts/") + bad + "/approve", kAcmeManager, json::object()), 404);
    }
    CheckProblem(f.Get("/v1/audit?post=abc", kAcmeViewer), 404);
  }
  CHECK(f.AcmePostCount() == 1);
  Reply after = f.Get(Path(id), kAcmeViewer);
  CHECK(after.json()["text"] == "original");
  CHECK(after.json()["state"] == "pending_approval");
}

TEST_CASE("API: another organisation's things are 404 on every endpoint", "[api]") {
  ApiFixture f;
  int64_t id = f.Create(kAcmeEditor, {{"text", "acme only"}});
  std::string sid = std::to_string(id);

  CheckProblem(f.Get(Path(id), kGlobexAdmin), 404);
  CheckProblem(f.Patch(Path(id), kGlobexAdmin, {{"text", "hijacked"}}), 404);
  CheckProblem(f.Post(Path(id, "/approve"), kGlobexAdmin, json::object()), 404);
  CheckProblem(f.Post(Path(id, "/reject"), kGlobexAdmin, json::object()), 404);
  CheckProblem(f.Post(Path(id, "/cancel"), kGlobexAdmin, json::object()), 404);
  CheckProblem(f.Get("/v1/posts?account=acme-mastodon", kGlobexAdmin), 404);
  CheckProblem(f.Get("/v1/accounts/acme-mastodon/slots", kGlobexAdmin), 404);
  CheckProblem(f.Get("/v1/audit?post=" + sid, kGlobexAdmin), 404);
  Reply create = f.Post("/v1/posts", kGlobexAdmin, {{"account", "acme-mastodon"}, {"text", "into acme"}});
  CHECK(create.status == 422);
  CHECK(create.json()["errors"][0]["pointer"] == "/account");

  Reply list = f.Get("/v1/posts", kGlobexAdmin);
  REQUIRE(list.status == 200);
  CHECK(list.json()["items"].empty());
  Reply audit = f.Get("/v1/audit", kGlobexAdmin);
  REQUIRE(audit.status == 200);
  CHECK(audit.json()["items"].empty());
  Reply accounts = f.Get("/v1/accounts", kGlobexAdmin);
  REQUIRE(accounts.status == 200);
  json account_items = accounts.json()["items"];
  for (const auto& a : account_items) CHECK(a["id"].get<std::string>().starts_with("globex-"));
  CHECK(f.Get("/v1/policy", kGlobexAdmin).json()["organization"] == "globex");

  Reply untouched = f.Get(Path(id), kAcmeViewer);
  CHECK(untouched.json()["text"] == "acme only");
  CHECK(untouched.json()["state"] == "pending_approval");
}

TEST_CASE("API: accounts, slots and policy", "[api]") {
  ApiFixture f;
  Reply accounts = f.Get("/v1/accounts", kAcmeViewer);
  INFO(accounts.body);
  REQUIRE(accounts.status == 200);
  std::set<std::string> ids;
  json account_items = accounts.json()["items"];
  for (const auto& a : account_items) {
    ids.insert(a["id"].get<std::string>());
    CHECK(a["usage"].is_array());
    CHECK(a["platform"].is_string());
  }
  CHECK(ids.count("acme-mastodon") == 1);

  Reply slots = f.Get("/v1/accounts/acme-mastodon/slots?count=3", kAcmeViewer);
  INFO(slots.body);
  REQUIRE(slots.status == 200);
  auto list = slots.json()["slots"];
  REQUIRE(list.size() == 3);
  CHECK(list[0].get<std::string>() < list[1].get<std::string>());
  CHECK(f.Get("/v1/accounts/acme-mastodon/slots?count=1&after=2026-03-12T10:00:00Z", kAcmeViewer).status == 200);
  CheckProblem(f.Get("/v1/accounts/acme-nowhere/slots", kAcmeViewer), 404);

  Reply policy = f.Get("/v1/policy", kAcmeViewer);
  REQUIRE(policy.status == 200);
  CHECK(policy.json()["organization"] == "acme");
  CHECK(policy.json()["sha256"].is_string());
  CHECK(policy.json()["last_reload_errors"].is_array());
}

TEST_CASE("API: metrics are Prometheus text and need a token", "[api]") {
  ApiFixture f;
  f.Create(kAcmeEditor, {{"text", "counted"}});
  f.Get("/v2/nothing", kAcmeViewer);
  CheckProblem(f.Get("/metrics", nullptr), 401);
  Reply r = f.Get("/metrics", kAcmeViewer);
  REQUIRE(r.status == 200);
  CHECK(r.content_type.starts_with("text/plain; version=0.0.4"));
  std::regex sample(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.eE+-]+|\+Inf|NaN)$)");
  std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$)");
  std::istringstream lines(r.body);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    INFO(line);
    if (line.starts_with("#")) {
      CHECK(std::regex_match(line, comment));
    } else {
      CHECK(std::regex_match(line, sample));
      ++samples;
    }
  }
  CHECK(samples > 5);
  CHECK_THAT(r.body, Catch::Contains("herald_posts{state=\"pending_approval\"} 1\n"));
  CHECK_THAT(r.body, Catch::Contains("herald_oldest_overdue_seconds "));
  CHECK_THAT(r.body, Catch::Contains("herald_http_requests_total{route=\"/v1/posts\",method=\"POST\",status=\"201\"} 1\n"));
  CHECK_THAT(r.body, Catch::Contains("herald_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n"));
  CHECK_THAT(r.body, Catch::Contains("herald_http_request_duration_seconds_count{route=\"/v1/posts\"} 1\n"));
}

TEST_CASE("API: healthz is 503 with the problems when the firing loop is silent", "[api]") {
  ApiFixture f;
  // The fixture's clock never moves, so make the last heartbeat old instead.
  f.service().Heartbeat(*herald::ParseRfc3339("2026-03-10T13:00:00Z"));
  Reply r = f.Get("/healthz", nullptr);
  CheckProblem(r, 503);
  CHECK(r.json()["problems"].is_array());
  CHECK_FALSE(r.json()["problems"].empty());
}

TEST_CASE("API: concurrent creates all land, each once", "[api]") {
  ApiFixture f;
  constexpr int kThreads = 6, kEach = 4;
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        httplib::Client c("127.0.0.1", f.port());
        json body{{"account", "acme-mastodon"}, {"text", "t" + std::to_string(t) + "-" + std::to_string(i)}};
        auto r = c.Post("/v1/posts", {{"Authorization", std::string("Bearer ") + kAcmeEditor}}, body.dump(),
                        "application/json");
        if (r && r->status == 201) ++created;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(created == kThreads * kEach);
  CHECK(f.AcmePostCount() == kThreads * kEach);
}

TEST_CASE("API: Stop is idempotent and a stopped server refuses connections", "[api]") {
  ApiFixture f;
  int port = f.port();
  f.server().Stop();
  f.server().Stop();
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(1, 0);
  CHECK_FALSE(c.Get("/healthz"));
}

namespace {

// Sends raw bytes (what httplib::Client would refuse to send) and returns the
// status line of the answer, or "" when the server closed without one.
std::string RawExchange(int port, const std::string& bytes) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may hang up early on a too-large body
    sent += static_cast<size_t>(n);
  }
  std::string answer;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
    answer.append(buf, static_cast<size_t>(n));
    if (answer.find("\r\n") != std::string::npos) break;
  }
  ::close(fd);
  return answer.substr(0, answer.find("\r\n"));
}

}  // namespace

TEST_CASE("API: malformed HTTP and oversized chunked bodies do not hurt the server", "[api]") {
  ApiFixture f;
  std::string auth = std::string("Authorization: Bearer ") + kAcmeEditor + "\r\n";
  CHECK(RawExchange(f.port(), "NONSENSE\r\n\r\n").starts_with("HTTP/1.1 400"));
  CHECK(RawExchange(f.port(), "GET /v1/posts HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n").starts_with("HTTP/1.1 4"));
  std::string chunk(32 * 1024, 'a');
  std::string chunked = "POST /v1/posts HTTP/1.1\r\nHost: x\r\n" + auth +
                        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  for (int i = 0; i < 3; ++i) chunked += "8000\r\n" + chunk + "\r\n";
  chunked += "0\r\n\r\n";
  CHECK(RawExchange(f.port(), chunked).starts_with("HTTP/1.1 413"));
  CHECK(f.Get("/healthz", nullptr).status == 200);
  CHECK(f.AcmePostCount() == 0);
}

TEST_CASE("API: replaced tokens take effect at once", "[api]") {
  ApiFixture f;
  REQUIRE(f.Get("/v1/posts", kAcmeViewer).status == 200);
  auto tokens = herald::api::TokenSet::Parse(
      R"({"tokens":[{"name":"new","organization":"acme","role":"viewer","sha256":")" +
          herald::api::HashToken("hrld_new") + "\"}]}",
      "t.json");
  REQUIRE(tokens);
  f.server().ReplaceTokens(std::move(*tokens));
  CheckProblem(f.Get("/v1/posts", kAcmeViewer), 401);
  CHECK(f.Get("/v1/posts", "hrld_new").status == 200);
}
