// Bluesky facets against the official client: tests/facets/corpus.json holds
// what @atproto/api's RichText.detectFacets produced for each text (generated
// by tests/facets/generate_corpus.mjs, never written by hand), and herald's
// detector, with mentions resolved from the same handle table, must produce
// exactly those facets, byte offsets included.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "connectors/bluesky/rich_text.h"

namespace herald::connectors {
namespace {

using nlohmann::json;

json Load() {
  std::ifstream in(std::string(HERALD_SOURCE_DIR) + "/tests/facets/corpus.json");
  REQUIRE(in.good());
  return json::parse(in);
}

// The facets as app.bsky.richtext.facet records; a mention whose handle is not
// in `handles` is dropped, as the connector drops an unresolvable one.
json AsRecords(const std::vector<RichTextFacet>& facets, const json& handles) {
  json out = json::array();
  for (const auto& f : facets) {
    json feature;
    switch (f.kind) {
      case RichTextFacet::Kind::kMention:
        if (!handles.contains(f.value)) continue;
        feature = {{"$type", "app.bsky.richtext.facet#mention"}, {"did", handles[f.value]}};
        break;
      case RichTextFacet::Kind::kLink:
        feature = {{"$type", "app.bsky.richtext.facet#link"}, {"uri", f.value}};
        break;
      case RichTextFacet::Kind::kTag:
        feature = {{"$type", "app.bsky.richtext.facet#tag"}, {"tag", f.value}};
        break;
    }
    json facet = {{"index", {{"byteStart", f.byte_start}, {"byteEnd", f.byte_end}}}, {"features", {feature}}};
    if (f.kind == RichTextFacet::Kind::kMention) facet["$type"] = "app.bsky.richtext.facet";
    out.push_back(facet);
  }
  return out;
}

TEST_CASE("Bluesky facets equal the official client's over the corpus", "[bluesky][facets]") {
  json corpus = Load();
  REQUIRE(corpus["cases"].size() >= 40);
  size_t facets = 0;
  for (const auto& c : corpus["cases"]) {
    const std::string text = c["text"];
    INFO(text);
    CHECK(AsRecords(DetectRichTextFacets(text), corpus["handles"]).dump(2) == c["facets"].dump(2));
    facets += c["facets"].size();
  }
  CHECK(facets >= 60);
}

TEST_CASE("Bluesky facets keep a balanced parenthesis and mark mentions, tags and bare domains", "[bluesky][facets]") {
  auto f = DetectRichTextFacets("https://en.wikipedia.org/wiki/Bracket_(disambiguation) @bob.test #fête example.com");
  REQUIRE(f.size() == 4);
  CHECK(f[0].value == "https://en.wikipedia.org/wiki/Bracket_(disambiguation)");
  CHECK(f[0].byte_end == 54);
  CHECK(f[1].kind == RichTextFacet::Kind::kMention);
  CHECK(f[1].value == "bob.test");
  CHECK(f[2].kind == RichTextFacet::Kind::kTag);
  CHECK(f[2].value == "fête");
  CHECK(f[2].byte_end - f[2].byte_start == 6);  // '#' and "fête" (ê is two bytes)
  CHECK(f[3].value == "https://example.com");
}

// The official client left "httpbin.org" without a scheme (it only asks
// whether the text starts with "http"), and a PDS refused the whole post:
// "Invalid uri (got \"httpbin.org\") at $.record.facets[0].features[0].uri".
TEST_CASE("Bluesky facets give a bare domain that begins with http a scheme", "[bluesky][facets]") {
  auto f = DetectRichTextFacets("httpbin.org and httpfoo.invalid and http://x.test/y");
  REQUIRE(f.size() == 2);
  CHECK(f[0].value == "https://httpbin.org");
  CHECK(f[0].byte_start == 0);
  CHECK(f[0].byte_end == 11);
  CHECK(f[1].value == "http://x.test/y");
}

TEST_CASE("Bluesky facets survive text that is not UTF-8", "[bluesky][facets]") {
  std::string text = "bad \xC3 byte https://example.com/\xFF #tag";
  auto f = DetectRichTextFacets(text);
  REQUIRE(f.size() == 2);
  CHECK(text.substr(f[0].byte_start, f[0].byte_end - f[0].byte_start) == "https://example.com/\xFF");
  CHECK(text.substr(f[1].byte_start) == "#tag");
}

}  // namespace
}  // namespace herald::connectors
