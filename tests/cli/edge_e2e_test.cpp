// End-to-end: the daemon's edge. A second `herald serve` on an address in use
// stops before it opens anything; the `limits:` section reaches the API; a
// client trickling its request head is cut off at the configured deadline
// while others are served.
#include <catch2/catch.hpp>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/daemon.h"
#include "tests/support/process.h"

namespace {

using namespace std::chrono;
using herald::testing::Daemon;
using herald::testing::TempDir;
using herald::testing::WriteFile;
using nlohmann::json;

const char* kPolicy = R"(version: 1
organization: acme
timezone: UTC
accounts:
  list:
    - { id: acme-blog, platform: file, connector: { type: file } }
frequency:
  default:
    min_spacing: 0s
  max_delay: 48h
approval: { required: false }
)";

struct Env {
  explicit Env(const std::string& listen = "127.0.0.1:0", const std::string& extra = "") {
    WriteFile(dir / "policies/acme.yaml", kPolicy);
    auto r = herald::testing::RunProcess({HERALD_BINARY, "token", "add", "--org", "acme", "--role", "editor",
                                          "--name", "alice", "--tokens", dir / "tokens.json"});
    REQUIRE(r.exit_code == 0);
    token = r.out.substr(0, r.out.find('\n'));
    WriteFile(dir / "herald.yaml", "listen: " + listen + "\nstorage: sqlite:" + (dir / "db/h.db") +
                                       "\npolicies: " + (dir / "policies") + "\ntokens: " + (dir / "tokens.json") +
                                       "\noutbox: " + (dir / "outbox") + "\nlog: { level: info, format: text }\n" +
                                       extra);
  }
  std::unique_ptr<Daemon> Start() {
    return std::make_unique<Daemon>(HERALD_BINARY, dir / "herald.yaml", dir.path(), dir / "herald.log");
  }
  httplib::Headers Auth() const { return {{"Authorization", "Bearer " + token}}; }
  TempDir dir;
  std::string token;
};

}  // namespace

TEST_CASE("serve: a second daemon on an address in use exits and touches nothing", "[e2e][edge]") {
  Env first;
  auto daemon = first.Start();
  Env second("127.0.0.1:" + std::to_string(daemon->port()));
  auto r = herald::testing::RunProcess({HERALD_BINARY, "serve", "--config", second.dir / "herald.yaml"},
                                       second.dir.path());
  INFO(r.err);
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("address already in use") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(second.dir / "db"));
  CHECK_FALSE(std::filesystem::exists(second.dir / "outbox"));
  CHECK(r.out.find("listening") == std::string::npos);
  // The first daemon answers every request itself.
  httplib::Client c("127.0.0.1", daemon->port());
  for (int i = 0; i < 20; ++i) {
    auto posts = c.Get("/v1/posts", first.Auth());
    REQUIRE(posts);
    CHECK(posts->status == 200);
  }
  CHECK(daemon->Terminate() == 0);
}

TEST_CASE("serve: the limits section bounds what a post may carry", "[e2e][edge][limits]") {
  Env env("127.0.0.1:0", "limits: { horizon: 7d, max_text: 100 }\n");
  auto daemon = env.Start();
  httplib::Client c("127.0.0.1", daemon->port());
  auto too_far = c.Post("/v1/posts", env.Auth(),
                        json{{"account", "acme-blog"}, {"text", "x"}, {"at", "2099-01-01T00:00:00Z"}}.dump(),
                        "application/json");
  REQUIRE(too_far);
  INFO(too_far->body);
  CHECK(too_far->status == 400);
  CHECK(json::parse(too_far->body)["errors"][0]["pointer"] == "/at");
  auto too_long = c.Post("/v1/posts", env.Auth(), json{{"account", "acme-blog"}, {"text", std::string(101, 'x')}}.dump(),
                         "application/json");
  REQUIRE(too_long);
  CHECK(too_long->status == 400);
  CHECK(json::parse(too_long->body)["errors"][0]["pointer"] == "/text");
  auto fine = c.Post("/v1/posts", env.Auth(), json{{"account", "acme-blog"}, {"text", std::string(100, 'x')}}.dump(),
                     "application/json");
  REQUIRE(fine);
  CHECK(fine->status == 201);
  CHECK(daemon->Terminate() == 0);
}

TEST_CASE("serve: a trickling client is closed at the request deadline while others are served",
          "[e2e][edge]") {
  Env env("127.0.0.1:0", "limits: { request_timeout: 1s }\n");
  auto daemon = env.Start();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(daemon->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  auto opened = steady_clock::now();
  std::string line = "GET /healthz HTTP/1.1\r\n";
  ::send(fd, line.data(), line.size(), MSG_NOSIGNAL);
  httplib::Client c("127.0.0.1", daemon->port());
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {
    line = "X-Slow-" + std::to_string(i) + ": 1\r\n";
    ::send(fd, line.data(), line.size(), MSG_NOSIGNAL);
    auto health = c.Get("/healthz");  // paces the loop, and must be answered meanwhile
    REQUIRE(health);
    CHECK(health->status == 200);
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char buf[256];
      closed = ::recv(fd, buf, sizeof buf, 0) <= 0;
    }
  }
  auto lived = steady_clock::now() - opened;
  ::close(fd);
  CHECK(closed);
  CHECK(lived >= milliseconds(900));
  CHECK(lived < seconds(4));
  CHECK(daemon->Terminate() == 0);
}
