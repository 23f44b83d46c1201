// ContentChecker against the behaviour it replaces: findings recorded from the
// original CheckContent for a corpus of ASCII and non-ASCII texts, and the
// fast ASCII text helpers against the general ones on random ASCII strings.
#include "policies/content.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "policies/internal/text.h"

namespace herald::policies {
namespace {

using internal::FoldedTerm;
using internal::Span;

// Rules that give every kind of finding something to do: repeated, multi-word,
// punctuation-edged and non-ASCII terms (the Kelvin sign and long s fold to
// ASCII letters), all detectors, require_any and a tight bound in every unit.
ContentRules CorpusRules() {
  ContentRules rules;
  rules.banned_terms = {"RivalCorp", "CompetitorCo", "rivalcorp", "Competitor Co", "\u00dcberCorp",
                        "Stra\u00dfeCorp", "Caf\u00e9Corp", "a-a", "kelvin", "secret", "\u043a\u043e\u0440\u043f"};
  rules.block_patterns = {Detector::kEmail, Detector::kPhone, Detector::kCreditCard, Detector::kSecret};
  rules.require_any = {"#acme", "#AcmeNews"};
  return rules;
}

const std::vector<LengthRule> kCorpusLength = {
    {LengthUnit::kGraphemes, 10, 0},  {LengthUnit::kUtf8Bytes, 12, 0},      {LengthUnit::kUtf16Units, 11, 0},
    {LengthUnit::kXWeighted, 13, 23}, {LengthUnit::kCodePoints, 14, 5},     {LengthUnit::kThreadsChars, 9, 0},
    {LengthUnit::kGraphemes, 20, 23}};

const std::vector<std::string> kCorpus = {
    "Post number 12345 about our product #acme",
    "We beat RivalCorp today, mail jane.doe@example.com or call +49 30 1234567",
    "rivalcorp! (RivalCorp) RIVALCORP's CompetitorCo-CompetitorCo",
    "Competitor   Co and competitor\tco. and Competitor\r\nCo",
    "card 4111 1111 1111 1111 and 378282246310005, phone 555-123-4567",
    "key AKIAIOSFODNN7EXAMPLE and ghp_1234567890abcdefghijABCDEFGHIJ123456 token: Zx8Qp2Lr7Vb4Nm1Ks9Tw3Yh6",
    "see https://example.com/a/(b)/c). and HTTP://X.IO, xhttps://no.pe http://",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    "Event on 2026-12-24 at 21:00, 1 000 000 visitors, v1.2.3, 192.168.1.1, $1,299.00",
    "#acme #AcmeNews #acmecorp acme",
    "line one\r\nline two\r\n\r\nthree\n",
    "a-a-a RivalCorp-RivalCorp RivalCorp_x _RivalCorp",
    "",
    "   ",
    "follow @acme@mastodon.social or user@localhost or a@b.co",
    "R\u0130VALCORP and \u00fcbercorp and stra\u00dfecorp and STRASSECORP",
    "Caf\u00e9 news: https://example.com/caf\u00e9 \u2014 ask team@acme.example \U0001F680 #acme",
    "\U0001F468\u200D\U0001F469\u200D\U0001F467 family \U0001F1E9\U0001F1EA flag 1\uFE0F\u20E3 keycap",
    "cafe\u0301corp CAF\u00c9CORP Cafe\u0301",
    "\u4e2d\u6587\u4e2d\u6587 RivalCorp\u2019s +1 (555) 123-4567",
    "Competitor\u00a0Co \u041a\u041e\u0420\u041f! line\r\nbreak",
    "api_key=Zx8Qp2Lr7Vb4Nm1Ks9Tw3Yh6 \u00e9 sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "\u212Aelvin RivalCorp \u017Fecret"
};

// What CheckContent reported for kCorpus[k] before ContentChecker existed
// (recorded at commit 308fdf0 with CorpusRules() and kCorpusLength), but for
// the remote mention graphemes-with-URL-weight (Mastodon's count) now shortens.
const std::vector<std::vector<ContentFinding>> kRecorded = {
    {{"content.length", "41 graphemes, at most 10", 0, 41},
     {"content.length", "41 bytes, at most 12", 0, 41},
     {"content.length", "41 UTF-16 units, at most 11", 0, 41},
     {"content.length", "41 weighted characters, at most 13", 0, 41},
     {"content.length", "41 characters, at most 14", 0, 41},
     {"content.length", "41 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 41},
     {"content.length", "41 graphemes, at most 20", 0, 41}},
    {{"content.banned_term", "\"RivalCorp\"", 8, 17},
     {"content.email", "e-mail address", 30, 50},
     {"content.phone", "phone number", 59, 73},
     {"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "73 graphemes, at most 10", 0, 73},
     {"content.length", "73 bytes, at most 12", 0, 73},
     {"content.length", "73 UTF-16 units, at most 11", 0, 73},
     {"content.length", "73 weighted characters, at most 13", 0, 73},
     {"content.length", "73 characters, at most 14", 0, 73},
     {"content.length", "73 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 73},
     {"content.length", "73 graphemes, at most 20", 0, 73}},
    {{"content.banned_term", "\"RivalCorp\"", 0, 9},
     {"content.banned_term", "\"RivalCorp\"", 12, 21},
     {"content.banned_term", "\"RivalCorp\"", 23, 32},
     {"content.banned_term", "\"CompetitorCo\"", 35, 47},
     {"content.banned_term", "\"CompetitorCo\"", 48, 60},
     {"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "60 graphemes, at most 10", 0, 60},
     {"content.length", "60 bytes, at most 12", 0, 60},
     {"content.length", "60 UTF-16 units, at most 11", 0, 60},
     {"content.length", "60 weighted characters, at most 13", 0, 60},
     {"content.length", "60 characters, at most 14", 0, 60},
     {"content.length", "60 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 60},
     {"content.length", "60 graphemes, at most 20", 0, 60}},
    {{"content.banned_term", "\"Competitor Co\"", 0, 15},
     {"content.banned_term", "\"Competitor Co\"", 20, 33},
     {"content.banned_term", "\"Competitor Co\"", 39, 53},
     {"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "52 graphemes, at most 10", 0, 53},
     {"content.length", "53 bytes, at most 12", 0, 53},
     {"content.length", "53 UTF-16 units, at most 11", 0, 53},
     {"content.length", "53 weighted characters, at most 13", 0, 53},
     {"content.length", "53 characters, at most 14", 0, 53},
     {"content.length", "53 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 53},
     {"content.length", "52 graphemes, at most 20", 0, 53}},
    {{"content.phone", "phone number", 52, 64},
     {"content.credit_card", "payment card number", 5, 24},
     {"content.credit_card", "payment card number", 29, 44},
     {"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "64 graphemes, at most 10", 0, 64},
     {"content.length", "64 bytes, at most 12", 0, 64},
     {"content.length", "64 UTF-16 units, at most 11", 0, 64},
     {"content.length", "64 weighted characters, at most 13", 0, 64},
     {"content.length", "64 characters, at most 14", 0, 64},
     {"content.length", "64 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 64},
     {"content.length", "64 graphemes, at most 20", 0, 64}},
    {{"content.secret", "AWS access key id", 4, 24},
     {"content.secret", "GitHub token", 29, 69},
     {"content.secret", "credential assigned to \"token\"", 77, 101},
     {"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "101 graphemes, at most 10", 0, 101},
     {"content.length", "101 bytes, at most 12", 0, 101},
     {"content.length", "101 UTF-16 units, at most 11", 0, 101},
     {"content.length", "101 weighted characters, at most 13", 0, 101},
     {"content.length", "101 characters, at most 14", 0, 101},
     {"content.length", "101 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 101},
     {"content.length", "101 graphemes, at most 20", 0, 101}},
    {{"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "73 graphemes, at most 10", 0, 73},
     {"content.length", "73 bytes, at most 12", 0, 73},
     {"content.length", "73 UTF-16 units, at most 11", 0, 73},
     {"content.length", "81 weighted characters, at most 13", 0, 73},
     {"content.length", "45 characters, at most 14", 0, 73},
     {"content.length", "73 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 73},
     {"content.length", "81 graphemes, at most 20", 0, 73}},
    {{"content.secret", "private key", 0, 78},
     {"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "78 graphemes, at most 10", 0, 78},
     {"content.length", "78 bytes, at most 12", 0, 78},
     {"content.length", "78 UTF-16 units, at most 11", 0, 78},
     {"content.length", "78 weighted characters, at most 13", 0, 78},
     {"content.length", "78 characters, at most 14", 0, 78},
     {"content.length", "78 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 78},
     {"content.length", "78 graphemes, at most 20", 0, 78}},
    {{"content.secret", "JSON Web Token", 0, 92},
     {"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "92 graphemes, at most 10", 0, 92},
     {"content.length", "92 bytes, at most 12", 0, 92},
     {"content.length", "92 UTF-16 units, at most 11", 0, 92},
     {"content.length", "92 weighted characters, at most 13", 0, 92},
     {"content.length", "92 characters, at most 14", 0, 92},
     {"content.length", "92 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 92},
     {"content.length", "92 graphemes, at most 20", 0, 92}},
    {{"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "80 graphemes, at most 10", 0, 80},
     {"content.length", "80 bytes, at most 12", 0, 80},
     {"content.length", "80 UTF-16 units, at most 11", 0, 80},
     {"content.length", "80 weighted characters, at most 13", 0, 80},
     {"content.length", "80 characters, at most 14", 0, 80},
     {"content.length", "80 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 80},
     {"content.length", "80 graphemes, at most 20", 0, 80}},
    {{"content.length", "30 graphemes, at most 10", 0, 30},
     {"content.length", "30 bytes, at most 12", 0, 30},
     {"content.length", "30 UTF-16 units, at most 11", 0, 30},
     {"content.length", "30 weighted characters, at most 13", 0, 30},
     {"content.length", "30 characters, at most 14", 0, 30},
     {"content.length", "30 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 30},
     {"content.length", "30 graphemes, at most 20", 0, 30}},
    {{"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "25 graphemes, at most 10", 0, 28},
     {"content.length", "28 bytes, at most 12", 0, 28},
     {"content.length", "28 UTF-16 units, at most 11", 0, 28},
     {"content.length", "28 weighted characters, at most 13", 0, 28},
     {"content.length", "28 characters, at most 14", 0, 28},
     {"content.length", "28 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 28},
     {"content.length", "25 graphemes, at most 20", 0, 28}},
    {{"content.banned_term", "\"a-a\"", 0, 3},
     {"content.banned_term", "\"RivalCorp\"", 6, 15},
     {"content.banned_term", "\"RivalCorp\"", 16, 25},
     {"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "48 graphemes, at most 10", 0, 48},
     {"content.length", "48 bytes, at most 12", 0, 48},
     {"content.length", "48 UTF-16 units, at most 11", 0, 48},
     {"content.length", "48 weighted characters, at most 13", 0, 48},
     {"content.length", "48 characters, at most 14", 0, 48},
     {"content.length", "48 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 48},
     {"content.length", "48 graphemes, at most 20", 0, 48}},
    {{"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0}},
    {{"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0}},
    {{"content.email", "e-mail address", 50, 56},
     {"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "56 graphemes, at most 10", 0, 56},
     {"content.length", "56 bytes, at most 12", 0, 56},
     {"content.length", "56 UTF-16 units, at most 11", 0, 56},
     {"content.length", "56 weighted characters, at most 13", 0, 56},
     {"content.length", "56 characters, at most 14", 0, 56},
     {"content.length", "56 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 56},
     {"content.length", "40 graphemes, at most 20", 0, 56}},  // Mastodon's count: "@acme@mastodon.social" is "@acme"
    {{"content.banned_term", "\"RivalCorp\"", 0, 10},
     {"content.banned_term", "\"ÜberCorp\"", 15, 24},
     {"content.banned_term", "\"StraßeCorp\"", 29, 40},
     {"content.banned_term", "\"StraßeCorp\"", 45, 56},
     {"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "53 graphemes, at most 10", 0, 56},
     {"content.length", "56 bytes, at most 12", 0, 56},
     {"content.length", "53 UTF-16 units, at most 11", 0, 56},
     {"content.length", "53 weighted characters, at most 13", 0, 56},
     {"content.length", "53 characters, at most 14", 0, 56},
     {"content.length", "56 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 56},
     {"content.length", "53 graphemes, at most 20", 0, 56}},
    {{"content.email", "e-mail address", 46, 63},
     {"content.length", "67 graphemes, at most 10", 0, 74},
     {"content.length", "74 bytes, at most 12", 0, 74},
     {"content.length", "68 UTF-16 units, at most 11", 0, 74},
     {"content.length", "67 weighted characters, at most 13", 0, 74},
     {"content.length", "48 characters, at most 14", 0, 74},
     {"content.length", "74 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 74},
     {"content.length", "66 graphemes, at most 20", 0, 74}},
    {{"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "24 graphemes, at most 10", 0, 54},
     {"content.length", "54 bytes, at most 12", 0, 54},
     {"content.length", "36 UTF-16 units, at most 11", 0, 54},
     {"content.length", "27 weighted characters, at most 13", 0, 54},
     {"content.length", "31 characters, at most 14", 0, 54},
     {"content.length", "54 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 54},
     {"content.length", "24 graphemes, at most 20", 0, 54}},
    {{"content.banned_term", "\"CaféCorp\"", 0, 10},
     {"content.banned_term", "\"CaféCorp\"", 11, 20},
     {"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "22 graphemes, at most 10", 0, 27},
     {"content.length", "27 bytes, at most 12", 0, 27},
     {"content.length", "24 UTF-16 units, at most 11", 0, 27},
     {"content.length", "22 weighted characters, at most 13", 0, 27},
     {"content.length", "24 characters, at most 14", 0, 27},
     {"content.length", "27 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 27},
     {"content.length", "22 graphemes, at most 20", 0, 27}},
    {{"content.banned_term", "\"RivalCorp\"", 13, 22},
     {"content.phone", "phone number", 27, 44},
     {"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "34 graphemes, at most 10", 0, 44},
     {"content.length", "44 bytes, at most 12", 0, 44},
     {"content.length", "34 UTF-16 units, at most 11", 0, 44},
     {"content.length", "38 weighted characters, at most 13", 0, 44},
     {"content.length", "34 characters, at most 14", 0, 44},
     {"content.length", "44 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 44},
     {"content.length", "34 graphemes, at most 20", 0, 44}},
    {{"content.banned_term", "\"Competitor Co\"", 0, 14},
     {"content.banned_term", "\"корп\"", 15, 23},
     {"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "30 graphemes, at most 10", 0, 36},
     {"content.length", "36 bytes, at most 12", 0, 36},
     {"content.length", "31 UTF-16 units, at most 11", 0, 36},
     {"content.length", "31 weighted characters, at most 13", 0, 36},
     {"content.length", "31 characters, at most 14", 0, 36},
     {"content.length", "36 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 36},
     {"content.length", "30 graphemes, at most 20", 0, 36}},
    {{"content.secret", "credential assigned to \"api_key\"", 8, 32},
     {"content.secret", "Stripe secret key", 36, 68},
     {"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "67 graphemes, at most 10", 0, 68},
     {"content.length", "68 bytes, at most 12", 0, 68},
     {"content.length", "67 UTF-16 units, at most 11", 0, 68},
     {"content.length", "67 weighted characters, at most 13", 0, 68},
     {"content.length", "67 characters, at most 14", 0, 68},
     {"content.length", "68 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 68},
     {"content.length", "67 graphemes, at most 20", 0, 68}},
    {{"content.banned_term", "\"kelvin\"", 0, 8},
     {"content.banned_term", "\"RivalCorp\"", 9, 18},
     {"content.banned_term", "\"secret\"", 19, 26},
     {"content.require_any", "none of \"#acme\", \"#AcmeNews\" appears", 0, 0},
     {"content.length", "23 graphemes, at most 10", 0, 26},
     {"content.length", "26 bytes, at most 12", 0, 26},
     {"content.length", "23 UTF-16 units, at most 11", 0, 26},
     {"content.length", "23 weighted characters, at most 13", 0, 26},
     {"content.length", "23 characters, at most 14", 0, 26},
     {"content.length", "26 characters (non-ASCII counted in UTF-8 bytes), at most 9", 0, 26},
     {"content.length", "23 graphemes, at most 20", 0, 26}}
};

TEST_CASE("ContentChecker finds what CheckContent found before it", "[content]") {
  REQUIRE(kRecorded.size() == kCorpus.size());
  const auto rules = CorpusRules();
  const ContentChecker checker(rules, kCorpusLength);
  for (size_t k = 0; k < kCorpus.size(); ++k) {
    CAPTURE(k, kCorpus[k]);
    CHECK(checker.Check(kCorpus[k]) == kRecorded[k]);
    CHECK(CheckContent(rules, kCorpusLength, kCorpus[k]) == kRecorded[k]);
  }
}

TEST_CASE("ContentChecker copies share rules and outlive their source", "[content]") {
  std::optional<ContentChecker> original;
  {
    auto rules = CorpusRules();
    auto length = kCorpusLength;
    original.emplace(rules, length);
    rules.banned_terms.clear();
    length.clear();
  }
  const ContentChecker copy = *original;
  original.reset();
  CHECK(copy.Check(kCorpus[1]) == kRecorded[1]);
}

TEST_CASE("A default ContentChecker reports only invalid UTF-8", "[content]") {
  const ContentChecker none;
  CHECK(none.Check("RivalCorp a@b.com +49 30 1234567").empty());
  const auto f = none.Check("ok \xff");
  REQUIRE(f.size() == 1);
  CHECK(f[0].rule == "content.encoding");
}

TEST_CASE("ContentChecker::Check is safe from several threads", "[content]") {
  const ContentChecker checker(CorpusRules(), kCorpusLength);
  auto run = [&](size_t offset, int& mismatches) {
    for (int round = 0; round < 20; ++round)
      for (size_t k = 0; k < kCorpus.size(); ++k) {
        const size_t i = (k + offset) % kCorpus.size();
        mismatches += checker.Check(kCorpus[i]) != kRecorded[i];
      }
  };
  int a = 0, b = 0;
  std::thread other(run, 7, std::ref(b));
  run(0, a);
  other.join();
  CHECK(a == 0);
  CHECK(b == 0);
}

// ---------------------------------------------------------------- fast ASCII path

const std::vector<std::string> kTerms = {
    "RivalCorp", "rivalcorp", "CompetitorCo", "Competitor Co", " competitor   co ", "#acme", "#AcmeNews", "a-a",
    "\u212Aelvin", "\u017Fecret", "ss", "Stra\u00dfe", "x", "_", "@", "", "   ", "A B C"};

// TermMatcher's hits for every term, in AsciiTermSearch's order: by begin,
// then by term.
std::vector<internal::TermHit> GeneralHits(std::string_view text, const std::vector<FoldedTerm>& terms) {
  const auto cps = internal::DecodeUtf8(text);
  REQUIRE(cps);
  const internal::TermMatcher matcher(*cps);
  std::vector<internal::TermHit> hits;
  for (size_t t = 0; t < terms.size(); ++t)
    for (const Span& s : matcher.Find(terms[t])) hits.push_back({t, s});
  std::stable_sort(hits.begin(), hits.end(),
                   [](const internal::TermHit& a, const internal::TermHit& b) { return a.span.begin < b.span.begin; });
  return hits;
}

std::string Describe(const std::vector<internal::TermHit>& hits) {
  std::string out;
  for (const auto& h : hits)
    out += std::to_string(h.term) + "@" + std::to_string(h.span.begin) + "-" + std::to_string(h.span.end) + " ";
  return out;
}

// Every place the ASCII path and the general path can differ: term search,
// URL extents and length in every unit, with and without URL weights.
void CompareAsciiPaths(const std::string& text, const std::vector<FoldedTerm>& terms,
                       const internal::AsciiTermSearch& search) {
  REQUIRE(internal::IsAscii(text));
  const auto general = GeneralHits(text, terms);
  const auto fast = search.Find(text);
  CHECK(Describe(fast) == Describe(general));
  CHECK(search.Any(text) == !general.empty());

  const auto cps = internal::DecodeUtf8(text);
  REQUIRE(cps);
  CHECK(internal::FindUrlsAscii(text) == internal::FindUrls(*cps));

  for (LengthUnit unit : {LengthUnit::kGraphemes, LengthUnit::kUtf8Bytes, LengthUnit::kUtf16Units,
                          LengthUnit::kXWeighted, LengthUnit::kCodePoints, LengthUnit::kThreadsChars}) {
    for (int weight : {0, 23}) {
      CAPTURE(static_cast<int>(unit), weight);
      CHECK(internal::CountLengthAscii(text, unit, weight) == internal::CountLengthGeneral(text, unit, weight));
    }
  }
}

// The findings that do not depend on length (which CompareAsciiPaths covers).
std::vector<ContentFinding> WithoutLength(std::vector<ContentFinding> f) {
  std::erase_if(f, [](const ContentFinding& x) { return x.rule == "content.length"; });
  return f;
}

// " é" after the text sends Check down the general path without changing any
// finding inside the text: a space ends every word, number, address, token
// and URL just as the end of the text does.
void CompareCheckPaths(const ContentChecker& checker, const std::string& text) {
  CHECK(WithoutLength(checker.Check(text)) == WithoutLength(checker.Check(text + " \u00e9")));
}

TEST_CASE("The ASCII path agrees with the general path on the corpus", "[content]") {
  std::vector<FoldedTerm> terms;
  for (const auto& t : kTerms) terms.push_back(internal::FoldTerm(t));
  const internal::AsciiTermSearch search(terms);
  const ContentChecker checker(CorpusRules(), kCorpusLength);
  for (const auto& text : kCorpus) {
    if (!internal::IsAscii(text)) continue;
    CAPTURE(text);
    CompareAsciiPaths(text, terms, search);
    CompareCheckPaths(checker, text);
  }
}

TEST_CASE("The ASCII path agrees with the general path on random ASCII text", "[content]") {
  const std::vector<std::string> fragments = {
      // e-mail and handles
      "jane.doe@example.com", "@acme@mastodon.social", "a@b.co", "user@localhost", "x@y.123", "@", ".",
      // phones, dates and other numbers
      "+49 30 1234567", "(555) 123-4567", "555-123-4567", "555.123.4567", "2026-12-24", "21:00", "1 000 000",
      "192.168.1.1", "12345", "7", "0", "$1,299.00", "v1.2.3",
      // cards
      "4111 1111 1111 1111", "378282246310005", "4111-1111-1111-1111", "4222222222222",
      // secrets
      "AKIAIOSFODNN7EXAMPLE", "ghp_1234567890abcdefghijABCDEFGHIJ123456", "xoxp-1234567890-abcdef",
      "api_key=Zx8Qp2Lr7Vb4Nm1Ks9Tw3Yh6", "token: Zx8Qp2Lr7Vb4Nm1Ks9Tw3Yh6", "-----BEGIN PRIVATE KEY-----",
      "-----END PRIVATE KEY-----", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVP-mB92K27u",
      // URLs
      "https://example.com/a/(b)", "HTTP://X.IO/", "http://", "https://", "xhttps://a.b", "https://e.com/x).",
      "http://a.io/p?q=1&r=2#f", "hTtPs://MiXeD.case/", "http",
      // terms and near misses
      "RivalCorp", "rivalcorp", "RIVALCORP's", "RivalCorporation", "CompetitorCo", "Competitor", "Co", "#acme",
      "#AcmeNews", "#acmecorp", "a-a", "a-a-a", "kelvin", "KELVIN", "secret", "SS", "s", "strasse", "A", "B", "C",
      "x", "_",
      // space and punctuation
      " ", "  ", "\t", "\r\n", "\r", "\n", "\v", "\f", ",", "-", "(", ")", "'", "\"", "#", ":", "=", "/", "!", "?",
      ";", "*", "+"};
  std::vector<FoldedTerm> terms;
  for (const auto& t : kTerms) terms.push_back(internal::FoldTerm(t));
  const internal::AsciiTermSearch search(terms);
  const ContentChecker checker(CorpusRules(), kCorpusLength);

  std::mt19937 rng(20270104);
  for (int n = 0; n < 4000; ++n) {
    std::string text;
    const int parts = static_cast<int>(rng() % 12);
    for (int p = 0; p < parts; ++p) {
      if (rng() % 8 == 0) text += static_cast<char>(rng() % 128);  // any ASCII byte, controls and NUL too
      else text += fragments[rng() % fragments.size()];
    }
    CAPTURE(n, text);
    CompareAsciiPaths(text, terms, search);
    CompareCheckPaths(checker, text);
  }
}

TEST_CASE("IsAscii looks at every byte", "[content]") {
  CHECK(internal::IsAscii(""));
  CHECK(internal::IsAscii(std::string(100, '\x7f')));
  for (size_t at = 0; at < 20; ++at) {
    std::string text(20, 'a');
    text[at] = '\x80';
    CAPTURE(at);
    CHECK_FALSE(internal::IsAscii(text));
    CHECK_FALSE(internal::IsAscii(std::string_view(text).substr(at)));
    CHECK(internal::IsAscii(std::string_view(text).substr(0, at)));
  }
}

}  // namespace
}  // namespace herald::policies
