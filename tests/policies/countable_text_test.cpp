// What a platform counts, where it is not the text as written: Mastodon's
// remote mentions count their local part only, X's bare domains weigh as URLs.
#include "policies/internal/countable_text.h"

#include <catch2/catch.hpp>

#include "policies/content.h"

namespace herald::policies {
namespace {

using U = LengthUnit;

size_t Counted(std::string_view platform, const std::string& text) {
  const LengthRule& rule = FindPreset(platform)->length.at(0);
  auto countable = internal::CountableText(text, rule);
  return CountLength(countable ? *countable : text, rule.unit, rule.url_weight);
}

TEST_CASE("Mastodon counts a remote mention as its local part", "[content][mastodon]") {
  CHECK(Counted("mastodon", "hi @alice@example.social!") == std::string("hi @alice!").size());
  CHECK(Counted("mastodon", "@bob@mastodon.example.org") == 4);
  CHECK(Counted("mastodon", "@bob") == 4);                     // a local mention as written
  CHECK(Counted("mastodon", "mail me@example.org") == 19);     // an address is no mention
  CHECK(Counted("mastodon", "see /@bob@example.org") == 21);   // nor a path
  CHECK(Counted("mastodon", "@bob.@example.org") == 17);   // "bob." is no username to attach a domain to
  // 500 graphemes of text, and a mention whose domain would push it over.
  std::string text(494, 'a');
  text += " @ann@a-very-long-instance-name.example";
  CHECK(Counted("mastodon", text) == 499);
  ContentRules none;
  CHECK(CheckContent(none, FindPreset("mastodon")->length, text).empty());
}

TEST_CASE("X weighs bare domains as URLs", "[content][x]") {
  CHECK(Counted("x", "example.com") == 23);
  CHECK(Counted("x", "see example.com/path?q=1.") == 4 + 23 + 1);
  CHECK(Counted("x", "www.example.co.uk") == 23);
  CHECK(Counted("x", "example.de/x") == 23);   // a country domain with a path
  CHECK(Counted("x", "example.de") == 10);     // without one, twitter-text leaves it text
  CHECK(Counted("x", "file.txt v1.2.3 e.g.") == 20);
  CHECK(Counted("x", "me@example.com") == 14);  // an address is no URL
  CHECK(Counted("x", "#example.com") == 12);
  CHECK(Counted("x", "https://example.com and example.org") == 23 + 5 + 23);
  std::string text(260, 'a');
  text += " example.com";  // 272 as written, 284 as X counts it
  ContentRules none;
  auto findings = CheckContent(none, FindPreset("x")->length, text);
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].detail.starts_with("284 "));
}

TEST_CASE("Platforms without such quirks count the text as written", "[content]") {
  CHECK_FALSE(internal::CountableText("@bob@example.org example.com", FindPreset("bluesky")->length.at(0)));
  CHECK_FALSE(internal::CountableText("plain words", FindPreset("x")->length.at(0)));
}

}  // namespace
}  // namespace herald::policies
