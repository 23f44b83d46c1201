#include "policies/internal/text.h"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace herald::policies::internal {
namespace {

// Decodes the code point at `i`; returns its length, or 0 when the bytes there
// are not a valid UTF-8 sequence.
size_t DecodeAt(std::string_view s, size_t i, char32_t& out) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    out = b0;
    return 1;
  }
  size_t len;
  char32_t cp;
  char32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  out = cp;
  return len;
}

// Appends the folded form of one code point.
void FoldInto(char32_t cp, std::u32string& out) {
  // ASCII has no decompositions and folds only A-Z; skip utf8proc for it.
  if (cp < 0x80) {
    out.push_back((cp >= 'A' && cp <= 'Z') ? cp - 'A' + 'a' : cp);
    return;
  }
  // Full case folding maps U+0130 to "i" + U+0307, which would keep "RİVALCORP"
  // from matching "rivalcorp"; the Turkic folding to plain "i" is what a reader
  // sees, so use it for this one letter.
  if (cp == 0x130) {
    out.push_back(U'i');
    return;
  }
  utf8proc_int32_t buf[32];
  int boundclass = 0;
  const auto n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(cp), buf, 32,
                                         static_cast<utf8proc_option_t>(UTF8PROC_CASEFOLD | UTF8PROC_DECOMPOSE),
                                         &boundclass);
  if (n <= 0 || n > 32) {
    out.push_back(cp);
    return;
  }
  for (utf8proc_ssize_t k = 0; k < n; ++k) out.push_back(static_cast<char32_t>(buf[k]));
}

// A term split into folded words.
std::vector<std::u32string> FoldedWords(std::string_view term) {
  std::vector<std::u32string> words(1);
  for (const auto& c : DecodeUtf8Lossy(term)) {
    if (IsSpace(c.cp)) {
      if (!words.back().empty()) words.emplace_back();
    } else {
      FoldInto(c.cp, words.back());
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

bool IsAsciiSpace(char32_t cp) { return cp == ' ' || (cp >= 0x09 && cp <= 0x0D); }

constexpr std::array<unsigned char, 128> kAsciiLower = [] {
  std::array<unsigned char, 128> t{};
  for (int c = 0; c < 128; ++c) t[c] = static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return t;
}();

constexpr std::array<bool, 128> kAsciiWord = [] {
  std::array<bool, 128> t{};
  for (int c = 0; c < 128; ++c)
    t[c] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  return t;
}();

unsigned char LowerAt(std::string_view s, size_t i) { return kAsciiLower[static_cast<unsigned char>(s[i]) & 0x7F]; }
bool WordAt(std::string_view s, size_t i) { return kAsciiWord[static_cast<unsigned char>(s[i]) & 0x7F]; }

}  // namespace

std::optional<std::vector<CodePoint>> DecodeUtf8(std::string_view text) {
  std::vector<CodePoint> out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    char32_t cp;
    const size_t len = DecodeAt(text, i, cp);
    if (len == 0) return std::nullopt;
    out.push_back({cp, i, i + len});
    i += len;
  }
  return out;
}

bool IsAscii(std::string_view text) {
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  const char* p = text.data();
  size_t n = text.size();
  uint64_t acc = 0;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    acc |= w;
  }
  for (; n > 0; ++p, --n) acc |= static_cast<unsigned char>(*p);
  return (acc & kHigh) == 0;
}

std::vector<CodePoint> DecodeUtf8Lossy(std::string_view text) {
  std::vector<CodePoint> out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    char32_t cp;
    size_t len = DecodeAt(text, i, cp);
    if (len == 0) cp = 0xFFFD, len = 1;
    out.push_back({cp, i, i + len});
    i += len;
  }
  return out;
}

bool IsWordChar(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') || cp == '_';
  }
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
    case UTF8PROC_CATEGORY_PC:
      return true;
    default:
      return false;
  }
}

bool IsSpace(char32_t cp) {
  if (cp < 0x80) return IsAsciiSpace(cp);
  if (cp == 0x85) return true;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
      return true;
    default:
      return false;
  }
}

std::u32string FoldCase(std::string_view s) {
  std::u32string out;
  for (const auto& c : DecodeUtf8Lossy(s)) FoldInto(c.cp, out);
  return out;
}

TermMatcher::TermMatcher(const std::vector<CodePoint>& text) : text_(text) {
  std::u32string one;
  for (size_t i = 0; i < text.size(); ++i) {
    one.clear();
    FoldInto(text[i].cp, one);
    for (char32_t f : one) {
      folded_.push_back(f);
      origin_.push_back(i);
    }
  }
}

FoldedTerm FoldTerm(std::string_view term) {
  FoldedTerm out;
  out.words = FoldedWords(term);
  const bool ascii = std::all_of(out.words.begin(), out.words.end(), [](const std::u32string& w) {
    return std::all_of(w.begin(), w.end(), [](char32_t c) { return c < 0x80; });
  });
  if (ascii)
    for (const auto& w : out.words) out.ascii_words.emplace_back(w.begin(), w.end());
  return out;
}

std::vector<Span> TermMatcher::Find(std::string_view term) const { return Find(FoldTerm(term)); }

std::vector<Span> TermMatcher::Find(const FoldedTerm& term) const {
  std::vector<Span> found;
  const auto& words = term.words;
  if (words.empty()) return found;
  const size_t n = folded_.size();
  for (size_t i = 0; i < n;) {
    // A match starts and ends on whole code points of the original text, so a
    // term never matches half of a letter that folds to two ("ß" -> "ss").
    if (i > 0 && origin_[i] == origin_[i - 1]) {
      ++i;
      continue;
    }
    size_t j = i;
    bool ok = true;
    for (size_t w = 0; ok && w < words.size(); ++w) {
      if (w > 0) {
        if (j >= n || !IsSpace(folded_[j])) {
          ok = false;
          break;
        }
        while (j < n && IsSpace(folded_[j])) ++j;
      }
      const auto& word = words[w];
      if (j + word.size() > n || !std::equal(word.begin(), word.end(), folded_.begin() + j)) ok = false;
      j += word.size();
    }
    if (!ok || (j < n && origin_[j] == origin_[j - 1])) {
      ++i;
      continue;
    }
    const size_t first = origin_[i];
    const size_t last = origin_[j - 1];
    const bool open_left = IsWordChar(text_[first].cp) && first > 0 && IsWordChar(text_[first - 1].cp);
    const bool open_right =
        IsWordChar(text_[last].cp) && last + 1 < text_.size() && IsWordChar(text_[last + 1].cp);
    if (open_left || open_right) {
      ++i;
      continue;
    }
    found.push_back({text_[first].begin, text_[last].end});
    i = j;
  }
  return found;
}

std::vector<Span> FindUrls(const std::vector<CodePoint>& text) {
  std::vector<Span> urls;
  auto lower_at = [&](size_t k) -> char32_t {
    char32_t c = text[k].cp;
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
  };
  auto starts_with = [&](size_t k, std::u32string_view prefix) {
    if (k + prefix.size() > text.size()) return false;
    for (size_t m = 0; m < prefix.size(); ++m)
      if (lower_at(k + m) != prefix[m]) return false;
    return true;
  };
  for (size_t i = 0; i < text.size();) {
    size_t scheme = 0;
    if (starts_with(i, U"https://")) scheme = 8;
    else if (starts_with(i, U"http://")) scheme = 7;
    if (scheme == 0 || (i > 0 && IsWordChar(text[i - 1].cp))) {
      ++i;
      continue;
    }
    size_t end = i + scheme;
    while (end < text.size() && !IsSpace(text[end].cp) && text[end].cp >= 0x20 && text[end].cp != 0x7F) ++end;
    // Strip trailing punctuation; a ')' stays only when it closes a '(' inside.
    while (end > i + scheme) {
      const char32_t c = text[end - 1].cp;
      if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '\'' || c == '"') {
        --end;
        continue;
      }
      if (c == ')') {
        int depth = 0;
        for (size_t k = i; k < end; ++k) depth += text[k].cp == '(' ? 1 : text[k].cp == ')' ? -1 : 0;
        if (depth < 0) {
          --end;
          continue;
        }
      }
      break;
    }
    if (end == i + scheme) {
      i += scheme;
      continue;
    }
    urls.push_back({text[i].begin, text[end - 1].end});
    i = end;
  }
  return urls;
}

AsciiTermSearch::AsciiTermSearch(std::span<const FoldedTerm> terms) : terms_(terms) {
  for (const auto& t : terms_)
    if (!t.ascii_words.empty()) ++first_[static_cast<unsigned char>(t.ascii_words[0][0]) + 1];
  for (size_t b = 0; b < 128; ++b) {
    if (first_[b + 1] != 0) starts_[b] = starts_[b >= 'a' && b <= 'z' ? b - 'a' + 'A' : b] = true;
    first_[b + 1] += first_[b];
  }
  by_first_.resize(first_[128]);
  auto fill = first_;
  for (size_t k = 0; k < terms_.size(); ++k)
    if (!terms_[k].ascii_words.empty())
      by_first_[fill[static_cast<unsigned char>(terms_[k].ascii_words[0][0])]++] = static_cast<uint32_t>(k);
}

// Each term is matched as TermMatcher::Find would: at every position from left
// to right, and after a match not again before its end. `next` holds that
// resume position per term, so one pass serves all terms and yields the hits
// in (begin, term) order. on_hit returns false to stop.
template <class OnHit>
void AsciiTermSearch::Scan(std::string_view text, OnHit on_hit) const {
  if (by_first_.empty()) return;
  const size_t n = text.size();
  std::array<size_t, 32> small;
  std::vector<size_t> large;
  size_t* next = nullptr;  // set up at the first candidate: most texts have few
  for (size_t i = 0; i < n; ++i) {
    const auto raw = static_cast<unsigned char>(text[i]);
    if (!starts_[raw]) continue;
    if (next == nullptr) {
      if (terms_.size() <= small.size()) {
        small.fill(0);
        next = small.data();
      } else {
        large.assign(terms_.size(), 0);
        next = large.data();
      }
    }
    const unsigned char b = kAsciiLower[raw];
    for (uint32_t k = first_[b]; k < first_[b + 1]; ++k) {
      const uint32_t t = by_first_[k];
      if (i < next[t]) continue;
      const auto& words = terms_[t].ascii_words;
      // A term starting with a word character cannot start inside a word.
      if (i > 0 && WordAt(text, i) && WordAt(text, i - 1)) continue;
      size_t j = i;
      bool ok = true;
      for (size_t w = 0; ok && w < words.size(); ++w) {
        if (w > 0) {
          if (j >= n || !IsAsciiSpace(static_cast<unsigned char>(text[j]))) {
            ok = false;
            break;
          }
          while (j < n && IsAsciiSpace(static_cast<unsigned char>(text[j]))) ++j;
        }
        const std::string& word = words[w];
        if (j + word.size() > n) {
          ok = false;
          break;
        }
        for (size_t m = 0; m < word.size(); ++m) {
          if (LowerAt(text, j + m) != static_cast<unsigned char>(word[m])) {
            ok = false;
            break;
          }
        }
        j += word.size();
      }
      if (!ok) continue;
      const bool open_left = WordAt(text, i) && i > 0 && WordAt(text, i - 1);
      const bool open_right = WordAt(text, j - 1) && j < n && WordAt(text, j);
      if (open_left || open_right) continue;
      next[t] = j;
      if (!on_hit(TermHit{t, {i, j}})) return;
    }
  }
}

std::vector<TermHit> AsciiTermSearch::Find(std::string_view text) const {
  std::vector<TermHit> hits;
  Scan(text, [&](const TermHit& h) {
    hits.push_back(h);
    return true;
  });
  return hits;
}

bool AsciiTermSearch::Any(std::string_view text) const {
  bool any = false;
  Scan(text, [&](const TermHit&) {
    any = true;
    return false;
  });
  return any;
}

std::vector<Span> FindUrlsAscii(std::string_view text) {
  std::vector<Span> urls;
  if (text.find("://") == std::string_view::npos) return urls;  // every URL has one
  const size_t n = text.size();
  auto starts_with = [&](size_t k, std::string_view prefix) {
    if (k + prefix.size() > n) return false;
    for (size_t m = 0; m < prefix.size(); ++m)
      if (LowerAt(text, k + m) != static_cast<unsigned char>(prefix[m])) return false;
    return true;
  };
  for (size_t i = 0; i < n;) {
    if (LowerAt(text, i) != 'h') {
      ++i;
      continue;
    }
    size_t scheme = 0;
    if (starts_with(i, "https://")) scheme = 8;
    else if (starts_with(i, "http://")) scheme = 7;
    if (scheme == 0 || (i > 0 && WordAt(text, i - 1))) {
      ++i;
      continue;
    }
    size_t end = i + scheme;
    while (end < n) {
      const auto c = static_cast<unsigned char>(text[end]);
      if (IsAsciiSpace(c) || c < 0x20 || c == 0x7F) break;
      ++end;
    }
    while (end > i + scheme) {
      const char c = text[end - 1];
      if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '\'' || c == '"') {
        --end;
        continue;
      }
      if (c == ')') {
        int depth = 0;
        for (size_t k = i; k < end; ++k) depth += text[k] == '(' ? 1 : text[k] == ')' ? -1 : 0;
        if (depth < 0) {
          --end;
          continue;
        }
      }
      break;
    }
    if (end == i + scheme) {
      i += scheme;
      continue;
    }
    urls.push_back({i, end});
    i = end;
  }
  return urls;
}

}  // namespace herald::policies::internal
