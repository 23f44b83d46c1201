// End-to-end: the real `herald serve` re-checks a post left unconfirmed on the
// Bluesky fake. The create reaches the PDS but its answer is lost, and getRecord
// cannot tell (502) for a while: the post is unconfirmed. The daemon asks again
// on its schedule (short here: recheck in the server config), is restarted
// between two checks, and once the record can be read the post is published
// with its record's id, never sent twice. Each check is in the post's audit.
// On SQLite and on PostgreSQL (scripts/with-postgres).
#include <catch2/catch.hpp>
#include <httplib.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/time.h"
#include "tests/connectors/fakes/bluesky_fake.h"
#include "tests/support/daemon.h"
#include "tests/support/pg_database.h"
#include "tests/support/process.h"

namespace {

using namespace std::chrono;
using herald::testing::BlueskyFake;
using herald::testing::Daemon;
using herald::testing::ReadFileOr;
using herald::testing::TempDir;
using herald::testing::WriteFile;
using nlohmann::json;

class Site {
 public:
  Site(const std::string& storage, const std::string& bluesky_url) {
    WriteFile(dir_ / "secrets/bsky-password", "app-pass-1234\n");
    WriteFile(dir_ / "policies/acme.yaml", R"(version: 1
organization: acme
timezone: UTC
accounts:
  list:
    - id: acme-sky
      platform: bluesky
      handle: herald.bsky.social
      connector:
        base_url: )" + bluesky_url + R"(
        identifier: herald.bsky.social
        app_password: file:)" + (dir_ / "secrets/bsky-password") + R"(
frequency:
  default:
    min_spacing: 0s
  max_delay: 48h
  missed_after: 30m
approval: { required: false }
)");
    auto r = herald::testing::RunProcess(
        {HERALD_BINARY, "token", "add", "--org", "acme", "--role", "manager", "--name", "mona", "--tokens", dir_ / "tokens.json"});
    REQUIRE(r.exit_code == 0);
    token_ = r.out.substr(0, r.out.find('\n'));
    WriteFile(dir_ / "herald.yaml", "listen: 127.0.0.1:0\nstorage: \"" + storage + "\"\npolicies: " + (dir_ / "policies") +
                                        "\ntokens: " + (dir_ / "tokens.json") + "\noutbox: " + (dir_ / "outbox") +
                                        "\nlog: { level: info, format: json }\nshutdown_grace: 5s\n"
                                        "recheck: [2s, 6s, 10s, 20s, 40s]\n");
  }

  void Start() {
    ++starts_;
    daemon_ = std::make_unique<Daemon>(HERALD_BINARY, dir_ / "herald.yaml", dir_.path(),
                                       dir_ / ("herald-" + std::to_string(starts_) + ".log"));
    http_ = std::make_unique<httplib::Client>("127.0.0.1", daemon_->port());
    http_->set_read_timeout(5, 0);
  }
  int Stop() {
    int status = daemon_->Terminate();
    daemon_.reset();
    return status;
  }

  json Call(const std::string& method, const std::string& path, const json& body = nullptr) {
    httplib::Headers auth{{"Authorization", "Bearer " + token_}};
    auto r = method == "POST" ? http_->Post(path, auth, body.dump(), "application/json") : http_->Get(path, auth);
    REQUIRE(r);
    INFO(path << ": " << r->body);
    REQUIRE(r->status / 100 == 2);
    return method == "GET" && path == "/metrics" ? json(r->body) : json::parse(r->body);
  }
  json Post(int64_t id) { return Call("GET", "/v1/posts/" + std::to_string(id)); }
  std::vector<json> Rechecks(int64_t id) {
    std::vector<json> out;
    json audit = Call("GET", "/v1/audit?post=" + std::to_string(id) + "&limit=500");
    last_audit_ = audit.dump();
    for (const json& e : audit["items"]) {
      if (e["action"] == "recheck") out.push_back(e["detail"]);
    }
    return out;
  }
  // Polls (every 100 ms, up to `limit`) until `done` holds.
  void WaitFor(const std::function<bool()>& done, milliseconds limit, const std::string& what) {
    auto until = steady_clock::now() + limit;
    while (!done()) {
      INFO(what << "\n" << Logs() << "\n" << last_audit_);
      REQUIRE(steady_clock::now() < until);
      std::this_thread::sleep_for(milliseconds{100});
    }
  }
  std::string Logs() const {
    std::string all;
    for (int i = 1; i <= starts_; ++i) all += ReadFileOr(dir_ / ("herald-" + std::to_string(i) + ".log"));
    return all;
  }

 private:
  TempDir dir_;
  std::string token_;
  std::string last_audit_;
  int starts_ = 0;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<httplib::Client> http_;
};

void RecordAppearsAfterARestart(const std::string& storage, TempDir& dir) {
  BlueskyFake bluesky;
  Site site(storage == "sqlite" ? "sqlite:" + (dir / "h.db") : storage, bluesky.base_url());
  site.Start();
  // The create lands, its answer is lost, and getRecord cannot tell.
  bluesky.set_records_unreadable(true);
  bluesky.DropNextCreateAnswer();
  json created = site.Call("POST", "/v1/posts",
                           {{"account", "acme-sky"}, {"text", "Said once, checked later"},
                            {"at", herald::FormatRfc3339(floor<seconds>(system_clock::now()) + seconds{2})}});
  const int64_t id = created["id"];
  json post;
  site.WaitFor([&] { return (post = site.Post(id))["state"] == "unconfirmed"; }, seconds{20}, "unconfirmed");
  INFO(post.dump());
  REQUIRE(post["recheck"].is_object());
  CHECK(post["recheck"]["checks"] == 0);
  CHECK(post["recheck"]["next_check"].is_string());
  CHECK_THAT(post["failure"].get<std::string>(), Catch::Contains("herald asks the platform again at"));

  // One check answered "cannot tell"; then the daemon stops between checks.
  site.WaitFor([&] { return !site.Rechecks(id).empty(); }, seconds{20}, "a first re-check");
  CHECK(site.Rechecks(id)[0]["outcome"] == "unknown");
  REQUIRE(site.Stop() == 0);

  // The PDS can tell again; a new daemon takes the stored schedule up.
  bluesky.set_records_unreadable(false);
  site.Start();
  json before = site.Post(id);
  CHECK(before["state"] == "unconfirmed");
  CHECK(before["recheck"]["checks"].get<int>() >= 1);  // the count survived the restart
  site.WaitFor([&] { return (post = site.Post(id))["state"] == "published"; }, seconds{45}, "published by a re-check");
  INFO(post.dump());
  REQUIRE(bluesky.Records().size() == 1);  // never sent twice
  const std::string rkey = bluesky.Records()[0].rkey;
  CHECK(post["remote_id"] == std::string("at://") + BlueskyFake::kDid + "/app.bsky.feed.post/" + rkey);
  CHECK(post["remote_url"] == "https://bsky.app/profile/herald.bsky.social/post/" + rkey);
  CHECK(post["recheck"].is_null());
  CHECK(bluesky.fake().Count("createRecord") == 1);

  auto checks = site.Rechecks(id);
  REQUIRE(checks.size() >= 2);
  for (size_t i = 0; i + 1 < checks.size(); ++i) CHECK(checks[i]["outcome"] == "unknown");
  CHECK(checks.back()["outcome"] == "published");
  CHECK(checks.back()["check"] == checks.size());
  CHECK(checks.back()["remote_id"] == post["remote_id"]);
  std::string metrics = site.Call("GET", "/metrics").get<std::string>();
  CHECK_THAT(metrics, Catch::Contains("herald_rechecks_total{outcome=\"published\"} 1\n"));
  CHECK(site.Stop() == 0);
}

TEST_CASE("recheck e2e: an unconfirmed post found later on Bluesky is published, across a restart, on SQLite",
          "[e2e][recheck_e2e]") {
  TempDir dir;
  RecordAppearsAfterARestart("sqlite", dir);
}

TEST_CASE("recheck e2e: an unconfirmed post found later on Bluesky is published, across a restart, on PostgreSQL",
          "[e2e][recheck_e2e]") {
  TempDir dir;
  RecordAppearsAfterARestart(herald::testing::FreshPostgresDatabase("herald_recheck"), dir);
}

}  // namespace
