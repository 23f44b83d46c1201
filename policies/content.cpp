#include "policies/content.h"

#include <algorithm>
#include <optional>
#include <string>

#include "policies/internal/countable_text.h"
#include "policies/internal/detectors.h"
#include "policies/internal/text.h"

namespace herald::policies {
namespace {

using internal::CodePoint;
using internal::FoldedTerm;
using internal::Span;

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string_view UnitName(LengthUnit unit) {
  switch (unit) {
    case LengthUnit::kGraphemes: return "graphemes";
    case LengthUnit::kUtf8Bytes: return "bytes";
    case LengthUnit::kUtf16Units: return "UTF-16 units";
    case LengthUnit::kXWeighted: return "weighted characters";
    case LengthUnit::kCodePoints: return "characters";
    case LengthUnit::kThreadsChars: return "characters (non-ASCII counted in UTF-8 bytes)";
  }
  return "characters";
}

std::string_view RuleName(Detector d) {
  switch (d) {
    case Detector::kEmail: return "content.email";
    case Detector::kPhone: return "content.phone";
    case Detector::kCreditCard: return "content.credit_card";
    case Detector::kSecret: return "content.secret";
  }
  return "content.unknown";
}

std::vector<internal::Hit> RunDetector(Detector d, std::string_view text) {
  switch (d) {
    case Detector::kEmail: return internal::FindEmails(text);
    case Detector::kPhone: return internal::FindPhones(text);
    case Detector::kCreditCard: return internal::FindCards(text);
    case Detector::kSecret: return internal::FindSecrets(text);
  }
  return {};
}

// Appends a banned-term finding unless the place is already reported: two
// spellings of one term in the list ("RivalCorp", "rivalcorp") report it once.
void AddBanned(const std::string& detail, Span s, std::vector<ContentFinding>& out) {
  const bool seen = std::any_of(out.begin(), out.end(), [&](const ContentFinding& g) {
    return g.rule == "content.banned_term" && g.begin == s.begin && g.end == s.end;
  });
  if (!seen) out.push_back({"content.banned_term", detail, s.begin, s.end});
}

ContentFinding EncodingFinding(std::string_view text) {
  const auto lossy = internal::DecodeUtf8Lossy(text);
  const auto bad = std::find_if(lossy.begin(), lossy.end(),
                                [](const CodePoint& c) { return c.cp == 0xFFFD && c.end - c.begin == 1; });
  const size_t at = bad == lossy.end() ? 0 : bad->begin;
  return {"content.encoding", "text is not valid UTF-8 (bad byte at offset " + std::to_string(at) + ")", at, at + 1};
}

}  // namespace

// The rules in the shape Check scans with. Terms whose folded words repeat an
// earlier term's are dropped: they would find the same places, which the
// earlier term already reports.
struct ContentChecker::Compiled {
  Compiled(const ContentRules& rules, std::span<const LengthRule> length_rules)
      : banned(FoldDistinct(rules.banned_terms, banned_details)),
        require_any(FoldAll(rules.require_any)),
        require_any_detail(RequireAnyDetail(rules.require_any)),
        length(length_rules.begin(), length_rules.end()),
        banned_ascii(banned),
        require_any_ascii(require_any) {
    for (Detector d : rules.block_patterns)
      if (std::find(detectors.begin(), detectors.end(), d) == detectors.end()) detectors.push_back(d);
  }
  // The searches point into banned and require_any, so a copy would dangle.
  Compiled(const Compiled&) = delete;
  Compiled& operator=(const Compiled&) = delete;

  static std::vector<FoldedTerm> FoldDistinct(const std::vector<std::string>& terms,
                                              std::vector<std::string>& details) {
    std::vector<FoldedTerm> out;
    for (const auto& term : terms) {
      auto folded = internal::FoldTerm(term);
      const bool repeat =
          std::any_of(out.begin(), out.end(), [&](const FoldedTerm& f) { return f.words == folded.words; });
      if (repeat) continue;
      out.push_back(std::move(folded));
      details.push_back(Quote(term));
    }
    return out;
  }

  static std::vector<FoldedTerm> FoldAll(const std::vector<std::string>& terms) {
    std::vector<FoldedTerm> out;
    for (const auto& term : terms) out.push_back(internal::FoldTerm(term));
    return out;
  }

  static std::string RequireAnyDetail(const std::vector<std::string>& options) {
    if (options.empty()) return {};
    std::string detail = "none of ";
    for (size_t k = 0; k < options.size(); ++k) detail += (k == 0 ? "" : ", ") + Quote(options[k]);
    return detail + " appears";
  }

  std::vector<std::string> banned_details;  // Quote(term) of banned[k]; declared first, filled with banned
  std::vector<FoldedTerm> banned;
  std::vector<FoldedTerm> require_any;
  std::string require_any_detail;  // empty when require_any is not a rule
  std::vector<LengthRule> length;
  std::vector<Detector> detectors;  // block_patterns without repeats, in order
  internal::AsciiTermSearch banned_ascii;
  internal::AsciiTermSearch require_any_ascii;
};

ContentChecker::ContentChecker() : ContentChecker(ContentRules{}, {}) {}

ContentChecker::ContentChecker(const ContentRules& rules, std::span<const LengthRule> length)
    : compiled_(std::make_shared<const Compiled>(rules, length)) {}

std::vector<ContentFinding> ContentChecker::Check(std::string_view text) const {
  const Compiled& c = *compiled_;
  std::vector<ContentFinding> out;
  const bool ascii = internal::IsAscii(text);
  // Pure-ASCII text (the common case) is searched as bytes; anything else is
  // decoded and folded once for every term.
  std::optional<std::vector<CodePoint>> cps;
  std::optional<internal::TermMatcher> matcher;
  if (!ascii) {
    cps = internal::DecodeUtf8(text);
    if (!cps) return {EncodingFinding(text)};
    if (!c.banned.empty() || !c.require_any.empty()) matcher.emplace(*cps);
  }

  if (ascii) {
    for (const auto& hit : c.banned_ascii.Find(text)) AddBanned(c.banned_details[hit.term], hit.span, out);
  } else {
    struct Found {
      size_t term;
      Span span;
    };
    std::vector<Found> found;
    for (size_t t = 0; t < c.banned.size(); ++t)
      for (const Span& s : matcher->Find(c.banned[t])) found.push_back({t, s});
    std::stable_sort(found.begin(), found.end(),
                     [](const Found& a, const Found& b) { return a.span.begin < b.span.begin; });
    for (const auto& f : found) AddBanned(c.banned_details[f.term], f.span, out);
  }

  for (Detector d : c.detectors)
    for (auto& hit : RunDetector(d, text))
      out.push_back({std::string(RuleName(d)), std::move(hit.what), hit.span.begin, hit.span.end});

  if (!c.require_any.empty()) {
    bool met = false;
    if (ascii) {
      met = c.require_any_ascii.Any(text);
    } else {
      met = std::any_of(c.require_any.begin(), c.require_any.end(),
                        [&](const FoldedTerm& option) { return !matcher->Find(option).empty(); });
    }
    if (!met) out.push_back({"content.require_any", c.require_any_detail, 0, 0});
  }

  for (const LengthRule& rule : c.length) {
    if (rule.max <= 0) continue;
    const std::optional<std::string> countable = internal::CountableText(text, rule);
    const std::string_view counted = countable ? std::string_view(*countable) : text;
    const size_t n = ascii ? internal::CountLengthAscii(counted, rule.unit, rule.url_weight)
                           : internal::CountLengthGeneral(counted, rule.unit, rule.url_weight);
    if (n > static_cast<size_t>(rule.max)) {
      out.push_back({"content.length",
                     std::to_string(n) + " " + std::string(UnitName(rule.unit)) + ", at most " +
                         std::to_string(rule.max),
                     0, text.size()});
    }
  }
  return out;
}

std::vector<ContentFinding> CheckContent(const ContentRules& rules, std::span<const LengthRule> length,
                                         std::string_view text) {
  return ContentChecker(rules, length).Check(text);
}

size_t CountLength(std::string_view text, LengthUnit unit, int url_weight) {
  return internal::IsAscii(text) ? internal::CountLengthAscii(text, unit, url_weight)
                                 : internal::CountLengthGeneral(text, unit, url_weight);
}

std::string_view DetectorName(Detector d) {
  switch (d) {
    case Detector::kEmail: return "email";
    case Detector::kPhone: return "phone";
    case Detector::kCreditCard: return "credit_card";
    case Detector::kSecret: return "secret";
  }
  return "unknown";
}

}  // namespace herald::policies
