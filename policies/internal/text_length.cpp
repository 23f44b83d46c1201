// Text length in each platform's unit (CountLength in policies/content.h):
// grapheme clusters and twitter-text weights through utf8proc, links counted at
// a fixed weight. Internal to policies/; pure.
#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "policies/internal/text.h"

namespace herald::policies::internal {
namespace {

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

// CountRange over text[from, to) of ASCII text: every unit counts a byte as
// one, except that a grapheme "\r\n" is one.
size_t CountAsciiRange(std::string_view text, size_t from, size_t to, LengthUnit unit) {
  size_t n = to - from;
  if (unit == LengthUnit::kGraphemes)
    for (size_t k = from; k + 1 < to; ++k) n -= text[k] == '\r' && text[k + 1] == '\n';
  return n;
}

}  // namespace

size_t CountLengthGeneral(std::string_view text, LengthUnit unit, int url_weight) {
  std::string normalized;
  if (unit == LengthUnit::kXWeighted) {
    normalized = Nfc(text);
    text = normalized;
  }
  const auto cps = DecodeUtf8Lossy(text);
  if (url_weight <= 0) return CountRange(cps, 0, cps.size(), unit);
  size_t total = 0;
  size_t k = 0;
  for (const Span& url : FindUrls(cps)) {
    size_t first = k;
    while (first < cps.size() && cps[first].begin < url.begin) ++first;
    total += CountRange(cps, k, first, unit);
    total += static_cast<size_t>(url_weight);
    k = first;
    while (k < cps.size() && cps[k].begin < url.end) ++k;
  }
  return total + CountRange(cps, k, cps.size(), unit);
}

size_t CountLengthAscii(std::string_view text, LengthUnit unit, int url_weight) {
  if (url_weight <= 0) return CountAsciiRange(text, 0, text.size(), unit);
  size_t total = 0;
  size_t k = 0;
  for (const Span& url : FindUrlsAscii(text)) {
    total += CountAsciiRange(text, k, url.begin, unit) + static_cast<size_t>(url_weight);
    k = url.end;
  }
  return total + CountAsciiRange(text, k, text.size(), unit);
}

}  // namespace herald::policies::internal
