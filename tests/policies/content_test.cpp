#include "policies/content.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "policies/presets.h"

namespace herald::policies {
namespace {

ContentRules Banning(std::vector<std::string> terms) {
  ContentRules r;
  r.banned_terms = std::move(terms);
  return r;
}

ContentRules Detecting(Detector d) {
  ContentRules r;
  r.block_patterns = {d};
  return r;
}

// CheckContent's findings, after checking that a ContentChecker compiled from
// the same rules finds exactly the same, on its first use and on reuse.
std::vector<ContentFinding> CheckBoth(const ContentRules& rules, std::span<const LengthRule> length,
                                      std::string_view text) {
  auto findings = CheckContent(rules, length, text);
  const ContentChecker checker(rules, length);
  CHECK(checker.Check(text) == findings);
  CHECK(checker.Check(text) == findings);
  return findings;
}

std::vector<ContentFinding> Check(const ContentRules& rules, std::string_view text) {
  return CheckBoth(rules, {}, text);
}

// The matched substrings of every finding with `rule`.
std::vector<std::string> Matches(const std::vector<ContentFinding>& findings, std::string_view text,
                                 std::string_view rule) {
  std::vector<std::string> out;
  for (const auto& f : findings)
    if (f.rule == rule) out.emplace_back(text.substr(f.begin, f.end - f.begin));
  return out;
}

// ---------------------------------------------------------------- banned terms

TEST_CASE("Banned terms match whole words in any case", "[content]") {
  const auto rules = Banning({"RivalCorp"});
  auto [text, match] = GENERATE(table<std::string, std::string>({
      {"We beat RivalCorp today", "RivalCorp"},
      {"rivalcorp!", "rivalcorp"},
      {"(RivalCorp)", "RivalCorp"},
      {"RIVALCORP rules", "RIVALCORP"},
      {"rIvAlCoRp", "rIvAlCoRp"},
      {"RivalCorp's new phone", "RivalCorp"},          // apostrophe-s is a boundary
      {"RivalCorp\u2019s new phone", "RivalCorp"},     // so is a typographic apostrophe
      {"\"RivalCorp\"", "RivalCorp"},
      {"#RivalCorp", "RivalCorp"},
      {"@RivalCorp", "RivalCorp"},
      {"R\u0130VALCORP", "R\u0130VALCORP"},            // Turkish dotted capital I folds to i
      {"rival_corp or RivalCorp.", "RivalCorp"},
  }));
  CAPTURE(text);
  const auto f = Check(rules, text);
  REQUIRE(f.size() == 1);
  CHECK(f[0].rule == "content.banned_term");
  CHECK(f[0].detail == "\"RivalCorp\"");
  CHECK(text.substr(f[0].begin, f[0].end - f[0].begin) == match);
}

TEST_CASE("Banned terms do not match inside longer words", "[content]") {
  const auto rules = Banning({"RivalCorp"});
  auto text = GENERATE(as<std::string>{}, "RivalCorporation", "myRivalCorp", "RivalCorp2", "RivalCorp_x",
                       "_RivalCorp", "Rival Corp", "RivalCor", "r i v a l c o r p", "RivalCorp\u0301",
                       "\u00e9RivalCorp", "R\u0131valCorp");  // dotless ı is another letter
  CAPTURE(text);
  CHECK(Check(rules, text).empty());
}

TEST_CASE("Banned terms fold Unicode case and normalisation", "[content]") {
  SECTION("upper and lower umlauts") {
    const auto f = Check(Banning({"\u00dcberCorp"}), "sale at \u00fcbercorp and \u00dcBERCORP");
    REQUIRE(f.size() == 2);
    CHECK(f[0].begin == 8);
    CHECK(f[0].end == 8 + 9);  // ü is two bytes
    CHECK(f[1].begin == 8 + 9 + 5);
  }
  SECTION("NFD text matches an NFC term and the other way round") {
    CHECK(Check(Banning({"Caf\u00e9Corp"}), "CAFE\u0301CORP").size() == 1);
    CHECK(Check(Banning({"Cafe\u0301Corp"}), "caf\u00e9corp").size() == 1);
  }
  SECTION("an accented letter is not its bare letter") {
    CHECK(Check(Banning({"UberCorp"}), "\u00dcberCorp").empty());
    CHECK(Check(Banning({"CafeCorp"}), "Caf\u00e9Corp").empty());
    CHECK(Check(Banning({"Cafe"}), "Cafe\u0301").empty());  // the accent belongs to the word
  }
  SECTION("sharp s folds to ss") {
    CHECK(Check(Banning({"Stra\u00dfeCorp"}), "STRASSECORP").size() == 1);
    CHECK(Check(Banning({"StrasseCorp"}), "stra\u00dfecorp").size() == 1);
    // A match never ends inside the two letters one character folds to.
    CHECK(Check(Banning({"Stras"}), "Stra\u00df").empty());
  }
  SECTION("Greek final sigma") { CHECK(Check(Banning({"\u039f\u03a3"}), "\u03bf\u03c2").size() == 1); }
  SECTION("non-Latin scripts have words too") {
    CHECK(Check(Banning({"\u043a\u043e\u0440\u043f"}), "\u041a\u041e\u0420\u041f!").size() == 1);
    CHECK(Check(Banning({"\u043a\u043e\u0440\u043f"}), "\u041a\u041e\u0420\u041f\u0443\u0441").empty());
  }
}

TEST_CASE("Multi-word banned terms match across one run of whitespace", "[content]") {
  const auto rules = Banning({"Competitor Co"});
  SECTION("matches") {
    auto text = GENERATE(as<std::string>{}, "Competitor Co", "competitor   co", "Competitor\tCo.",
                         "Competitor\nCo", "Competitor\u00a0Co", "(COMPETITOR CO)");
    CAPTURE(text);
    CHECK(Check(rules, text).size() == 1);
  }
  SECTION("does not match") {
    auto text = GENERATE(as<std::string>{}, "CompetitorCo", "Competitor-Co", "Competitor Corp", "Competitor, Co",
                         "MyCompetitor Co", "Competitor");
    CAPTURE(text);
    CHECK(Check(rules, text).empty());
  }
  SECTION("the term's own spacing does not matter") { CHECK(Check(Banning({" Competitor   Co "}), "Competitor Co").size() == 1); }
}

TEST_CASE("Banned term spans are byte offsets into the original text, in text order", "[content]") {
  const std::string text = "\u00e9t\u00e9: rivalcorp, CompetitorCo and RIVALCORP";
  const auto f = Check(Banning({"CompetitorCo", "RivalCorp"}), text);
  REQUIRE(f.size() == 3);
  CHECK(f[0].begin == 7);
  CHECK(f[0].end == 16);
  CHECK(f[0].detail == "\"RivalCorp\"");
  CHECK(f[1].begin == 18);
  CHECK(f[1].end == 30);
  CHECK(f[1].detail == "\"CompetitorCo\"");
  CHECK(text.substr(f[2].begin, f[2].end - f[2].begin) == "RIVALCORP");
}

TEST_CASE("Blank and duplicate banned terms are harmless", "[content]") {
  CHECK(Check(Banning({"", "   "}), "anything at all").empty());
  CHECK(Check(Banning({"RivalCorp", "rivalcorp"}), "RivalCorp").size() == 1);
}

// ---------------------------------------------------------------- detectors

TEST_CASE("DetectorName spells detectors as policy files do", "[content]") {
  CHECK(DetectorName(Detector::kEmail) == "email");
  CHECK(DetectorName(Detector::kPhone) == "phone");
  CHECK(DetectorName(Detector::kCreditCard) == "credit_card");
  CHECK(DetectorName(Detector::kSecret) == "secret");
}

TEST_CASE("The email detector finds addresses", "[content]") {
  auto [text, match] = GENERATE(table<std::string, std::string>({
      {"write to jane.doe@example.com today", "jane.doe@example.com"},
      {"<ops+alerts@mail.acme.co.uk>", "ops+alerts@mail.acme.co.uk"},
      {"mail me: a_b-c@x-y.org.", "a_b-c@x-y.org"},
      {"JOHN@EXAMPLE.COM", "JOHN@EXAMPLE.COM"},
      {"(x@y.io)", "x@y.io"},
  }));
  CAPTURE(text);
  const auto f = Check(Detecting(Detector::kEmail), text);
  REQUIRE(f.size() == 1);
  CHECK(f[0].rule == "content.email");
  CHECK(f[0].detail == "e-mail address");  // never the address itself
  CHECK(text.substr(f[0].begin, f[0].end - f[0].begin) == match);
}

TEST_CASE("The email detector leaves handles and near misses alone", "[content]") {
  auto text = GENERATE(as<std::string>{}, "follow @acme", "follow @acme@mastodon.social", "user@localhost",
                       "a@b.c", "x@y.123", "@ the office", "me@.com", "me@-x.com", ".@example.com",
                       "price: 3 @ $4.50", "git@github", "a@b");
  CAPTURE(text);
  CHECK(Check(Detecting(Detector::kEmail), text).empty());
}

TEST_CASE("The phone detector finds international and national forms", "[content]") {
  auto [text, match] = GENERATE(table<std::string, std::string>({
      {"Call +49 30 1234567 now", "+49 30 1234567"},
      {"Call +1 (555) 123-4567.", "+1 (555) 123-4567"},
      {"UK: +44 20 7946 0958", "+44 20 7946 0958"},
      {"(555) 123-4567", "(555) 123-4567"},
      {"555-123-4567", "555-123-4567"},
      {"0049 30 12345678", "0049 30 12345678"},
      {"tel:+4930123456", "+4930123456"},
      {"+44 (0)20 7946 0958", "+44 (0)20 7946 0958"},
      {"555.123.4567", "555.123.4567"},
      {"030/1234567", "030/1234567"},
      {"1-800-555-0199", "1-800-555-0199"},
      {"phone=555-123-4567", "555-123-4567"},
      {"call 555-1234", "555-1234"},  // a 7-digit local number
  }));
  CAPTURE(text);
  const auto f = Check(Detecting(Detector::kPhone), text);
  REQUIRE(f.size() == 1);
  CHECK(f[0].rule == "content.phone");
  CHECK(text.substr(f[0].begin, f[0].end - f[0].begin) == match);
}

TEST_CASE("The phone detector ignores numbers that are not phones", "[content]") {
  auto text = GENERATE(as<std::string>{}, "Launch in 2026", "Event on 2026-12-24", "open 21:00-08:00",
                       "only $1,299.00", "version v1.2.3", "release 1.2.3.4", "order 123456",
                       "order 1234567890", "at 2026-12-24T21:00:00+01:00", "at 2026-12-24 21:00",
                       "on 24.12.2026", "on 12/24/2026", "from 1999-2026", "host 192.168.100.200",
                       "1 000 000 visitors", "12.345.678 views", "+5", "€ 1.299,00", "ISBN 978-3-16-148410-0",
                       "20261224T210000Z", "3.14159265358979", "50%-75%", "1.5 2.5 3.5 4.5",
                       "12.345678 km");
  CAPTURE(text);
  CHECK(Check(Detecting(Detector::kPhone), text).empty());
}

TEST_CASE("Card numbers are credit_card findings, not phone findings", "[content]") {
  ContentRules rules;
  rules.block_patterns = {Detector::kPhone, Detector::kCreditCard};
  auto text = GENERATE(as<std::string>{}, "card 3782 822463 10005", "card 378282246310005", "4111 1111 1111 1111",
                       "6011-0009-9013-9424");
  CAPTURE(text);
  const auto f = Check(rules, text);
  REQUIRE(f.size() == 1);
  CHECK(f[0].rule == "content.credit_card");
  // And with only the phone detector on, the card is still not a phone.
  CHECK(Check(Detecting(Detector::kPhone), text).empty());
}

TEST_CASE("The credit card detector needs 13-19 digits passing Luhn", "[content]") {
  SECTION("cards") {
    auto [text, match] = GENERATE(table<std::string, std::string>({
        {"pay with 4111 1111 1111 1111 please", "4111 1111 1111 1111"},
        {"4111-1111-1111-1111", "4111-1111-1111-1111"},
        {"4111111111111111", "4111111111111111"},
        {"Amex 378282246310005.", "378282246310005"},
        {"Amex 3782 822463 10005", "3782 822463 10005"},
        {"MC 5555555555554444 exp 12/27", "5555555555554444"},
        {"4111 1111 1111 1111 123", "4111 1111 1111 1111"},  // CVV after the number
        {"visa:4012888888881881", "4012888888881881"},
        {"4222222222222", "4222222222222"},  // 13-digit Visa
    }));
    CAPTURE(text);
    const auto f = Check(Detecting(Detector::kCreditCard), text);
    REQUIRE(f.size() == 1);
    CHECK(f[0].rule == "content.credit_card");
    CHECK(f[0].detail == "payment card number");
    CHECK(text.substr(f[0].begin, f[0].end - f[0].begin) == match);
  }
  SECTION("not cards") {
    auto text = GENERATE(as<std::string>{}, "4111 1111 1111 1112", "4111111111111112", "411111111111",
                         "41111111111111111111", "x4111111111111111", "4111111111111111x",
                         "1234567812345670",  // Luhn-valid but no card issuer starts with 1
                         "4111.1111.1111.1111", "3.141592653589793", "+49 30 1234567");
    CAPTURE(text);
    CHECK(Check(Detecting(Detector::kCreditCard), text).empty());
  }
}

TEST_CASE("The secret detector finds keys and tokens", "[content]") {
  auto [text, what] = GENERATE(table<std::string, std::string>({
      {"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "private key"},
      {"-----BEGIN PRIVATE KEY-----", "private key"},
      {"-----BEGIN EC PRIVATE KEY-----", "private key"},
      {"-----BEGIN OPENSSH PRIVATE KEY-----", "private key"},
      {"key AKIAIOSFODNN7EXAMPLE here", "AWS access key id"},
      {"ghp_1234567890abcdefghijABCDEFGHIJ123456", "GitHub token"},
      {"gho_1234567890abcdefghijABCDEFGHIJ123456", "GitHub token"},
      {"ghs_1234567890abcdefghijABCDEFGHIJ123456", "GitHub token"},
      {"github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", "GitHub token"},
      {"xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp", "Slack token"},
      {"xoxp-1234567890-abcdef", "Slack token"},
      {"sk_live_4eC39HqLyjWDarjtT1zdp7dc", "Stripe secret key"},
      {"rk_live_4eC39HqLyjWDarjtT1zdp7dc", "Stripe secret key"},
      {"AIzaSyD-1234567890abcdefghijklmnopqrstu", "Google API key"},
      {"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
       "JSON Web Token"},
      {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "webhook signing secret"},
      {"api_key=Zx8Qp2Lr7Vb4Nm1Ks9Tw3Yh6", "credential assigned to \"api_key\""},
      {"token: Zx8Qp2Lr7Vb4Nm1Ks9Tw3Yh6", "credential assigned to \"token\""},
      {"GITHUB_TOKEN=\"Zx8Qp2Lr7Vb4Nm1Ks9Tw3Yh6\"", "credential assigned to \"github_token\""},
  }));
  CAPTURE(text);
  const auto f = Check(Detecting(Detector::kSecret), text);
  REQUIRE(f.size() == 1);
  CHECK(f[0].rule == "content.secret");
  CHECK(f[0].detail == what);
}

TEST_CASE("Secret spans cover the secret", "[content]") {
  const std::string text = "use AKIAIOSFODNN7EXAMPLE, and api_key = 'Zx8Qp2Lr7Vb4Nm1Ks9Tw3Yh6' ok";
  const auto f = Check(Detecting(Detector::kSecret), text);
  REQUIRE(Matches(f, text, "content.secret") ==
          std::vector<std::string>{"AKIAIOSFODNN7EXAMPLE", "Zx8Qp2Lr7Vb4Nm1Ks9Tw3Yh6"});
  const std::string pem = "x -----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY----- y";
  const auto g = Check(Detecting(Detector::kSecret), pem);
  REQUIRE(g.size() == 1);
  CHECK(g[0].begin == 2);
  CHECK(g[0].end == pem.size() - 2);
}

TEST_CASE("The secret detector leaves words and URLs alone", "[content]") {
  auto text = GENERATE(as<std::string>{}, "Our new token: please see the documentation page",
                       "https://example.com/blog/2026/announcing-our-new-integration-partners",
                       "https://github.com/acme/herald/pull/1234567",
                       "token: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "password: correcthorsebatterystaple",
                       "AKIA is an acronym", "AKIAIOSFODNN7EXAMPLEX", "ghp_short", "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
                       "-----BEGIN PUBLIC KEY-----", "-----BEGIN CERTIFICATE-----", "eyJhbGciOiJIUzI1NiJ9",
                       "secret: 12345678901234567890", "The key: Zx8Qp2Lr7Vb4Nm1Ks9Tw3Yh6");
  CAPTURE(text);
  CHECK(Check(Detecting(Detector::kSecret), text).empty());
}

TEST_CASE("Only the detectors a policy lists run, each once", "[content]") {
  const std::string text = "mail a@b.com or call +49 30 1234567";
  ContentRules rules;
  CHECK(Check(rules, text).empty());
  rules.block_patterns = {Detector::kPhone, Detector::kPhone};
  const auto f = Check(rules, text);
  REQUIRE(f.size() == 1);
  CHECK(f[0].rule == "content.phone");
}

// ---------------------------------------------------------------- require_any

TEST_CASE("require_any needs one option as a whole token", "[content]") {
  ContentRules rules;
  rules.require_any = {"#acme", "#AcmeNews"};
  SECTION("satisfied") {
    auto text = GENERATE(as<std::string>{}, "Hello #acme", "#ACME rocks", "x #acmenews!", "(#acme)");
    CAPTURE(text);
    CHECK(Check(rules, text).empty());
  }
  SECTION("not satisfied") {
    auto text = GENERATE(as<std::string>{}, "Hello #acmecorp", "acme", "Hello world", "#acme_corp", "");
    CAPTURE(text);
    const auto f = Check(rules, text);
    REQUIRE(f.size() == 1);
    CHECK(f[0].rule == "content.require_any");
    CHECK(f[0].detail == "none of \"#acme\", \"#AcmeNews\" appears");
    CHECK(f[0].begin == 0);
    CHECK(f[0].end == 0);
  }
}

// ---------------------------------------------------------------- encoding

TEST_CASE("Invalid UTF-8 is one encoding finding and nothing else", "[content]") {
  ContentRules rules = Banning({"RivalCorp"});
  rules.block_patterns = {Detector::kEmail};
  rules.require_any = {"#acme"};
  const LengthRule tight{LengthUnit::kCodePoints, 1, 0};
  auto [text, at] = GENERATE(table<std::string, size_t>({
      {"RivalCorp \xff a@b.com", 10},
      {"\xc3", 0},               // truncated sequence
      {"ok \xc0\xaf", 3},        // overlong '/'
      {"\xed\xa0\x80", 0},       // surrogate
      {"ab\xf4\x90\x80\x80", 2}, // above U+10FFFF
  }));
  CAPTURE(at);
  const auto f = CheckBoth(rules, std::span(&tight, 1), text);
  REQUIRE(f.size() == 1);
  CHECK(f[0].rule == "content.encoding");
  CHECK(f[0].begin == at);
  CHECK(f[0].end == at + 1);
}

// ---------------------------------------------------------------- length

TEST_CASE("CountLength in each unit", "[content]") {
  using U = LengthUnit;
  const std::string family = "\U0001F468\u200D\U0001F469\u200D\U0001F467";  // 👨‍👩‍👧
  const std::string flag = "\U0001F1E9\U0001F1EA";                            // 🇩🇪
  const std::string nfd = "cafe\u0301";
  const std::string nfc = "caf\u00e9";
  auto [text, unit, expected] = GENERATE_REF(table<std::string, U, size_t>({
      {"", U::kGraphemes, 0},
      {"hello", U::kGraphemes, 5},
      {family, U::kGraphemes, 1},
      {nfd, U::kGraphemes, 4},
      {flag + flag, U::kGraphemes, 2},
      {"\r\n", U::kGraphemes, 1},
      {family, U::kUtf8Bytes, 18},
      {nfc, U::kUtf8Bytes, 5},
      {family, U::kUtf16Units, 8},
      {"\u00e9\u4e2d", U::kUtf16Units, 2},
      {family, U::kCodePoints, 5},
      {nfd, U::kCodePoints, 5},
      {"a\u00e9\u4e2d\U0001F600", U::kThreadsChars, 1 + 2 + 3 + 4},
      {"hello", U::kXWeighted, 5},
      {nfc, U::kXWeighted, 4},
      {nfd, U::kXWeighted, 4},  // NFC first: the same as "café"
      {"\u4e2d\u6587", U::kXWeighted, 4},
      {family, U::kXWeighted, 2},
      {"\U0001F44D\U0001F3FD", U::kXWeighted, 2},  // skin tone modifier joins its base
      {flag, U::kXWeighted, 2},
      {"1\uFE0F\u20E3", U::kXWeighted, 2},         // keycap
      {"\u00a9", U::kXWeighted, 1},                // © as text is Latin-1
      {"\u2014\u2026", U::kXWeighted, 3},          // em dash U+2014 weighs 1, ellipsis U+2026 2
      {"\u2122", U::kXWeighted, 2},
      {"\u0915\u093f", U::kXWeighted, 2},          // Devanagari: code points, not clusters
  }));
  CAPTURE(text, static_cast<int>(unit));
  CHECK(CountLength(text, unit) == expected);
}

TEST_CASE("CountLength counts each URL as url_weight", "[content]") {
  using U = LengthUnit;
  const std::string url = "https://example.com/a/very/long/path/that/is/longer/than/twenty/three";
  CHECK(CountLength(url, U::kXWeighted, 23) == 23);
  CHECK(CountLength("see " + url + ".", U::kXWeighted, 23) == 4 + 23 + 1);
  CHECK(CountLength("see " + url, U::kXWeighted, 0) == 4 + url.size());
  CHECK(CountLength("http://a.io", U::kGraphemes, 23) == 23);  // short URLs count 23 too
  CHECK(CountLength("(https://en.wikipedia.org/wiki/C_(language))", U::kGraphemes, 23) == 1 + 23 + 1);
  CHECK(CountLength(url + " " + url, U::kGraphemes, 23) == 47);
  CHECK(CountLength("HTTPS://EXAMPLE.COM/x", U::kGraphemes, 23) == 23);
  // Only scheme URLs are URLs; a bare domain counts as text.
  CHECK(CountLength("example.com", U::kGraphemes, 23) == 11);
  CHECK(CountLength("https:// alone", U::kGraphemes, 23) == 14);
  CHECK(CountLength("xhttps://example.com", U::kGraphemes, 23) == 20);
}

TEST_CASE("X weighted length: 140 CJK characters fit, 141 do not", "[content]") {
  const LengthRule x{LengthUnit::kXWeighted, 280, 23};
  std::string text;
  for (int i = 0; i < 140; ++i) text += "\u4e2d";
  CHECK(CountLength(text, LengthUnit::kXWeighted, 23) == 280);
  CHECK(CheckBoth({}, std::span(&x, 1), text).empty());
  text += "\u4e2d";
  const auto f = CheckBoth({}, std::span(&x, 1), text);
  REQUIRE(f.size() == 1);
  CHECK(f[0].rule == "content.length");
  CHECK(f[0].detail == "282 weighted characters, at most 280");
  CHECK(f[0].begin == 0);
  CHECK(f[0].end == text.size());
}

TEST_CASE("X weighted length: a URL counts 23 and a family emoji 2", "[content]") {
  const std::string family = "\U0001F468\u200D\U0001F469\u200D\U0001F467";
  std::string text(254, 'a');
  text += " https://example.com/" + std::string(100, 'p');  // 255 + 23 = 278
  CHECK(CountLength(text, LengthUnit::kXWeighted, 23) == 278);
  CHECK(CountLength(text + " b", LengthUnit::kXWeighted, 23) == 280);
  CHECK(CountLength(text + " " + family, LengthUnit::kXWeighted, 23) == 281);
}

TEST_CASE("Mastodon preset: 500 graphemes with URLs counted as 23", "[content]") {
  const auto* mastodon = FindPreset("mastodon");
  REQUIRE(mastodon != nullptr);
  std::string text(476, 'a');
  text += " https://example.com/" + std::string(600, 'p');  // 477 + 23 = 500
  CHECK(CheckBoth({}, mastodon->length, text).empty());
  const auto f = CheckBoth({}, mastodon->length, text + "!");
  REQUIRE(f.size() == 1);
  CHECK(f[0].detail == "501 graphemes, at most 500");
}

TEST_CASE("Every length rule is checked, one finding per broken rule", "[content]") {
  const auto* bluesky = FindPreset("bluesky");
  REQUIRE(bluesky != nullptr);
  SECTION("300 emoji break the grapheme bound only") {
    std::string text;
    for (int i = 0; i < 301; ++i) text += "\U0001F600";
    const auto f = CheckBoth({}, bluesky->length, text);
    REQUIRE(f.size() == 1);
    CHECK(f[0].detail == "301 graphemes, at most 300");
  }
  SECTION("family emoji break both bounds") {
    std::string text;
    for (int i = 0; i < 301; ++i) text += "\U0001F468\u200D\U0001F469\u200D\U0001F467";
    const auto f = CheckBoth({}, bluesky->length, text);
    REQUIRE(f.size() == 2);
    CHECK(f[0].detail == "301 graphemes, at most 300");
    CHECK(f[1].detail == "5418 bytes, at most 3000");
  }
}

TEST_CASE("Findings come rule by rule", "[content]") {
  ContentRules rules = Banning({"RivalCorp"});
  rules.block_patterns = {Detector::kSecret, Detector::kEmail};
  rules.require_any = {"#acme"};
  const LengthRule tight{LengthUnit::kCodePoints, 10, 0};
  const std::string text = "a@b.com RivalCorp AKIAIOSFODNN7EXAMPLE";
  const auto f = CheckBoth(rules, std::span(&tight, 1), text);
  std::vector<std::string> rule_names;
  for (const auto& x : f) rule_names.push_back(x.rule);
  CHECK(rule_names == std::vector<std::string>{"content.banned_term", "content.secret", "content.email",
                                               "content.require_any", "content.length"});
}

}  // namespace
}  // namespace herald::policies
