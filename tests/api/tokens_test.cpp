#include "api/tokens.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdlib.h>

#include "api/internal/crypto.h"
#include "cli/token_command.h"

namespace {

using herald::Code;
using herald::api::TokenSet;
using herald::runtime::Role;

std::string TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "herald-tokens-XXXXXX").string();
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Entry(std::string name, std::string org, std::string role, std::string sha) {
  return "{\"name\":\"" + name + "\",\"organization\":\"" + org + "\",\"role\":\"" + role + "\",\"sha256\":\"" + sha +
         "\"}";
}

}  // namespace

TEST_CASE("Tokens verify by hash, and only the right token", "[api]") {
  std::string text = "{\"tokens\":[" + Entry("alice", "acme", "editor", herald::api::HashToken("secret-a")) + "," +
                     Entry("bob", "globex", "admin", herald::api::HashToken("secret-b")) + "]}";
  auto set = TokenSet::Parse(text, "tokens.json");
  REQUIRE(set);
  auto alice = set->Verify("secret-a");
  REQUIRE(alice);
  CHECK(alice->name == "alice");
  CHECK(alice->organization == "acme");
  CHECK(alice->role == Role::kEditor);
  auto bob = set->Verify("secret-b");
  REQUIRE(bob);
  CHECK(bob->role == Role::kAdmin);
  CHECK_FALSE(set->Verify("secret-c"));
  CHECK_FALSE(set->Verify(""));
  // The file never holds the token itself.
  CHECK_FALSE(set->Verify(herald::api::HashToken("secret-a")));
}

TEST_CASE("Tokens file errors name the entry", "[api]") {
  std::string good = herald::api::HashToken("x");
  struct Case {
    std::string text;
    std::string pointer;
  };
  auto c = GENERATE_COPY(values<Case>({
      {"{\"tokens\":[" + Entry("a", "acme", "boss", good) + "]}", "/tokens/0/role"},
      {"{\"tokens\":[" + Entry("a", "acme", "viewer", "abc") + "]}", "/tokens/0/sha256"},
      {"{\"tokens\":[" + Entry("a", "acme", "viewer", good) + "," + Entry("a", "acme", "admin", good) + "]}",
       "/tokens/1/name"},
      {"{\"tokens\":[{\"name\":\"a\",\"organization\":\"acme\",\"role\":\"viewer\"}]}", "/tokens/0"},
      {"{\"tokens\":[{\"name\":\"a\",\"organization\":\"acme\",\"role\":\"viewer\",\"sha256\":\"" + good +
           "\",\"token\":\"x\"}]}",
       "/tokens/0/token"},
      {"{\"tokens\":{}}", "/tokens"},
      {"{\"tokens\":[", ""},
      {"{\"tokens\":[{\"name\":3e7476022679}]}", ""},  // found by tests/fuzz: used to throw out of Parse
  }));
  auto set = TokenSet::Parse(c.text, "t.json");
  REQUIRE_FALSE(set);
  CHECK(set.error().code() == Code::kInvalidArgument);
  CHECK(set.error().where().file == "t.json");
  CHECK(set.error().where().path == c.pointer);
}

TEST_CASE("Same name in another organisation is allowed", "[api]") {
  std::string h = herald::api::HashToken("x");
  auto set = TokenSet::Parse("{\"tokens\":[" + Entry("a", "acme", "viewer", h) + "," + Entry("a", "globex", "viewer", h) +
                                 "]}",
                             "t.json");
  CHECK(set);
}

TEST_CASE("Generated tokens are hrld_ and 32 random bytes", "[api]") {
  auto a = herald::api::GenerateToken();
  auto b = herald::api::GenerateToken();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->starts_with("hrld_"));
  CHECK(a->size() == 5 + 43);
  CHECK(*a != *b);
  auto bytes = herald::api::internal::Base64UrlDecode(a->substr(5));
  REQUIRE(bytes);
  CHECK(bytes->size() == 32);
}

TEST_CASE("Base64url round trips and rejects foreign characters", "[api]") {
  using herald::api::internal::Base64UrlDecode;
  using herald::api::internal::Base64UrlEncode;
  for (std::string s : {"", "1", "12", "123", "1234", "\xff\xfe\x00", "hello world"}) {
    auto back = Base64UrlDecode(Base64UrlEncode(s));
    REQUIRE(back);
    CHECK(*back == s);
  }
  CHECK_FALSE(Base64UrlDecode("a+b/"));
  CHECK_FALSE(Base64UrlDecode("MQ=="));
  CHECK_FALSE(Base64UrlDecode("M"));
  CHECK_FALSE(Base64UrlDecode("MR"));  // stray low bits: not a canonical encoding
}

TEST_CASE("herald token add prints the token once and stores only its hash", "[api]") {
  std::string dir = TempDir();
  std::string path = dir + "/tokens.json";
  herald::cli::TokenAddOptions options{.organization = "acme", .role = "editor", .name = "alice", .tokens = path};
  std::ostringstream out, err;
  REQUIRE(herald::cli::RunTokenAdd(options, out, err) == 0);
  std::string token = out.str();
  REQUIRE(token.ends_with("\n"));
  token.pop_back();
  CHECK(token.starts_with("hrld_"));
  CHECK(token.find('\n') == std::string::npos);

  std::string file = ReadFile(path);
  CHECK(file.find(token) == std::string::npos);
  CHECK(file.find(herald::api::HashToken(token)) != std::string::npos);
  auto set = TokenSet::Load(path);
  REQUIRE(set);
  auto caller = set->Verify(token);
  REQUIRE(caller);
  CHECK(caller->name == "alice");
  CHECK(caller->role == Role::kEditor);

  SECTION("a second token is appended") {
    options.name = "bob";
    options.role = "manager";
    std::ostringstream out2, err2;
    REQUIRE(herald::cli::RunTokenAdd(options, out2, err2) == 0);
    auto again = TokenSet::Load(path);
    REQUIRE(again);
    CHECK(again->records().size() == 2);
    CHECK(again->Verify(token));
  }
  SECTION("a duplicate name in the organisation exits 1 and changes nothing") {
    std::ostringstream out2, err2;
    CHECK(herald::cli::RunTokenAdd(options, out2, err2) == 1);
    CHECK(out2.str().empty());
    CHECK(err2.str().find("alice") != std::string::npos);
    CHECK(ReadFile(path) == file);
  }
  SECTION("usage errors exit 2") {
    auto bad = GENERATE(values<std::pair<std::string, std::string>>({{"role", "owner"}, {"name", ""}, {"org", "a b"}}));
    auto o = options;
    o.name = "carol";
    if (bad.first == "role") o.role = bad.second;
    if (bad.first == "name") o.name = bad.second;
    if (bad.first == "org") o.organization = bad.second;
    std::ostringstream out2, err2;
    CHECK(herald::cli::RunTokenAdd(o, out2, err2) == 2);
    CHECK(out2.str().empty());
    CHECK(ReadFile(path) == file);
  }
  SECTION("a corrupt tokens file exits 1 and is left alone") {
    std::ofstream(path) << "{not json";
    std::ostringstream out2, err2;
    options.name = "dave";
    CHECK(herald::cli::RunTokenAdd(options, out2, err2) == 1);
    CHECK(ReadFile(path) == "{not json");
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("token add keeps the mode of the tokens file it replaces", "[api]") {
  std::string dir = TempDir();
  std::string path = dir + "/tokens.json";
  namespace fs = std::filesystem;
  SECTION("a new file is private") {
    REQUIRE(herald::api::AddToken(path, "acme", Role::kEditor, "alice"));
    CHECK(fs::status(path).permissions() == (fs::perms::owner_read | fs::perms::owner_write));
  }
  SECTION("a packaged 0644 file stays readable by the daemon's user") {
    std::ofstream(path) << R"({"tokens": []})";
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
    REQUIRE(herald::api::AddToken(path, "acme", Role::kEditor, "alice"));
    REQUIRE(herald::api::AddToken(path, "acme", Role::kViewer, "victor"));
    CHECK(fs::status(path).permissions() ==
          (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read));
    auto set = TokenSet::Load(path);
    REQUIRE(set);
    CHECK(set->records().size() == 2);
  }
  fs::remove_all(dir);
}

TEST_CASE("The example tokens file matches examples/TOKENS.md", "[api]") {
  auto set = TokenSet::Load(std::string(HERALD_SOURCE_DIR) + "/examples/tokens.json");
  REQUIRE(set);
  for (auto [token, org, role] : {std::tuple{"hrld_example_acme_admin", "acme", Role::kAdmin},
                                  std::tuple{"hrld_example_acme_viewer", "acme", Role::kViewer},
                                  std::tuple{"hrld_example_globex_admin", "globex", Role::kAdmin}}) {
    auto caller = set->Verify(token);
    REQUIRE(caller);
    CHECK(caller->organization == org);
    CHECK(caller->role == role);
  }
}
