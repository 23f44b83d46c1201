// POST /v1/posts/batch over real HTTP, and the CSV reader under it: per-line
// results, idempotency per line, all-or-nothing, CSV with quotes and line
// breaks, limits, roles and organisations.
#include <set>

#include "api/internal/batch.h"
#include "api/internal/csv.h"
#include "tests/api/api_fixture.h"

namespace herald::api::testing {
namespace {

using nlohmann::json;
using internal::BatchFormat;
using internal::ParseBatch;
using internal::ReadCsv;

Reply SendBatch(ApiFixture& f, const std::string& body, const std::string& query = "",
                const std::string& type = "application/x-ndjson", const char* token = kAcmeEditor,
                httplib::Headers headers = {}) {
  return f.Send("POST", "/v1/posts/batch" + query, token, body, type, std::move(headers));
}

std::vector<std::string> Outcomes(const json& results) {
  std::vector<std::string> out;
  for (const auto& r : results) out.push_back(r["outcome"].get<std::string>());
  return out;
}

std::string Line(const std::string& text, const std::string& extra = "") {
  return R"({"account":"acme-mastodon","text":")" + text + "\"" + extra + "}\n";
}

TEST_CASE("ReadCsv: quoted commas, quotes and line breaks, and records know their line") {
  auto r = ReadCsv("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\n\"two\nlines\",z\n");
  REQUIRE(r);
  REQUIRE(r->size() == 3);
  CHECK((*r)[0].fields == std::vector<std::string>{"a", "b"});
  CHECK((*r)[1].fields == std::vector<std::string>{"x, y", "say \"hi\""});
  CHECK((*r)[2].fields == std::vector<std::string>{"two\nlines", "z"});
  CHECK((*r)[2].line == 4);
  CHECK(ReadCsv("a,,\n")->front().fields == std::vector<std::string>{"a", "", ""});
}

TEST_CASE("ReadCsv: an unclosed quote and text after a closing quote name line and column") {
  auto open = ReadCsv("a,b\nc,\"never closed\n");
  REQUIRE_FALSE(open);
  CHECK(open.error().message() == "line 2, column 3: a quoted field is never closed");
  auto after = ReadCsv("\"ok\"x,y\n");
  REQUIRE_FALSE(after);
  CHECK(after.error().message().starts_with("line 1, column 5: text after a closing quote"));
}

TEST_CASE("ParseBatch: an unknown CSV column refuses the whole body, a short row is one bad line") {
  auto unknown = ParseBatch("account,txt\nacme-mastodon,hi\n", BatchFormat::kCsv);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().front().detail.find("unknown column \"txt\"") != std::string::npos);
  auto lines = ParseBatch("account,text\nacme-mastodon,hi\nacme-mastodon\n", BatchFormat::kCsv);
  REQUIRE(lines);
  REQUIRE(lines->size() == 2);
  CHECK(lines->at(0).request.has_value());
  CHECK_FALSE(lines->at(1).request.has_value());
  CHECK(lines->at(1).line == 3);
}

TEST_CASE("Batch: one result per line, in order, and a bad line does not stop the others", "[api][batch]") {
  ApiFixture f;
  size_t before = f.AcmePostCount();
  std::string body = Line("Spring menu is out") + "{\"account\": \n" + Line("RivalCorp is worse") +
                     Line("Opening hours", R"(,"colour":"red")") + Line("Summer menu soon");
  Reply r = SendBatch(f, body);
  REQUIRE(r.status == 200);
  json j = r.json();
  CHECK(Outcomes(j["results"]) == std::vector<std::string>{"created", "invalid", "refused", "invalid", "created"});
  CHECK(j["results"][1]["line"] == 2);
  CHECK(j["results"][2]["reasons"][0]["rule"] == "content.banned_term");
  CHECK(j["results"][3]["errors"][0]["pointer"] == "/colour");
  CHECK(j["counts"] == json{{"created", 2}, {"replayed", 0}, {"refused", 1}, {"invalid", 2}, {"failed", 0}});
  CHECK(f.AcmePostCount() == before + 3);  // the refused post is stored, as POST /v1/posts stores it
}

TEST_CASE("Batch: with an Idempotency-Key, sending the same batch again creates nothing", "[api][batch]") {
  ApiFixture f;
  std::string body = Line("One", R"(,"id":"p1")") + Line("Two", R"(,"id":7)") + Line("Three");
  httplib::Headers key{{"Idempotency-Key", "import-2026-03-10"}};
  Reply first = SendBatch(f, body, "", "application/x-ndjson", kAcmeEditor, key);
  REQUIRE(first.status == 200);
  CHECK(first.json()["counts"]["created"] == 3);
  CHECK(first.json()["results"][0]["id"] == "p1");
  size_t count = f.AcmePostCount();
  Reply again = SendBatch(f, body, "", "application/x-ndjson", kAcmeEditor, key);
  REQUIRE(again.status == 200);
  CHECK(Outcomes(again.json()["results"]) == std::vector<std::string>{"replayed", "replayed", "replayed"});
  for (int i = 0; i < 3; ++i) CHECK(again.json()["results"][i]["post"] == first.json()["results"][i]["post"]);
  CHECK(f.AcmePostCount() == count);
  // A line whose content changed under the same id is a conflict for that line only.
  Reply changed = SendBatch(f, Line("One, edited", R"(,"id":"p1")") + Line("Four"), "", "application/x-ndjson",
                            kAcmeEditor, key);
  CHECK(Outcomes(changed.json()["results"]) == std::vector<std::string>{"invalid", "created"});
}

TEST_CASE("Batch: atomic=true creates all or nothing", "[api][batch]") {
  ApiFixture f;
  size_t before = f.AcmePostCount();
  std::string good = Line("Spring menu") + Line("Summer menu") + Line("Autumn menu");
  Reply refused = SendBatch(f, good + Line("RivalCorp is worse") + "not json\n", "?atomic=true");
  REQUIRE(refused.status == 422);
  json problem = refused.json();
  CHECK(problem["type"] == "urn:herald:problem:batch-refused");
  CHECK(Outcomes(problem["results"]) ==
        std::vector<std::string>{"accepted", "accepted", "accepted", "refused", "invalid"});
  CHECK(problem["results"][4]["line"] == 5);
  CHECK(f.AcmePostCount() == before);

  Reply ok = SendBatch(f, good, "?atomic=true");
  REQUIRE(ok.status == 200);
  CHECK(ok.json()["atomic"] == true);
  CHECK(ok.json()["counts"]["created"] == 3);
  CHECK(f.AcmePostCount() == before + 3);
}

TEST_CASE("Batch: CSV with a header row, quoted text and media", "[api][batch]") {
  ApiFixture f;
  std::string csv =
      "id,account,text,labels,media_url,media_alt\r\n"
      "a1,acme-mastodon,\"Hello, world \"\"today\"\"\nsecond line\",news launch,,\r\n"
      "a2,acme-bluesky,Picture day,,https://images.example/p.png,A red bicycle\r\n";
  Reply r = SendBatch(f, csv, "", "text/csv; charset=utf-8");
  INFO(r.body);
  REQUIRE(r.status == 200);
  json j = r.json();
  CHECK(j["counts"]["created"] == 2);
  json post = f.Get("/v1/posts/" + std::to_string(j["results"][0]["post"].get<int64_t>()), kAcmeEditor).json();
  CHECK(post["text"] == "Hello, world \"today\"\nsecond line");
  CHECK(post["labels"] == json::array({"news", "launch"}));
  json pic = f.Get("/v1/posts/" + std::to_string(j["results"][1]["post"].get<int64_t>()), kAcmeEditor).json();
  CHECK(pic["media"][0]["alt"] == "A red bicycle");
}

TEST_CASE("Batch: content types, parameters, roles, organisations and size", "[api][batch]") {
  ApiFixture f;
  CHECK(SendBatch(f, Line("x"), "", "text/plain").status == 415);
  CHECK(SendBatch(f, Line("x"), "?atomic=maybe").status == 400);
  CHECK(SendBatch(f, "\n\n").status == 400);
  CHECK(SendBatch(f, Line("x"), "", "application/x-ndjson", nullptr).status == 401);
  Reply viewer = SendBatch(f, Line("From a viewer"), "", "application/x-ndjson", kAcmeViewer);
  CHECK(Outcomes(viewer.json()["results"]) == std::vector<std::string>{"invalid"});
  Reply other = SendBatch(f, Line("Into acme from globex"), "", "application/x-ndjson", kGlobexAdmin);
  CHECK(Outcomes(other.json()["results"]) == std::vector<std::string>{"invalid"});
  CHECK(f.AcmePostCount() == 0);
  // Batches may be larger than a single post's body limit (64 KiB), up to theirs.
  std::string big;
  for (int i = 0; i < 300; ++i) big += Line("Line " + std::to_string(i) + std::string(400, 'x'));
  REQUIRE(big.size() > 64 * 1024);
  Reply large = SendBatch(f, big);
  INFO(large.body.substr(0, 600));
  CHECK(large.status == 200);
  CHECK(f.Post("/v1/posts", kAcmeEditor, json{{"account", "acme-mastodon"}, {"text", std::string(70 * 1024, 'y')}})
            .status == 413);
  std::string too_many;
  for (int i = 0; i < 1001; ++i) too_many += "{}\n";
  CHECK(SendBatch(f, too_many).status == 400);
}

}  // namespace
}  // namespace herald::api::testing
