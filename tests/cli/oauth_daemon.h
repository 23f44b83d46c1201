// What the OAuth end-to-end tests of each platform share: a real `herald
// serve` in a temporary folder with a token key, the given policies and
// `oauth:` section, tokens for an acme editor (alice), an acme manager (mona)
// and a globex manager (gina), and the API calls a connect takes. Every
// answer is kept, to be searched for secrets at the end. Not thread-safe.
#pragma once

#include <catch2/catch.hpp>
#include <httplib.h>

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/time.h"
#include "tests/connectors/fakes/x_oauth_fake.h"
#include "tests/support/daemon.h"
#include "tests/support/process.h"

namespace herald::testing {

inline const std::string kOAuthRedirect = "https://herald.example.org/v1/oauth/callback";

// A policy of `organization` with one account on `platform`, its connector
// settings `connector` (YAML lines indented by 8), approved by a second person.
inline std::string OAuthPolicy(const std::string& organization, const std::string& account,
                               const std::string& platform, const std::string& connector) {
  return "version: 1\norganization: " + organization + "\ntimezone: UTC\naccounts:\n  list:\n    - id: " + account +
         "\n      platform: " + platform + "\n      connector:\n" + connector +
         "frequency:\n  default:\n    min_spacing: 0s\n  max_delay: 48h\n  missed_after: 30m\n"
         "approval: { required: true, approvers: [manager], four_eyes: true }\n";
}

class OAuthDaemon {
 public:
  // `policies`: file name -> text. `oauth`: the server config's oauth section,
  // from "oauth:" on; "$DIR" in it stands for the daemon's folder. `storage`:
  // the store (default: SQLite in the folder). `files`: more files written
  // into the folder first (path relative to it -> text), secrets say.
  OAuthDaemon(const std::map<std::string, std::string>& policies, const std::string& oauth,
              std::string storage = "", const std::map<std::string, std::string>& files = {}) {
    WriteFile(dir / "secrets/token-key", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
    for (const auto& [name, text] : files) WriteFile(dir / name, text);
    for (const auto& [name, text] : policies) WriteFile(dir / ("policies/" + name), text);
    for (auto [org, role, name] : {std::tuple{"acme", "editor", "alice"}, {"acme", "manager", "mona"},
                                   {"globex", "manager", "gina"}}) {
      auto r = RunProcess({HERALD_BINARY, "token", "add", "--org", org, "--role", role, "--name", name, "--tokens",
                           dir / "tokens.json"});
      REQUIRE(r.exit_code == 0);
      tokens[name] = r.out.substr(0, r.out.find('\n'));
    }
    std::string section = oauth;
    for (size_t at = section.find("$DIR"); at != std::string::npos; at = section.find("$DIR", at))
      section.replace(at, 4, dir.path());
    if (storage.empty()) storage = "sqlite:" + (dir / "h.db");
    WriteFile(dir / "herald.yaml", "listen: 127.0.0.1:0\nstorage: " + storage + "\npolicies: " + (dir / "policies") +
                                       "\ntokens: " + (dir / "tokens.json") + "\noutbox: " + (dir / "outbox") +
                                       "\nlog: { level: info, format: json }\nshutdown_grace: 5s\n" +
                                       "token_keys:\n  current: k1\n  keys:\n    k1: file:" +
                                       (dir / "secrets/token-key") + "\n" + section);
    Restart("herald.log");
  }

  // A new daemon on the same folder and store, logging to `log`.
  void Restart(const std::string& log) {
    daemon.reset();
    daemon = std::make_unique<Daemon>(HERALD_BINARY, dir / "herald.yaml", dir.path(), dir / log);
    http = std::make_unique<httplib::Client>("127.0.0.1", daemon->port());
    http->set_read_timeout(10, 0);
    logs.push_back(log);
  }

  // Another daemon on the same config and store, logging to `log`.
  std::unique_ptr<Daemon> StartAnother(const std::string& log) {
    logs.push_back(log);
    return std::make_unique<Daemon>(HERALD_BINARY, dir / "herald.yaml", dir.path(), dir / log);
  }

  httplib::Headers Auth(const std::string& who) const { return {{"Authorization", "Bearer " + tokens.at(who)}}; }

  httplib::Result Keep(httplib::Result r) {
    REQUIRE(r);
    answers.push_back(r->body);
    for (const auto& [name, value] : r->headers) answers.push_back(name + ": " + value);
    return r;
  }

  httplib::Result StartConnect(const std::string& account, const std::string& who) {
    httplib::Headers headers = who.empty() ? httplib::Headers{} : Auth(who);
    return Keep(http->Post("/v1/accounts/" + account + "/connect", headers, "", "application/json"));
  }

  // The authorization URL a manager's connect returns. REQUIRES: it succeeds.
  std::string AuthorizationUrl(const std::string& account, const std::string& who) {
    auto started = StartConnect(account, who);
    INFO(started->body);
    REQUIRE(started->status == 200);
    return nlohmann::json::parse(started->body)["authorization_url"].get<std::string>();
  }

  // The platform's redirect back to herald; `accept`: the browser's Accept.
  httplib::Result Callback(std::map<std::string, std::string> query, const std::string& accept = "") {
    query.erase("redirect_to");
    httplib::Params params(query.begin(), query.end());
    httplib::Headers headers;
    if (!accept.empty()) headers.emplace("Accept", accept);
    return Keep(http->Get("/v1/oauth/callback", params, headers));
  }

  // `herald account connect ACCOUNT` on this daemon's config, as someone
  // without the console runs it: the authorization URL it prints (the line
  // starting with `url_prefix`) is answered by the fake's authorize page, the
  // callback comes back to the daemon, and the command must end with 0 once
  // the account is connected. Returns what it printed (kept, to be searched
  // for secrets).
  std::string ConnectWithCli(const std::string& account, const std::string& url_prefix) {
    std::string command = std::string(HERALD_BINARY) + " account connect " + account + " --config '" +
                          (dir / "herald.yaml") + "' 2>'" + (dir / "connect.err") + "'";
    FILE* cli = popen(command.c_str(), "r");
    REQUIRE(cli != nullptr);
    std::string printed, url;
    char line[4096];
    while (url.empty() && fgets(line, sizeof line, cli) != nullptr) {
      printed += line;
      std::string text = line;
      if (text.starts_with(url_prefix)) url = text.substr(0, text.find('\n'));
    }
    INFO(printed << ReadFileOr(dir / "connect.err"));
    if (url.empty()) pclose(cli);
    REQUIRE_FALSE(url.empty());
    auto done = Callback(XOAuthFake::Authorize(url));
    INFO(done->body);
    CHECK(done->status == 200);
    while (fgets(line, sizeof line, cli) != nullptr) printed += line;
    int status = pclose(cli);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK_THAT(printed, Catch::Contains("account " + account + " connected"));
    answers.push_back(printed);
    return printed;
  }

  nlohmann::json Account(const std::string& id, const std::string& who = "mona") {
    auto r = Keep(http->Get("/v1/accounts", Auth(who)));
    const nlohmann::json page = nlohmann::json::parse(r->body);
    for (const auto& a : page["items"])
      if (a["id"] == id) return a;
    FAIL("no account " << id << " in " << r->body);
    return {};
  }

  std::string Metrics() { return Keep(http->Get("/metrics", Auth("mona")))->body; }

  int64_t CreateAndApprove(const std::string& account, const std::string& text) {
    using namespace std::chrono;
    nlohmann::json body = {{"account", account}, {"text", text},
                           {"at", FormatRfc3339(floor<seconds>(system_clock::now()) + seconds{2})}};
    auto created = Keep(http->Post("/v1/posts", Auth("alice"), body.dump(), "application/json"));
    INFO(created->body);
    REQUIRE(created->status == 201);
    int64_t id = nlohmann::json::parse(created->body)["id"].get<int64_t>();
    auto approved = Keep(http->Post("/v1/posts/" + std::to_string(id) + "/approve", Auth("mona"), "", "application/json"));
    INFO(approved->body);
    REQUIRE(approved->status == 200);
    return id;
  }

  nlohmann::json Post(int64_t id) {
    return nlohmann::json::parse(Keep(http->Get("/v1/posts/" + std::to_string(id), Auth("mona")))->body);
  }

  // Polls `done` every 100 ms for up to `limit`.
  template <class F>
  static bool WaitFor(F done, std::chrono::milliseconds limit) {
    for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;
         std::this_thread::sleep_for(std::chrono::milliseconds{100}))
      if (done()) return true;
    return done();
  }

  // None of `secrets` in any kept answer or in the daemons' logs.
  void ExpectAbsent(const std::vector<std::string>& secrets) {
    std::string log;
    for (const auto& name : logs) log += ReadFileOr(dir / name);
    REQUIRE_FALSE(log.empty());
    for (const auto& secret : secrets) {
      INFO("secret " << secret.substr(0, 8) << "...");
      CHECK(log.find(secret) == std::string::npos);
      for (const auto& a : answers) CHECK(a.find(secret) == std::string::npos);
    }
  }

  TempDir dir;
  std::map<std::string, std::string> tokens;
  std::unique_ptr<Daemon> daemon;
  std::unique_ptr<httplib::Client> http;
  std::vector<std::string> answers;
  std::vector<std::string> logs;
};

}  // namespace herald::testing
