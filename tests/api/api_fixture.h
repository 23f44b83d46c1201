// A real HttpServer on a loopback port in front of the real Service and a
// SQLite store in a temporary folder, with the example policies and tokens and
// a clock that stands still. One per test case; not thread-safe itself, but
// its client may be copied per thread.
#pragma once

#include <httplib.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "api/http_server.h"
#include "api/tokens.h"
#include "core/time.h"
#include "policies/loader.h"
#include "scheduler/runtime/service.h"
#include "storage/store.h"

namespace herald::api::testing {

inline constexpr const char* kAcmeAdmin = "hrld_example_acme_admin";
inline constexpr const char* kAcmeManager = "hrld_example_acme_manager";
inline constexpr const char* kAcmeEditor = "hrld_example_acme_editor";
inline constexpr const char* kAcmeEditor2 = "hrld_example_acme_editor2";
inline constexpr const char* kAcmeViewer = "hrld_example_acme_viewer";
inline constexpr const char* kGlobexAdmin = "hrld_example_globex_admin";

class FixedClock : public Clock {
 public:
  explicit FixedClock(Instant now) : now_(now) {}
  Instant Now() const override { return now_; }

 private:
  Instant now_;
};

inline std::string ReadSource(const std::string& relative) {
  std::ifstream in(std::string(HERALD_SOURCE_DIR) + "/" + relative);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
  httplib::Headers headers;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
  std::string header(const char* name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class ApiFixture {
 public:
  // Tuesday 2026-03-10, 10:00 in New York, 15:00 in Berlin: acme may post.
  static constexpr const char* kNow = "2026-03-10T14:00:00Z";

  // `wrap` may put a decorator around the real store (to inject failures).
  using StoreWrapper = std::function<std::unique_ptr<storage::Store>(std::unique_ptr<storage::Store>)>;
  explicit ApiFixture(StoreWrapper wrap = {}) : clock_(*ParseRfc3339(kNow)) {
    std::string pattern = (std::filesystem::temp_directory_path() / "herald-api-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
    auto store = storage::OpenStore("sqlite:" + dir_ + "/h.db");
    REQUIRE(store);
    store_ = std::move(*store);
    if (wrap) store_ = wrap(std::move(store_));
    std::vector<policies::Policy> policies;
    for (const char* file : {"examples/policies/acme.yaml", "examples/connectors/policies/globex.yaml"}) {
      auto p = policies::LoadPolicy(ReadSource(file), file);
      REQUIRE(p);
      policies.push_back(std::move(*p));
    }
    service_ = std::make_unique<runtime::Service>(*store_, clock_, std::move(policies), [] {});
    REQUIRE(service_->Start());
    service_->Heartbeat(clock_.Now());
    auto tokens = TokenSet::Parse(ReadSource("examples/tokens.json"), "examples/tokens.json");
    REQUIRE(tokens);
    HttpServerOptions options;
    options.log_error = [this](std::string_view line) {
      std::lock_guard lock(log_mu_);
      logged_.emplace_back(line);
    };
    server_ = std::make_unique<HttpServer>(*service_, std::move(*tokens), options);
    REQUIRE(server_->Start());
    REQUIRE(server_->port() > 0);
  }

  ~ApiFixture() {
    server_.reset();
    service_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  runtime::Service& service() { return *service_; }
  HttpServer& server() { return *server_; }
  int port() const { return server_->port(); }
  // What the server reported through HttpServerOptions::log_error.
  std::vector<std::string> logged() {
    std::lock_guard lock(log_mu_);
    return logged_;
  }

  Reply Send(const std::string& method, const std::string& path, const char* token, const std::string& body = "",
             const std::string& content_type = "application/json", httplib::Headers headers = {}) {
    httplib::Client client("127.0.0.1", port());
    client.set_read_timeout(10, 0);
    if (token) headers.emplace("Authorization", std::string("Bearer ") + token);
    httplib::Result r{nullptr, httplib::Error::Unknown};
    if (method == "GET") r = client.Get(path, headers);
    else if (method == "POST") r = client.Post(path, headers, body, content_type);
    else if (method == "PATCH") r = client.Patch(path, headers, body, content_type);
    else if (method == "PUT") r = client.Put(path, headers, body, content_type);
    else if (method == "DELETE") r = client.Delete(path, headers);
    REQUIRE(r);
    Reply reply{r->status, r->get_header_value("Content-Type"), r->body, r->headers};
    return reply;
  }
  Reply Get(const std::string& path, const char* token) { return Send("GET", path, token); }
  Reply Post(const std::string& path, const char* token, const nlohmann::json& body) {
    return Send("POST", path, token, body.dump());
  }
  Reply Patch(const std::string& path, const char* token, const nlohmann::json& body) {
    return Send("PATCH", path, token, body.dump());
  }

  // Creates a post as `token` and returns its id. REQUIRES: it is accepted (201).
  int64_t Create(const char* token, nlohmann::json body) {
    if (!body.contains("account")) body["account"] = "acme-mastodon";
    Reply r = Post("/v1/posts", token, body);
    INFO(r.body);
    REQUIRE(r.status == 201);
    return r.json()["id"].get<int64_t>();
  }

  // Every post acme has, as acme's admin sees them.
  size_t AcmePostCount() {
    Reply r = Get("/v1/posts?limit=200", kAcmeAdmin);
    REQUIRE(r.status == 200);
    return r.json()["items"].size();
  }

 private:
  std::string dir_;
  FixedClock clock_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<runtime::Service> service_;
  std::mutex log_mu_;
  std::vector<std::string> logged_;  // guarded by log_mu_
  std::unique_ptr<HttpServer> server_;
};

}  // namespace herald::api::testing
