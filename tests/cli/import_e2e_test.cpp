// End-to-end: `herald import` sends a CSV and a JSON-lines file to a running
// daemon and prints one result per line; the same file again creates nothing;
// --atomic creates nothing when a line would be refused; the token comes from
// the environment only.
#include <catch2/catch.hpp>
#include <httplib.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/daemon.h"
#include "tests/support/process.h"

namespace {

using herald::testing::Daemon;
using herald::testing::RunProcess;
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
content:
  banned_terms: ["RivalCorp"]
approval: { required: false }
)";

size_t PostCount(int port, const std::string& token) {
  httplib::Client c("127.0.0.1", port);
  auto r = c.Get("/v1/posts?limit=500", {{"Authorization", "Bearer " + token}});
  REQUIRE(r);
  return json::parse(r->body)["items"].size();
}

}  // namespace

TEST_CASE("import: a CSV and a JSON-lines file, one result per line, and no post twice", "[e2e][import]") {
  TempDir dir;
  WriteFile(dir / "policies/acme.yaml", kPolicy);
  auto t = RunProcess({HERALD_BINARY, "token", "add", "--org", "acme", "--role", "editor", "--name", "alice",
                       "--tokens", dir / "tokens.json"});
  REQUIRE(t.exit_code == 0);
  std::string token = t.out.substr(0, t.out.find('\n'));
  WriteFile(dir / "herald.yaml", "listen: 127.0.0.1:0\nstorage: sqlite:" + (dir / "h.db") + "\npolicies: " +
                                     (dir / "policies") + "\ntokens: " + (dir / "tokens.json") + "\noutbox: " +
                                     (dir / "outbox") + "\nlog: { level: info, format: text }\n");
  Daemon daemon(HERALD_BINARY, dir / "herald.yaml", dir.path(), dir / "herald.log");
  const std::string url = "http://127.0.0.1:" + std::to_string(daemon.port());

  WriteFile(dir / "spring.csv",
            "account,text,labels\r\nacme-blog,\"Spring menu, with \"\"new\"\" dishes\",news\r\n"
            "acme-blog,Opening hours,\r\n");
  // Without the token in the environment, nothing is sent.
  ::unsetenv("HERALD_TOKEN");
  auto missing = RunProcess({HERALD_BINARY, "import", dir / "spring.csv", "--url", url});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("HERALD_TOKEN") != std::string::npos);
  CHECK(PostCount(daemon.port(), token) == 0);

  ::setenv("HERALD_TOKEN", token.c_str(), 1);
  auto first = RunProcess({HERALD_BINARY, "import", dir / "spring.csv", "--url", url});
  INFO(first.out << first.err);
  CHECK(first.exit_code == 0);
  CHECK(first.out.find("spring.csv:2: created post 1") != std::string::npos);
  CHECK(first.out.find("spring.csv:3: created post 2") != std::string::npos);
  CHECK(first.out.find(token) == std::string::npos);
  CHECK(PostCount(daemon.port(), token) == 2);

  auto again = RunProcess({HERALD_BINARY, "import", dir / "spring.csv", "--url", url});
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("spring.csv:2: replayed post 1") != std::string::npos);
  CHECK(PostCount(daemon.port(), token) == 2);

  WriteFile(dir / "summer.jsonl",
            "{\"id\":\"s1\",\"account\":\"acme-blog\",\"text\":\"Summer menu\"}\n"
            "{\"id\":\"s2\",\"account\":\"acme-blog\",\"text\":\"RivalCorp is worse\"}\n");
  auto atomic = RunProcess({HERALD_BINARY, "import", dir / "summer.jsonl", "--url", url, "--atomic"});
  CHECK(atomic.exit_code == 1);
  CHECK(atomic.out.find("summer.jsonl:1: accepted") != std::string::npos);
  CHECK(atomic.out.find("summer.jsonl:2: refused") != std::string::npos);
  CHECK(atomic.out.find("nothing was created") != std::string::npos);
  CHECK(PostCount(daemon.port(), token) == 2);

  auto some = RunProcess({HERALD_BINARY, "import", dir / "summer.jsonl", "--url", url});
  CHECK(some.exit_code == 1);  // one line was refused
  CHECK(some.out.find("summer.jsonl:1: created") != std::string::npos);
  CHECK(PostCount(daemon.port(), token) == 4);  // the refused post is stored, as a single create stores it
  ::unsetenv("HERALD_TOKEN");
}
