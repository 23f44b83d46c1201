// End-to-end: `herald simulate` through the real binary, on the example policy.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/process.h"

namespace {

using herald::testing::RunProcess;
using nlohmann::json;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A posts file in a fresh temporary folder, removed at scope exit.
class PostsFile {
 public:
  explicit PostsFile(const std::string& content) {
    char tmpl[] = "/tmp/herald-sim-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/posts.jsonl";
    std::ofstream(path_) << content;
  }
  ~PostsFile() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
};

herald::testing::ProcessResult Simulate(const std::string& posts, const std::string& format = "json",
                                        const std::string& policy = "examples/policies/acme.yaml") {
  return RunProcess({HERALD_BINARY, "simulate", "--policy", policy, "--posts", posts, "--format", format},
                    HERALD_SOURCE_DIR);
}

TEST_CASE("simulate plans the example posts, and every deferral has reasons", "[simulate][e2e]") {
  auto r = Simulate("examples/posts.jsonl");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto in_lines = Lines([] {
    std::ifstream in(std::string(HERALD_SOURCE_DIR) + "/examples/posts.jsonl");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }());
  auto out_lines = Lines(r.out);
  REQUIRE(out_lines.size() == in_lines.size());
  int deferred = 0, refused = 0;
  for (size_t i = 0; i < out_lines.size(); ++i) {
    json in = json::parse(in_lines[i]);
    json out = json::parse(out_lines[i]);
    INFO(out_lines[i]);
    CHECK(out["id"] == in["id"]);  // input order
    CHECK(out["account"] == in["account"]);
    for (const char* key : {"id", "account", "requested_at", "planned_at", "state", "reasons"}) CHECK(out.contains(key));
    CHECK(out.size() == 6);
    if (out["state"] == "refused") {
      ++refused;
      CHECK(out["planned_at"].is_null());
      CHECK_FALSE(out["reasons"].empty());
    } else {
      REQUIRE(out["state"] == "scheduled");
      if (out["planned_at"] != out["requested_at"]) {
        ++deferred;
        CHECK_FALSE(out["reasons"].empty());
      }
    }
  }
  CHECK(deferred > 0);
  CHECK(refused > 0);
}

TEST_CASE("simulate orders placement by priority, then requested time, then id", "[simulate][e2e]") {
  // acme-bluesky (New York; 1 per 2h, 45m spacing): the urgent post requested last
  // is placed first and still counts, then the normal posts by time and id.
  PostsFile posts(
      R"({"id": 10, "account": "acme-bluesky", "text": "Normal ten #acme", "at": "2026-12-01T10:00:00-05:00"})"
      "\n"
      R"({"id": 9, "account": "acme-bluesky", "text": "Normal nine #acme", "at": "2026-12-01T10:00:00-05:00"})"
      "\n"
      R"({"id": 11, "account": "acme-bluesky", "text": "Urgent #acme", "at": "2026-12-01T10:30:00-05:00", "priority": "urgent"})"
      "\n");
  auto r = Simulate(posts.path());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto lines = Lines(r.out);
  REQUIRE(lines.size() == 3);
  json ten = json::parse(lines[0]), nine = json::parse(lines[1]), urgent = json::parse(lines[2]);
  CHECK(urgent["planned_at"] == "2026-12-01T15:30:00Z");
  CHECK(nine["planned_at"] == "2026-12-01T17:30:00Z");  // 2h after the urgent post
  CHECK(ten["planned_at"] == "2026-12-01T19:30:00Z");   // 2h after post 9

  CHECK_FALSE(ten["reasons"].empty());
}

TEST_CASE("simulate reports bad lines with their number and plans the others", "[simulate][e2e]") {
  PostsFile posts(
      R"({"id": "a", "account": "acme-bluesky", "text": "Fine #acme", "at": "2026-12-01T10:00:00-05:00"})"
      "\n"
      "{not json\n"
      R"({"id": "c", "account": "nobody", "text": "x", "at": "2026-12-01T10:00:00Z"})"
      "\n"
      R"({"id": "d", "account": "acme-bluesky", "text": "x", "at": "2026-12-01T10:00:00"})"
      "\n"
      R"({"id": "e", "account": "acme-bluesky", "text": "x", "at": "2026-12-01T10:00:00Z", "colour": "red"})"
      "\n"
      R"({"id": "f", "account": "acme-bluesky", "text": "Also fine #acme", "at": "2026-12-02T10:00:00-05:00"})"
      "\n");
  auto r = Simulate(posts.path());
  CHECK(r.exit_code == 1);
  auto err = Lines(r.err);
  REQUIRE(err.size() == 4);
  CHECK(err[0] == posts.path() + ":2: not valid JSON; each line must be one JSON object");
  CHECK(err[1] == posts.path() + ":3: account: unknown account \"nobody\" (not in acme's policy)");
  CHECK(err[2] == posts.path() +
                      ":4: /at: time \"2026-12-01T10:00:00\" has no UTC offset; add Z or an offset such as +01:00");
  CHECK(err[3] == posts.path() +
                      ":5: /colour: unknown field \"colour\"; expected id, account, text, at, labels, priority, media");
  auto out = Lines(r.out);
  REQUIRE(out.size() == 6);
  CHECK(json::parse(out[0])["state"] == "scheduled");
  CHECK(json::parse(out[1])["state"] == "invalid");
  CHECK(json::parse(out[1])["id"].is_null());
  CHECK(json::parse(out[2])["id"] == "c");
  CHECK(json::parse(out[3])["state"] == "invalid");
  CHECK(json::parse(out[5])["state"] == "scheduled");
}

TEST_CASE("simulate text output names the planned local time and the reasons", "[simulate][e2e]") {
  PostsFile posts(
      R"({"id": "late", "account": "acme-bluesky", "text": "Evening news #acme", "at": "2026-12-01T22:00:00-05:00"})"
      "\n"
      R"({"id": "rival", "account": "acme-bluesky", "text": "Better than RivalCorp!", "at": "2026-12-01T10:00:00-05:00"})"
      "\n");
  auto r = Simulate(posts.path(), "text");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto lines = Lines(r.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "late  acme-bluesky  2026-12-02T08:00:00-05:00  scheduled  deferred 10h: quiet_hours 21:00-08:00");
  CHECK(lines[1].find("rival  acme-bluesky  -  refused  refused: content.banned_term: \"RivalCorp\"") == 0);
}

TEST_CASE("simulate usage errors exit 2, a broken policy exits 1 with positions", "[simulate][e2e]") {
  auto missing = RunProcess({HERALD_BINARY, "simulate", "--posts", "examples/posts.jsonl"}, HERALD_SOURCE_DIR);
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("--policy") != std::string::npos);
  auto unreadable = Simulate("/nonexistent/posts.jsonl");
  CHECK(unreadable.exit_code == 2);
  CHECK(unreadable.err == "herald simulate: cannot read posts file /nonexistent/posts.jsonl\n");
  auto format = Simulate("examples/posts.jsonl", "xml");
  CHECK(format.exit_code == 2);

  PostsFile policy("version: 1\norganization: broken\ntimezone: Mars/Olympus\naccounts: { list: [] }\n");
  auto broken = Simulate("examples/posts.jsonl", "json", policy.path());
  CHECK(broken.exit_code == 1);
  CHECK(broken.err.find(policy.path() + ":3:11: timezone: ") == 0);
}

TEST_CASE("every command has --help", "[cli][e2e]") {
  for (auto args : std::vector<std::vector<std::string>>{
           {"--help"}, {"policy", "--help"}, {"policy", "check", "--help"}, {"simulate", "--help"}}) {
    std::vector<std::string> argv{HERALD_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunProcess(argv);
    INFO(args.front());
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Usage:") != std::string::npos);
  }
  auto none = RunProcess({HERALD_BINARY});
  CHECK(none.exit_code == 2);
}

}  // namespace

namespace {

TEST_CASE("simulate shows a post's images with their alt text", "[simulate][e2e]") {
  PostsFile posts(
      R"({"id": "m1", "account": "acme-mastodon", "text": "Our new office", "at": "2026-03-02T10:00:00-05:00", "media": [{"url": "https://cdn.example.com/office.jpg", "alt": "A bright open-plan office"}]})"
      "\n"
      R"({"id": "m2", "account": "acme-mastodon", "text": "No picture", "at": "2026-03-03T10:00:00-05:00"})"
      "\n");
  auto json_run = Simulate(posts.path());
  INFO(json_run.err);
  REQUIRE(json_run.exit_code == 0);
  auto lines = Lines(json_run.out);
  REQUIRE(lines.size() == 2);
  json first = json::parse(lines[0]);
  REQUIRE(first["media"].is_array());
  CHECK(first["media"][0]["url"] == "https://cdn.example.com/office.jpg");
  CHECK(first["media"][0]["alt"] == "A bright open-plan office");
  CHECK_FALSE(json::parse(lines[1]).contains("media"));
  auto text_run = Simulate(posts.path(), "text");
  REQUIRE(text_run.exit_code == 0);
  CHECK(Lines(text_run.out)[0].find("[image https://cdn.example.com/office.jpg alt=\"A bright open-plan office\"]") !=
        std::string::npos);
}

}  // namespace
