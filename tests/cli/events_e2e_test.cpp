// End-to-end: the real daemon tells a loopback receiver of its organisation's
// events, signed as Standard Webhooks (verified here with OpenSSL, apart from
// herald's signing code): a published post is delivered once; a receiver
// answering 500 then gets it on a later attempt, also across a kill -9 of the
// daemon, and never twice; a 401 from the platform is
// account.credentials_broken; a receiver that never answers does not delay
// publishing; the events API answers only the caller's organisation; an
// internal address is refused by `herald policy check`.
#include <catch2/catch.hpp>
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "core/time.h"
#include "tests/connectors/fakes/mastodon_fake.h"
#include "tests/support/daemon.h"
#include "tests/support/fake_server.h"
#include "tests/support/process.h"

namespace {

using namespace std::chrono;
using herald::testing::Daemon;
using herald::testing::FakeServer;
using herald::testing::Fault;
using herald::testing::RecordedRequest;
using herald::testing::TempDir;
using herald::testing::WriteFile;
using nlohmann::json;

// A Standard Webhooks test secret: "whsec_" and 24 random bytes in base64.
const std::string kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

std::string Base64(const unsigned char* bytes, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

// The spec's verification: v1,base64(HMAC-SHA256(base64decode(secret minus
// "whsec_"), "{id}.{timestamp}.{body}")).
std::string ExpectedSignature(const RecordedRequest& r) {
  std::string b64 = kSecret.substr(6);
  std::string key(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  REQUIRE(n == 24);  // no padding in this secret
  key.resize(static_cast<size_t>(n));
  std::string content = r.Header("webhook-id") + "." + r.Header("webhook-timestamp") + "." + r.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
       content.size(), mac, &len);
  return "v1," + Base64(mac, len);
}

// A receiver on loopback: every POST /hook answered 204 unless a fault says otherwise.
struct Receiver {
  Receiver() {
    fake.server().Post("/hook", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
    fake.Start();
  }
  std::string url() const { return "http://localhost:" + std::to_string(fake.port()) + "/hook"; }
  std::vector<RecordedRequest> Of(const std::string& type) const {
    std::vector<RecordedRequest> out;
    for (const auto& r : fake.Requests()) {
      if (r.body.empty()) continue;  // faulted: no body read
      if (json::parse(r.body)["type"] == type) out.push_back(r);
    }
    return out;
  }
  FakeServer fake;
};

std::string AddToken(const TempDir& dir, const std::string& org, const std::string& role, const std::string& name) {
  auto r = herald::testing::RunProcess({HERALD_BINARY, "token", "add", "--org", org, "--role", role, "--name", name,
                                        "--tokens", dir / "tokens.json"});
  REQUIRE(r.exit_code == 0);
  return r.out.substr(0, r.out.find('\n'));
}

struct Env {
  Env(const std::string& receiver_url, const std::string& mastodon_url, const std::string& mastodon_token = "mastodon-token") {
    WriteFile(dir / "secrets/token", mastodon_token + "\n");
    WriteFile(dir / "secrets/events", kSecret + "\n");
    WriteFile(dir / "policies/acme.yaml", R"(version: 1
organization: acme
timezone: UTC
accounts:
  list:
    - id: acme-toot
      platform: mastodon
      connector:
        base_url: )" + mastodon_url + R"(
        token: file:)" + (dir / "secrets/token") + R"(
frequency:
  default:
    min_spacing: 0s
  max_delay: 48h
  missed_after: 30m
approval: { required: false }
events:
  - url: )" + receiver_url + R"(
    secret: file:)" + (dir / "secrets/events") + R"(
    types: [post.published, post.failed, account.credentials_broken]
)");
    token = AddToken(dir, "acme", "admin", "ada");
    viewer = AddToken(dir, "acme", "viewer", "vic");
    other = AddToken(dir, "globex", "admin", "gus");
    WriteFile(dir / "herald.yaml", "listen: 127.0.0.1:0\nstorage: sqlite:" + (dir / "h.db") + "\npolicies: " +
                                       (dir / "policies") + "\ntokens: " + (dir / "tokens.json") + "\noutbox: " +
                                       (dir / "outbox") + "\nlog: { level: info, format: text }\n" +
                                       "media_allow: [localhost]\nengagement: { enabled: false }\n");
    Start();
  }
  void Start() {
    daemon = std::make_unique<Daemon>(HERALD_BINARY, dir / "herald.yaml", dir.path(), dir / "herald.log");
    http = std::make_unique<httplib::Client>("127.0.0.1", daemon->port());
    http->set_read_timeout(5, 0);
  }
  httplib::Headers Auth(const std::string& bearer) const { return {{"Authorization", "Bearer " + bearer}}; }
  int64_t Create(const std::string& text, herald::Instant at) {
    json body = {{"account", "acme-toot"}, {"text", text}, {"at", herald::FormatRfc3339(at)}};
    auto r = http->Post("/v1/posts", Auth(token), body.dump(), "application/json");
    REQUIRE(r);
    INFO(r->body);
    REQUIRE(r->status == 201);
    return json::parse(r->body)["id"].get<int64_t>();
  }
  json Get(const std::string& path, const std::string& bearer) {
    auto r = http->Get(path, Auth(bearer));
    REQUIRE(r);
    INFO(path << ": " << r->body);
    REQUIRE(r->status == 200);
    return json::parse(r->body);
  }
  json WaitFor(const std::string& path, const std::function<bool(const json&)>& done, milliseconds limit = 20s) {
    json last;
    for (auto until = steady_clock::now() + limit; steady_clock::now() < until;) {
      last = Get(path, token);
      if (done(last)) return last;
      std::this_thread::sleep_for(100ms);
    }
    INFO(last.dump());
    FAIL("timed out waiting on " << path);
    return last;
  }

  TempDir dir;
  std::string token, viewer, other;
  std::unique_ptr<Daemon> daemon;
  std::unique_ptr<httplib::Client> http;
};

bool AllDelivered(const json& page, size_t n) {
  if (page["items"].size() != n) return false;
  for (const auto& d : page["items"])
    if (d["state"] != "delivered") return false;
  return true;
}

TEST_CASE("events e2e: a published post is delivered once and signed, 500 then 204 across a kill -9", "[e2e][events_e2e]") {
  Receiver receiver;
  herald::testing::MastodonFake mastodon;
  Env env(receiver.url(), mastodon.base_url());
  receiver.fake.FailNext(Fault{.status = 500, .body = "{}", .path_contains = "/hook"});
  int64_t id = env.Create("hello subscribers", floor<seconds>(system_clock::now()) + seconds{1});

  // The first attempt gets the 500: the daemon dies before the next one.
  for (auto until = steady_clock::now() + 20s; receiver.fake.Count("/hook") < 1 && steady_clock::now() < until;) {
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(receiver.fake.Count("/hook") == 1);
  // Killed once the 500 is stored: the delivery waits for its next attempt.
  // (Killed while an attempt is under way, it waits for the claim to run out.)
  env.WaitFor("/v1/events/deliveries", [](const json& p) {
    return p["items"].size() == 1 && p["items"][0]["attempts"] == 1 && p["items"][0]["state"] == "pending";
  });
  env.daemon->Kill();
  env.Start();
  json deliveries = env.WaitFor("/v1/events/deliveries", [](const json& p) { return AllDelivered(p, 1); });
  const json& d = deliveries["items"][0];
  CHECK(d["type"] == "post.published");
  CHECK(d["attempts"] == 2);
  CHECK(d["last_status"] == 204);
  CHECK(d["url"] == receiver.url());

  auto published = receiver.Of("post.published");
  REQUIRE(published.size() == 1);  // delivered once: the 500 was the only other request
  CHECK(receiver.fake.Count("/hook") == 2);
  const RecordedRequest& r = published[0];
  CHECK(r.Header("webhook-id") == d["event_id"]);
  CHECK(r.Header("webhook-signature") == ExpectedSignature(r));
  CHECK(r.Header("Content-Type") == "application/json");
  const int64_t ts = std::stoll(r.Header("webhook-timestamp"));
  CHECK(std::abs(ts - duration_cast<seconds>(system_clock::now().time_since_epoch()).count()) < 60);
  json body = json::parse(r.body);
  CHECK(body["data"]["post"]["id"] == id);
  CHECK(body["data"]["post"]["state"] == "published");
  CHECK(body["data"]["organization"] == "acme");

  // Nothing more arrives: one delivery per transition.
  std::this_thread::sleep_for(1500ms);
  CHECK(receiver.fake.Count("/hook") == 2);

  // /metrics counts deliveries in aggregate (this process: the one after the restart).
  {
    auto m = env.http->Get("/metrics", env.Auth(env.viewer));
    REQUIRE(m);
    CHECK(m->body.find("herald_event_deliveries_total{outcome=\"delivered\"} 1") != std::string::npos);
    CHECK(m->body.find("herald_event_deliveries_pending 0") != std::string::npos);
  }
  // The events API answers the caller's organisation only.
  {
    json events = env.Get("/v1/events?type=post.published", env.viewer);
    REQUIRE(events["items"].size() == 1);
    CHECK(events["items"][0]["id"] == d["event_id"]);
    CHECK(events["items"][0]["data"]["post"]["id"] == id);
    CHECK(env.Get("/v1/events?type=post.scheduled&limit=1", env.token)["items"].size() == 1);
    CHECK(env.Get("/v1/events", env.other)["items"].empty());
    CHECK(env.Get("/v1/events/deliveries", env.other)["items"].empty());
    const std::string retry = "/v1/events/deliveries/" + std::to_string(d["id"].get<int64_t>()) + "/retry";
    auto stranger = env.http->Post(retry, env.Auth(env.other), "", "application/json");
    REQUIRE(stranger);
    CHECK(stranger->status == 404);
    auto viewer = env.http->Post(retry, env.Auth(env.viewer), "", "application/json");
    REQUIRE(viewer);
    CHECK(viewer->status == 403);
    for (const std::string& path : {"/v1/events", "/v1/events/deliveries"}) {
      auto anonymous = env.http->Get(path);
      REQUIRE(anonymous);
      CHECK(anonymous->status == 401);
    }
    auto anonymous = env.http->Post(retry, "", "application/json");
    REQUIRE(anonymous);
    CHECK(anonymous->status == 401);
    for (const std::string& bad : {"/v1/events?type=post.deleted", "/v1/events?since=yesterday",
                                   "/v1/events?limit=0", "/v1/events/deliveries?state=sent", "/v1/events?colour=red"}) {
      auto r400 = env.http->Get(bad, env.Auth(env.token));
      REQUIRE(r400);
      INFO(bad << ": " << r400->body);
      CHECK(r400->status == 400);
      std::string parameter = bad.substr(bad.find('?') + 1);
      parameter = parameter.substr(0, parameter.find('='));
      CHECK(r400->body.find("\"" + parameter + "\"") != std::string::npos);
    }
    // A manager asks for it again: delivered again, with the same webhook-id.
    auto again = env.http->Post(retry, env.Auth(env.token), "", "application/json");
    REQUIRE(again);
    INFO(again->body);
    CHECK(again->status == 200);
    env.WaitFor("/v1/events/deliveries", [](const json& p) { return AllDelivered(p, 1) && p["items"][0]["attempts"] == 1; });
    auto twice = receiver.Of("post.published");
    REQUIRE(twice.size() == 2);
    CHECK(twice[1].Header("webhook-id") == twice[0].Header("webhook-id"));
  }
}

TEST_CASE("events e2e: a 401 from the platform is account.credentials_broken", "[e2e][events_e2e]") {
  Receiver receiver;
  herald::testing::MastodonFake mastodon;
  Env env(receiver.url(), mastodon.base_url(), "a-revoked-token");
  env.Create("nobody will read this", floor<seconds>(system_clock::now()) + seconds{1});
  env.WaitFor("/v1/events/deliveries", [](const json& p) { return AllDelivered(p, 2); });
  auto broken = receiver.Of("account.credentials_broken");
  REQUIRE(broken.size() == 1);
  json data = json::parse(broken[0].body)["data"];
  CHECK(data["account"] == "acme-toot");
  CHECK(data["http_status"] == 401);
  CHECK(data["action"].get<std::string>().starts_with("reconnect this account"));
  CHECK(broken[0].Header("webhook-signature") == ExpectedSignature(broken[0]));
  CHECK(receiver.Of("post.failed").size() == 1);
}

TEST_CASE("events e2e: a receiver that never answers does not delay publishing", "[e2e][events_e2e]") {
  Receiver receiver;
  herald::testing::MastodonFake mastodon;
  // Longer than the daemon's read timeout for events (10 s).
  receiver.fake.FailNext(Fault{.status = 200, .delay = 11s, .path_contains = "/hook"}, 4);
  Env env(receiver.url(), mastodon.base_url());
  auto start = floor<seconds>(system_clock::now());
  std::vector<int64_t> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(env.Create("post " + std::to_string(i), start + seconds{1 + i}));
  for (size_t i = 0; i < ids.size(); ++i) {
    json p = env.WaitFor("/v1/posts/" + std::to_string(ids[i]), [](const json& p) { return p["state"] == "published"; });
    auto planned = herald::ParseRfc3339(p["planned_at"].get<std::string>());
    auto at = herald::ParseRfc3339(p["published_at"].get<std::string>());
    REQUIRE(planned);
    REQUIRE(at);
    INFO("post " << i);
    CHECK(*at - *planned <= seconds{1});
  }
  CHECK(receiver.fake.Count("/hook") >= 1);  // deliveries were hanging meanwhile
  json pending = env.Get("/v1/events/deliveries?state=delivered", env.token);
  CHECK(pending["items"].size() < 4);
}

TEST_CASE("events e2e: policy check refuses an internal address for a subscription", "[e2e][events_e2e]") {
  TempDir dir;
  WriteFile(dir / "acme.yaml", R"(version: 1
organization: acme
accounts:
  list:
    - id: acme-toot
      platform: mastodon
      connector: { type: file }
events:
  - url: http://10.0.0.7/hook
    secret: env:HERALD_EVENTS_SECRET
    types: [post.published, post.exploded]
)");
  auto r = herald::testing::RunProcess({HERALD_BINARY, "policy", "check", dir / "acme.yaml"});
  CHECK(r.exit_code == 1);
  INFO(r.out << r.err);
  const std::string all = r.out + r.err;
  CHECK(all.find("acme.yaml:9:10: events[0].url: refused: 10.0.0.7 is a ") != std::string::npos);
  CHECK(all.find("acme.yaml:11:29: events[0].types[1]: unknown event type \"post.exploded\"") != std::string::npos);
}

}  // namespace
