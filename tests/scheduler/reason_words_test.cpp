// The governor's reasons in words, held to the words an earlier build gave on
// the same random cases: the search keeps reasons as records and words them
// only when they are read, and the API, the audit log and `herald simulate`
// show those words, so they must not change by a byte. The golden file holds
// one digest per case of every output's time, summary and related posts, and
// of a publish-time re-check, as the build before lazy wording produced them.
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "scheduler/planner.h"
#include "tests/support/random_plans.h"

namespace herald::scheduler {
namespace {

using namespace random_plans;
using std::chrono::minutes;

constexpr uint64_t kSeed = 20261206;
constexpr int kCases = 3000;
const char* const kGolden = HERALD_SOURCE_DIR "/tests/scheduler/reason_words.golden";

// A case of the oracle's kind, with what the oracle leaves out but reasons
// name: places held for posts being created and suggested slots ("a post
// being created", "another suggested slot"), replies, blocked spans, and
// repeated texts under a duplicate window.
struct WordedCase {
  Case c;
  BlockedSpans blocked;
};

WordedCase Vary(Case c, std::mt19937_64& rng) {
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  WordedCase out;
  const bool duplicates = chance(30);
  if (duplicates) c.rules.content.duplicate_window = minutes{static_cast<int>(60 + rng() % 2000)};
  Instant first = Instant::max();
  for (auto& in : c.inputs) {
    first = std::min(first, in.post.requested_at);
    if (in.fixed_at) continue;
    const int roll = static_cast<int>(rng() % 100);
    if (roll < 8) in.post.holder = Holder::kHeld;
    else if (roll < 13) in.post.holder = Holder::kProbe;
    else if (roll < 17) in.post.kind = PostKind::kReply;
    if (duplicates && chance(60)) in.post.text = std::string("same text ") + static_cast<char>('a' + rng() % 3);
  }
  if (chance(25)) {
    Instant from = first + minutes{static_cast<int>(rng() % 600)};
    out.blocked[kAccount].push_back({from, from + minutes{static_cast<int>(5 + rng() % 240)}, "rate_limit",
                                     "the platform's limit; nothing is sent before then"});
  }
  out.c = std::move(c);
  return out;
}

std::string Words(const std::vector<Reason>& reasons) {
  std::string out;
  for (const auto& r : reasons) {
    out += r.rule + "|" + r.detail + "|";
    for (const auto& p : r.posts) out += p + ",";
    out += "\n";
  }
  return out;
}

// Every output in words, then the last input re-checked against the others
// at its time and an hour later (Governor::Violations words its own reasons).
std::string Render(const WordedCase& w) {
  const Case& c = w.c;
  Planner planner({{kAccount, Governor(c.rules)}});
  auto outputs = planner.Plan(c.inputs, w.blocked);
  std::ostringstream out;
  for (const auto& o : outputs) {
    const Decision& d = o.decision;
    out << o.id << " " << (d.planned_at ? FormatRfc3339(*d.planned_at) : "-") << " " << d.Summary() << "\n";
    for (const auto& r : d.reasons) {
      for (const auto& p : r.posts) out << " " << p;
    }
    out << "\n";
  }
  const Governor& g = *planner.FindGovernor(kAccount);
  Timeline tl;
  for (size_t i = 0; i + 1 < outputs.size(); ++i) {
    if (outputs[i].decision.planned_at) tl.Insert(g.EntryFor(c.inputs[i].post, *outputs[i].decision.planned_at));
  }
  const PostRequest& last = c.inputs.back().post;
  out << Words(g.Violations(tl, last, last.requested_at));
  out << Words(g.Violations(tl, last, last.requested_at + std::chrono::hours{1}));
  return out.str();
}

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : s) h = (h ^ ch) * 0x100000001b3ull;
  return h;
}

std::string Hex(uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

TEST_CASE("Reasons read in the same words as before on random cases", "[governor][reasons]") {
  std::ifstream in(kGolden);
  REQUIRE(in.good());
  std::vector<std::string> golden;
  for (std::string line; std::getline(in, line);) golden.push_back(line);
  REQUIRE(golden.size() == static_cast<size_t>(kCases));

  Generator gen(kSeed, true);
  std::mt19937_64 rng(kSeed);
  int mismatches = 0;
  size_t deferred_or_refused = 0;
  for (int k = 0; k < kCases; ++k) {
    const std::string words = Render(Vary(gen.Next(), rng));
    deferred_or_refused += words.find(": ") != std::string::npos;
    if (Hex(Fnv1a(words)) == golden[static_cast<size_t>(k)]) continue;
    if (++mismatches <= 3) {
      INFO("case " << k << " now reads:\n" << words);
      FAIL_CHECK("the words differ from the golden file's");
    }
  }
  CHECK(mismatches == 0);
  // The cases must exercise reasons, not only posts on time.
  CHECK(deferred_or_refused > static_cast<size_t>(kCases) / 2);
}

}  // namespace
}  // namespace herald::scheduler
