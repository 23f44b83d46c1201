// End-to-end: `herald config check` on the shipped configs, on a broken config
// (every error with its position) and on usage errors; `herald --version`.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/daemon.h"
#include "tests/support/process.h"

namespace {

using herald::testing::ProcessResult;
using herald::testing::RunProcess;
using herald::testing::TempDir;
using herald::testing::WriteFile;

ProcessResult ConfigCheck(const std::string& file) {
  return RunProcess({HERALD_BINARY, "config", "check", file}, HERALD_SOURCE_DIR);
}

TEST_CASE("config check accepts the example and packaged configs", "[config][e2e]") {
  SECTION("the embedded default") {
    auto result = ConfigCheck("examples/herald.yaml");
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.err.empty());
    CHECK(result.out ==
          "examples/herald.yaml: ok: listen 127.0.0.1:8080, storage sqlite:var/herald.db, policies examples/policies, "
          "tokens examples/tokens.json, outbox var/outbox\n");
  }
  SECTION("the real-connector example") {
    auto result = ConfigCheck("examples/connectors/herald.yaml");
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out.starts_with("examples/connectors/herald.yaml: ok: listen 127.0.0.1:8080, storage sqlite:var/connectors.db, "
                                 "policies examples/connectors/policies, "));
  }
  SECTION("the Debian package's /etc/herald/herald.yaml") {
    auto result = ConfigCheck("packaging/herald.yaml");
    INFO(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out ==
          "packaging/herald.yaml: ok: listen 127.0.0.1:8080, storage sqlite:/var/lib/herald/herald.db, policies "
          "/etc/herald/policies, tokens /etc/herald/tokens.json, outbox /var/lib/herald/outbox\n");
  }
}

TEST_CASE("config check reports every error of a broken config with its position", "[config][e2e]") {
  TempDir dir;
  WriteFile(dir / "herald.yaml",
            "listen: 127.0.0.1:80800\n"
            "storage: mysql://db\n"
            "log: { level: loud }\n"
            "max_accounts: { acme: 0 }\n"
            "shutdown_grace: 0s\n"
            "lease: 1s\n"
            "recheck: [5m, 1m]\n"
            "polcies: /etc/herald/policies\n");
  auto result = RunProcess({HERALD_BINARY, "config", "check", dir / "herald.yaml"});
  CHECK(result.exit_code == 1);
  CHECK(result.out.empty());
  const std::string f = dir / "herald.yaml";
  CHECK(result.err == f + ":1:9: listen: port \"80800\" is not a number from 0 to 65535\n" +
                          f + ":2:10: storage: unknown storage \"mysql://db\"; use sqlite:PATH or postgresql://USER@HOST/DB\n" +
                          f + ":3:15: log.level: unknown level \"loud\"; use trace|debug|info|warn|error\n" +
                          f + ":4:23: max_accounts.acme: must be at least 1\n" +
                          f + ":5:17: shutdown_grace: must be longer than 0s\n" +
                          f + ":6:8: lease: must be at least 3s (it is renewed every lease/5 over the network), got 1s\n" +
                          f + ":7:15: recheck[1]: must be longer than the check before it (5m): each age counts from "
                              "when the post became unconfirmed\n" +
                          f + ":8:1: polcies: unknown key \"polcies\"; expected one of: listen, storage, policies, tokens, "
                              "outbox, max_accounts, log, shutdown_grace, policy_poll, lease, limits, media_allow, recheck, engagement, token_keys, oauth, inbox, events\n");
}

TEST_CASE("config check tells a file it cannot read from an invalid one", "[config][e2e]") {
  SECTION("no such file") {
    auto result = ConfigCheck("examples/nonesuch.yaml");
    CHECK(result.exit_code == 2);
    CHECK(result.err == "herald config check: examples/nonesuch.yaml: no such file\n");
  }
  SECTION("a directory") {
    auto result = ConfigCheck("examples");
    CHECK(result.exit_code == 2);
    CHECK(result.err == "herald config check: examples: is a directory, not a file\n");
  }
  SECTION("no file named") {
    auto result = RunProcess({HERALD_BINARY, "config", "check"});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("file is required") != std::string::npos);
  }
}

TEST_CASE("herald --version prints the version and the commit it was built from", "[version][e2e]") {
  auto result = RunProcess({HERALD_BINARY, "--version"});
  CHECK(result.exit_code == 0);
  INFO(result.out);
  CHECK(std::regex_match(result.out, std::regex(R"(herald \d+\.\d+\.\d+ \(commit ([0-9a-f]{12}(-dirty)?|unknown)\)\n)")));
  // Built from a git work tree (a clone, as CI builds), the commit is known.
  if (std::filesystem::exists(std::string(HERALD_SOURCE_DIR) + "/.git")) {
    CHECK(result.out.find("(commit unknown)") == std::string::npos);
  }
}

}  // namespace
