#include "policies/content.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "policies/internal/detectors.h"
#include "policies/internal/text.h"

namespace herald::policies {
namespace {

using internal::CodePoint;
using internal::Span;

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// NFC of `text`; the text itself when utf8proc refuses it (it never does for
// valid UTF-8).
std::string Nfc(std::string_view text) {
  utf8proc_uint8_t* out = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                              static_cast<utf8proc_ssize_t>(text.size()), &out,
                              static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
  if (n < 0) return std::string(text);
  return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
}

int BoundClass(char32_t cp) { return utf8proc_get_property(static_cast<utf8proc_int32_t>(cp))->boundclass; }

// Calls f(first, last) for each extended grapheme cluster cps[first, last).
template <class F>
void ForEachCluster(const std::vector<CodePoint>& cps, size_t from, size_t to, F f) {
  utf8proc_int32_t state = 0;
  size_t start = from;
  for (size_t k = from + 1; k < to; ++k) {
    if (utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(cps[k - 1].cp),
                                         static_cast<utf8proc_int32_t>(cps[k].cp), &state)) {
      f(start, k);
      start = k;
    }
  }
  if (start < to) f(start, to);
}

// twitter-text counts an emoji, with its modifiers and ZWJ partners, as one
// unit of weight 2: a cluster with a pictographic code point outside the
// weight-1 range (or one shown as emoji with U+FE0F, like "©️"), a flag, or a
// keycap.
bool IsEmojiCluster(const std::vector<CodePoint>& cps, size_t first, size_t last) {
  bool pictographic = false, low_pictographic = false, emoji_style = false;
  for (size_t k = first; k < last; ++k) {
    const char32_t cp = cps[k].cp;
    const int bc = BoundClass(cp);
    if (bc == UTF8PROC_BOUNDCLASS_REGIONAL_INDICATOR || cp == 0x20E3) return true;
    if (bc == UTF8PROC_BOUNDCLASS_EXTENDED_PICTOGRAPHIC || bc == UTF8PROC_BOUNDCLASS_E_BASE ||
        bc == UTF8PROC_BOUNDCLASS_E_BASE_GAZ || bc == UTF8PROC_BOUNDCLASS_GLUE_AFTER_ZWJ) {
      (cp >= 0x1100 ? pictographic : low_pictographic) = true;
    }
    if (cp == 0xFE0F) emoji_style = true;
  }
  return pictographic || (low_pictographic && emoji_style);
}

int XWeight(char32_t cp) {
  const bool light = cp <= 0x10FF || (cp >= 0x2000 && cp <= 0x200D) || (cp >= 0x2010 && cp <= 0x201F) ||
                     (cp >= 0x2032 && cp <= 0x2037);
  return light ? 1 : 2;
}

size_t CountRange(const std::vector<CodePoint>& cps, size_t from, size_t to, LengthUnit unit) {
  size_t n = 0;
  switch (unit) {
    case LengthUnit::kCodePoints:
      return to - from;
    case LengthUnit::kUtf8Bytes:
      for (size_t k = from; k < to; ++k) n += cps[k].end - cps[k].begin;
      return n;
    case LengthUnit::kUtf16Units:
      for (size_t k = from; k < to; ++k) n += cps[k].cp >= 0x10000 ? 2 : 1;
      return n;
    case LengthUnit::kThreadsChars:
      for (size_t k = from; k < to; ++k) n += cps[k].cp < 0x80 ? 1 : cps[k].end - cps[k].begin;
      return n;
    case LengthUnit::kGraphemes:
      ForEachCluster(cps, from, to, [&](size_t, size_t) { ++n; });
      return n;
    case LengthUnit::kXWeighted:
      ForEachCluster(cps, from, to, [&](size_t first, size_t last) {
        if (IsEmojiCluster(cps, first, last)) {
          n += 2;
          return;
        }
        for (size_t k = first; k < last; ++k) n += XWeight(cps[k].cp);
      });
      return n;
  }
  return to - from;
}

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

void CheckBannedTerms(const std::vector<std::string>& terms, const internal::TermMatcher& matcher,
                      std::vector<ContentFinding>& out) {
  std::vector<ContentFinding> found;
  for (const auto& term : terms)
    for (const Span& s : matcher.Find(term)) found.push_back({"content.banned_term", Quote(term), s.begin, s.end});
  std::stable_sort(found.begin(), found.end(),
                   [](const ContentFinding& a, const ContentFinding& b) { return a.begin < b.begin; });
  // Two spellings of one term in the list ("RivalCorp", "rivalcorp") report a place once.
  for (auto& f : found) {
    const bool seen = std::any_of(out.begin(), out.end(), [&](const ContentFinding& g) {
      return g.rule == f.rule && g.begin == f.begin && g.end == f.end;
    });
    if (!seen) out.push_back(std::move(f));
  }
}

void CheckRequireAny(const std::vector<std::string>& options, const internal::TermMatcher& matcher,
                     std::vector<ContentFinding>& out) {
  if (options.empty()) return;
  for (const auto& option : options)
    if (!matcher.Find(option).empty()) return;
  std::string detail = "none of ";
  for (size_t k = 0; k < options.size(); ++k) detail += (k == 0 ? "" : ", ") + Quote(options[k]);
  detail += " appears";
  out.push_back({"content.require_any", std::move(detail), 0, 0});
}

}  // namespace

std::vector<ContentFinding> CheckContent(const ContentRules& rules, std::span<const LengthRule> length,
                                         std::string_view text) {
  std::vector<ContentFinding> out;
  const auto cps = internal::DecodeUtf8(text);
  if (!cps) {
    const auto lossy = internal::DecodeUtf8Lossy(text);
    const auto bad = std::find_if(lossy.begin(), lossy.end(),
                                  [](const CodePoint& c) { return c.cp == 0xFFFD && c.end - c.begin == 1; });
    const size_t at = bad == lossy.end() ? 0 : bad->begin;
    out.push_back({"content.encoding", "text is not valid UTF-8 (bad byte at offset " + std::to_string(at) + ")", at,
                   at + 1});
    return out;
  }

  const internal::TermMatcher matcher(*cps);
  CheckBannedTerms(rules.banned_terms, matcher, out);

  std::vector<Detector> detectors;
  for (Detector d : rules.block_patterns)
    if (std::find(detectors.begin(), detectors.end(), d) == detectors.end()) detectors.push_back(d);
  for (Detector d : detectors)
    for (auto& hit : RunDetector(d, text))
      out.push_back({std::string(RuleName(d)), std::move(hit.what), hit.span.begin, hit.span.end});

  CheckRequireAny(rules.require_any, matcher, out);

  for (const LengthRule& rule : length) {
    if (rule.max <= 0) continue;
    const size_t n = CountLength(text, rule.unit, rule.url_weight);
    if (n > static_cast<size_t>(rule.max)) {
      out.push_back({"content.length",
                     std::to_string(n) + " " + std::string(UnitName(rule.unit)) + ", at most " +
                         std::to_string(rule.max),
                     0, text.size()});
    }
  }
  return out;
}

size_t CountLength(std::string_view text, LengthUnit unit, int url_weight) {
  std::string normalized;
  if (unit == LengthUnit::kXWeighted) {
    normalized = Nfc(text);
    text = normalized;
  }
  const auto cps = internal::DecodeUtf8Lossy(text);
  if (url_weight <= 0) return CountRange(cps, 0, cps.size(), unit);
  size_t total = 0;
  size_t k = 0;
  for (const Span& url : internal::FindUrls(cps)) {
    size_t first = k;
    while (first < cps.size() && cps[first].begin < url.begin) ++first;
    total += CountRange(cps, k, first, unit);
    total += static_cast<size_t>(url_weight);
    k = first;
    while (k < cps.size() && cps[k].begin < url.end) ++k;
  }
  return total + CountRange(cps, k, cps.size(), unit);
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

namespace herald::policies {

struct ContentChecker::Compiled {
  ContentRules rules;
  std::vector<LengthRule> length;
};

ContentChecker::ContentChecker() : compiled_(std::make_shared<const Compiled>()) {}

ContentChecker::ContentChecker(const ContentRules& rules, std::span<const LengthRule> length)
    : compiled_(std::make_shared<const Compiled>(Compiled{rules, {length.begin(), length.end()}})) {}

std::vector<ContentFinding> ContentChecker::Check(std::string_view text) const {
  return CheckContent(compiled_->rules, compiled_->length, text);
}

}  // namespace herald::policies
