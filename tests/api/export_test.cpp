// Exports of posts and audit over real HTTP: every item once, in id order,
// across pages, as JSON lines and as CSV; filters; organisations walled off;
// and ExportWorkers' limits and back-pressure with a scripted stream.
#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "api/internal/endpoints.h"
#include "api/internal/export_format.h"
#include "api/internal/export_workers.h"
#include "tests/api/api_fixture.h"

namespace herald::api::testing {
namespace {

using nlohmann::json;
using internal::CsvField;
using internal::EventStream;
using internal::ExportWorkers;

std::vector<std::string> Lines(const std::string& body) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    REQUIRE(end != std::string::npos);  // every line ends in a newline
    out.push_back(body.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// RFC 4180, as a spreadsheet reads it: rows of fields.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, in_quotes = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += text[++i];
      else if (c == '"') in_quotes = false;
      else field += c;
    } else if (c == '"' && field.empty() && !quoted) {
      in_quotes = quoted = true;
    } else if (c == ',') {
      rows.back().push_back(std::exchange(field, ""));
      quoted = false;
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(std::exchange(field, ""));
      quoted = false;
      ++i;
      if (i + 1 < text.size()) rows.emplace_back();
    } else {
      field += c;
    }
  }
  return rows;
}

TEST_CASE("CsvField quotes what needs it and defuses formulas") {
  CHECK(CsvField("plain") == "plain");
  CHECK(CsvField("a,b") == "\"a,b\"");
  CHECK(CsvField("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(CsvField("two\nlines") == "\"two\nlines\"");
  CHECK(CsvField("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"");
  CHECK(CsvField("+1") == "'+1");
  CHECK(CsvField("-1") == "'-1");
  CHECK(CsvField("@sum") == "'@sum");
  CHECK(CsvField("") == "");
}

TEST_CASE("Export: every post once, in id order, as JSON lines and as CSV, across pages", "[api][export]") {
  ApiFixture f;
  std::set<int64_t> created;
  for (int i = 0; i < 450; ++i) {
    std::string text = i == 7 ? "=HYPERLINK(\"http://evil.example\")" : "Post " + std::to_string(i) + ", with \"quotes\"";
    Reply r = f.Post("/v1/posts", kAcmeEditor, {{"account", "acme-mastodon"}, {"text", text}});
    REQUIRE((r.status == 201 || r.status == 422));  // refused posts are stored too
    created.insert(r.json().contains("post") ? r.json()["post"]["id"].get<int64_t>() : r.json()["id"].get<int64_t>());
  }
  REQUIRE(created.size() == 450);

  Reply jsonl = f.Get("/v1/export/posts", kAcmeViewer);
  REQUIRE(jsonl.status == 200);
  CHECK(jsonl.content_type == "application/x-ndjson");
  CHECK(jsonl.header("Content-Disposition") == "attachment; filename=\"herald-posts.jsonl\"");
  std::vector<int64_t> ids;
  for (const auto& line : Lines(jsonl.body)) ids.push_back(json::parse(line)["id"].get<int64_t>());
  CHECK(ids.size() == 450);
  CHECK(std::is_sorted(ids.begin(), ids.end()));
  CHECK(std::set<int64_t>(ids.begin(), ids.end()) == created);

  Reply csv = f.Get("/v1/export/posts?format=csv", kAcmeViewer);
  REQUIRE(csv.status == 200);
  CHECK(csv.content_type.starts_with("text/csv"));
  auto rows = ParseCsv(csv.body);
  REQUIRE(rows.size() == 451);
  CHECK(rows[0][0] == "id");
  CHECK(rows[0].size() == 15);
  size_t text_column = std::find(rows[0].begin(), rows[0].end(), "text") - rows[0].begin();
  int defused = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    REQUIRE(rows[i].size() == 15);
    CHECK(created.count(std::stoll(rows[i][0])) == 1);
    if (rows[i][text_column] == "'=HYPERLINK(\"http://evil.example\")") ++defused;
    else CHECK(rows[i][text_column].ends_with(", with \"quotes\""));
  }
  CHECK(defused == 1);

  // Filters, and another organisation sees none of acme's posts.
  CHECK(f.Get("/v1/export/posts?state=published", kAcmeViewer).body.empty());
  CHECK(Lines(f.Get("/v1/export/posts?state=refused", kAcmeViewer).body).size() ==
        450 - Lines(f.Get("/v1/export/posts?state=scheduled", kAcmeViewer).body).size() -
            Lines(f.Get("/v1/export/posts?state=pending_approval", kAcmeViewer).body).size());
  Reply other = f.Get("/v1/export/posts", kGlobexAdmin);
  CHECK(other.status == 200);
  CHECK(other.body.find("acme-mastodon") == std::string::npos);
  CHECK(ParseCsv(f.Get("/v1/export/posts?format=csv", kGlobexAdmin).body).size() == 1);  // the header only
}

TEST_CASE("Export: bad parameters name themselves, and no token is 401", "[api][export]") {
  ApiFixture f;
  Reply bad = f.Get("/v1/export/posts?format=xml&colour=red", kAcmeViewer);
  CHECK(bad.status == 400);
  INFO(bad.body);
  std::set<std::string> named;
  const json problem = bad.json();
  for (const auto& e : problem["errors"]) named.insert(e["parameter"].get<std::string>());
  CHECK(named == std::set<std::string>{"format", "colour"});
  CHECK(f.Get("/v1/export/posts", nullptr).status == 401);
  CHECK(f.Get("/v1/export/audit", nullptr).status == 401);
  CHECK(f.Get("/v1/export/audit?post=abc", kAcmeViewer).status == 400);
}

TEST_CASE("Export: the audit of one post, and another organisation's post is unknown", "[api][export]") {
  ApiFixture f;
  int64_t id = f.Create(kAcmeEditor, {{"text", "Audit me"}});
  REQUIRE(f.Post("/v1/posts/" + std::to_string(id) + "/cancel", kAcmeManager, json::object()).status == 200);
  Reply audit = f.Get("/v1/export/audit?post=" + std::to_string(id), kAcmeViewer);
  REQUIRE(audit.status == 200);
  std::vector<std::string> actions;
  for (const auto& line : Lines(audit.body)) {
    json e = json::parse(line);
    CHECK(e["post"] == id);
    actions.push_back(e["action"].get<std::string>());
  }
  CHECK(std::find(actions.begin(), actions.end(), "create") != actions.end());
  CHECK(std::find(actions.begin(), actions.end(), "cancel") != actions.end());
  auto rows = ParseCsv(f.Get("/v1/export/audit?format=csv&post=" + std::to_string(id), kAcmeViewer).body);
  CHECK(rows.size() == actions.size() + 1);
  CHECK(f.Get("/v1/export/audit?post=" + std::to_string(id), kGlobexAdmin).status == 404);
}

// A stream whose client reads only when told to.
class ScriptedStream : public EventStream {
 public:
  bool Send(std::string bytes) override {
    std::lock_guard lock(mu);
    if (gone) return false;
    unsent += bytes.size();
    received += bytes;
    return true;
  }
  void Close() override { closed = true; }
  size_t Unsent() const override {
    std::lock_guard lock(mu);
    return unsent;
  }
  void ReadAll() {
    std::lock_guard lock(mu);
    unsent = 0;
  }
  mutable std::mutex mu;
  size_t unsent = 0;
  bool gone = false;
  std::string received;
  std::atomic<bool> closed{false};
};

TEST_CASE("ExportWorkers: at most four at once, and a producer waits for a slow reader", "[api][export]") {
  ExportWorkers workers;
  for (int i = 0; i < ExportWorkers::kMaxRunning; ++i) CHECK(workers.TryReserve());
  CHECK_FALSE(workers.TryReserve());
  workers.Release();

  auto stream = std::make_shared<ScriptedStream>();
  std::atomic<int> produced{0};
  workers.Run(stream, [&]() -> Result<std::optional<std::string>> {
    if (produced == 10) return std::optional<std::string>();
    ++produced;
    return std::optional<std::string>(std::string(100 * 1024, 'x'));  // 100 KiB a page
  });
  // 256 KiB unread stops it after the third page until the client reads.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(produced == 3);
  CHECK_FALSE(stream->closed);
  for (int i = 0; i < 200 && !stream->closed; ++i) {
    stream->ReadAll();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(stream->closed);
  CHECK(produced == 10);
  CHECK(stream->received.ends_with("0\r\n\r\n"));  // the last chunk: the export is whole
}

TEST_CASE("ExportWorkers: an error cuts the body short, without the last chunk", "[api][export]") {
  ExportWorkers workers;
  REQUIRE(workers.TryReserve());
  auto stream = std::make_shared<ScriptedStream>();
  bool first = true;
  workers.Run(stream, [&]() -> Result<std::optional<std::string>> {
    if (std::exchange(first, false)) return std::optional<std::string>("row\n");
    return Error(Code::kUnavailable, "the store went away");
  });
  for (int i = 0; i < 200 && !stream->closed; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(stream->closed);
  CHECK(stream->received == "4\r\nrow\n\r\n");
}

}  // namespace
}  // namespace herald::api::testing
