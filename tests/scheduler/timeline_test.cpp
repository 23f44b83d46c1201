// Timeline's text hash for the duplicate rule: equal exactly when the texts
// are equal after trimming surrounding white space and lowering ASCII letters.
#include "scheduler/timeline.h"

#include <catch2/catch.hpp>

#include <random>
#include <set>

namespace herald::scheduler {
namespace {

// The rule TextHash stands for, written the plain way.
std::string Normalized(std::string_view text) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

TEST_CASE("TextHash ignores surrounding white space and ASCII case only", "[timeline]") {
  CHECK(TextHash("") == 0);
  CHECK(TextHash(" \t\r\n") == 0);
  CHECK(TextHash("a") != 0);
  CHECK(TextHash("Launch day at ACME!") == TextHash("  launch DAY at acme!\n"));
  CHECK(TextHash("Launch day at ACME, tomorrow at nine") == TextHash("launch day at acme, TOMORROW AT NINE"));
  // Inner white space, punctuation and length count.
  CHECK(TextHash("launch day") != TextHash("launch  day"));
  CHECK(TextHash("launch day") != TextHash("launch day!"));
  CHECK(TextHash("abcdefgh") != TextHash(std::string_view("abcdefgh\0", 9)));
  // Only A-Z are folded: the bytes next to them in ASCII, and non-ASCII letters,
  // are themselves.
  CHECK(TextHash("@[`{") != TextHash("`{@["));
  CHECK(TextHash("x@") != TextHash("x`"));
  CHECK(TextHash("x[") != TextHash("x{"));
  CHECK(TextHash("\xC3\x89t\xC3\xA9") != TextHash("\xC3\xA9t\xC3\xA9"));  // Été, été
  CHECK(TextHash("\xC1\xDA") != TextHash("\xE1\xFA"));  // bytes whose low seven bits are 'A' and 'Z'
}

TEST_CASE("TextHash agrees with trimming and lowering on random texts", "[timeline]") {
  std::mt19937 rng(17);
  // Letters of both cases, the bytes around A-Z and a-z, white space and high bytes.
  const std::string alphabet = "aAbBzZyY@[`{ \t\n\r.,!\x80\xC1\xDA\xE1\xFA" "019";
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1), length(0, 40);
  std::vector<std::string> texts;
  for (int i = 0; i < 3000; ++i) {
    std::string t;
    for (size_t n = length(rng); n > 0; --n) t.push_back(alphabet[pick(rng)]);
    texts.push_back(std::move(t));
    // A variant in other case and with other surrounding white space.
    std::string v = " " + texts.back() + "\t";
    for (char& c : v) {
      if (c >= 'a' && c <= 'z' && rng() % 2) c = static_cast<char>(c - 'a' + 'A');
      else if (c >= 'A' && c <= 'Z' && rng() % 2) c = static_cast<char>(c - 'A' + 'a');
    }
    texts.push_back(std::move(v));
  }
  size_t pairs = 0;
  for (size_t i = 0; i < texts.size(); i += 1) {
    for (size_t j = i + 1; j < std::min(texts.size(), i + 50); ++j) {
      INFO('"' << texts[i] << "\" vs \"" << texts[j] << '"');
      const bool same = Normalized(texts[i]) == Normalized(texts[j]);
      CHECK((TextHash(texts[i]) == TextHash(texts[j])) == same);
      pairs += same;
    }
  }
  CHECK(pairs >= 3000);  // every text met its variant
}

}  // namespace
}  // namespace herald::scheduler
