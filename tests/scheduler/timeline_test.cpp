// Timeline's duplicate rule: its text hash, equal exactly when the texts are
// equal after trimming surrounding white space and lowering ASCII letters, and
// its index of posts by text, held to a plain list.
#include "scheduler/timeline.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <utility>
#include <vector>

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

TEST_CASE("Timeline finds posts by text as a plain list in insertion order does", "[timeline]") {
  std::mt19937_64 rng(20261206);
  // Hashes that share their low bits land on one probe run, and all-ones low
  // bits put the run at the end of the table so it wraps around.
  std::vector<uint64_t> hashes;
  for (uint64_t k = 1; k <= 6; ++k) {
    hashes.push_back(k << 40);
    hashes.push_back((k << 40) | 0xFFFFFF);
    hashes.push_back(rng() | 1);
  }
  const Instant base = Instant{std::chrono::seconds{1'800'000'000}};
  for (int round = 0; round < 20; ++round) {
    Timeline tl;
    std::vector<std::pair<uint64_t, Instant>> plain;  // (hash, at) in insertion order
    std::vector<TimelineEntry> live;
    int next_id = 0, lookups = 0, found = 0;
    const int steps = 200 + static_cast<int>(rng() % 3000);
    for (int step = 0; step < steps; ++step) {
      const int roll = static_cast<int>(rng() % 100);
      if (roll < 55 || live.empty()) {
        TimelineEntry e;
        e.id = std::to_string(++next_id);
        e.at = base + std::chrono::minutes{rng() % 5000};
        e.text_hash = rng() % 10 == 0 ? 0 : hashes[rng() % hashes.size()];
        if (e.text_hash != 0) plain.emplace_back(e.text_hash, e.at);
        live.push_back(e);
        tl.Insert(std::move(e));
      } else if (roll < 80) {
        const size_t k = rng() % live.size();
        const TimelineEntry e = live[k];
        live.erase(live.begin() + static_cast<long>(k));
        REQUIRE((rng() % 2 ? tl.Remove(e.id) : tl.Remove(e.id, e.at)));
        if (e.text_hash != 0) plain.erase(std::find(plain.begin(), plain.end(), std::make_pair(e.text_hash, e.at)));
      } else {
        const uint64_t h = rng() % 8 == 0 ? rng() | 1 : hashes[rng() % hashes.size()];
        const Instant after = base + std::chrono::minutes{rng() % 5000};
        const Instant before = after + std::chrono::minutes{rng() % 2000};
        std::optional<Instant> want;
        for (const auto& [ph, at] : plain) {
          if (ph == h && after < at && at < before) {
            want = at;
            break;
          }
        }
        INFO("round " << round << " step " << step);
        CHECK(tl.FirstWithText(h, after, before) == want);
        ++lookups;
        found += want.has_value();
      }
    }
    CHECK(tl.size() == live.size());
    CHECK(found > 0);
    CHECK(found < lookups);
  }
}


TEST_CASE("Releasing held places among many posts removes each one and nothing else", "[timeline]") {
  const Instant t0 = Instant(std::chrono::seconds(1796083200));
  Timeline tl;
  // Posts and held places (some with a post's id as their token) at times
  // before, among and after each other.
  for (int i = 0; i < 300; ++i) tl.Insert({std::to_string(i), t0 + std::chrono::seconds(i * 60)});
  std::vector<std::pair<std::string, Instant>> held;
  for (int i = 0; i < 40; ++i) {
    Instant at = t0 + std::chrono::seconds((i * 7919) % 20000);
    std::string token = std::to_string(i % 2 == 0 ? i : 1000 + i);
    tl.Insert({token, at, 0, false, Holder::kHeld});
    held.emplace_back(token, at);
  }
  std::mt19937 shuffle(7);
  std::shuffle(held.begin(), held.end(), shuffle);
  for (const auto& [token, at] : held) {
    size_t before = tl.size();
    REQUIRE(tl.Remove(token, Holder::kHeld));
    CHECK(tl.size() == before - 1);
  }
  CHECK_FALSE(tl.Remove("0", Holder::kHeld));
  // Every post is still there, at its time.
  REQUIRE(tl.size() == 300);
  for (int i = 0; i < 300; ++i) {
    const TimelineEntry* e = tl.EntryAt(t0 + std::chrono::seconds(i * 60));
    REQUIRE(e != nullptr);
    CHECK(e->id == std::to_string(i));
    CHECK(e->holder == Holder::kPost);
  }
}

}  // namespace
}  // namespace herald::scheduler
