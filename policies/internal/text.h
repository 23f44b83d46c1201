// Unicode text helpers for content rules (policies/content.h): UTF-8 decoding
// with byte offsets, word and space classes, case-insensitive whole-word term
// search, URL extents and text length. Each search and count has a general
// form over decoded code points and a fast form for pure-ASCII text that gives
// the same answer without folding or normalising. Internal to policies/. Pure
// functions and immutable objects; thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policies/presets.h"

namespace herald::policies::internal {

// One decoded code point and its byte span [begin, end) in the text.
struct CodePoint {
  char32_t cp = 0;
  size_t begin = 0;
  size_t end = 0;
};

// A byte span [begin, end) of a text.
struct Span {
  size_t begin = 0;
  size_t end = 0;

  friend bool operator==(Span, Span) = default;
};

// The code points of `text`, or nullopt when it is not valid UTF-8 (overlong
// forms, surrogates and values above U+10FFFF are invalid).
std::optional<std::vector<CodePoint>> DecodeUtf8(std::string_view text);

// Like DecodeUtf8 but never fails: each invalid byte becomes U+FFFD.
std::vector<CodePoint> DecodeUtf8Lossy(std::string_view text);

// True when every byte of `text` is below 0x80 (then it is valid UTF-8, its
// own NFC, and each byte is one code point).
bool IsAscii(std::string_view text);

// Unicode letters (L*), digits (Nd, Nl, No), combining marks (M*) and the
// connector punctuation '_' (Pc). Marks count so that a term never ends in
// the middle of an accented letter written with a combining accent.
bool IsWordChar(char32_t cp);

// Unicode White_Space (Zs, Zl, Zp, TAB, LF, VT, FF, CR, NEL).
bool IsSpace(char32_t cp);

// A search term folded once: its words, split at whitespace, each folded the
// way TermMatcher folds text. No words: the term never matches.
struct FoldedTerm {
  std::vector<std::u32string> words;
  // The same words as bytes when every folded code point is ASCII; otherwise
  // empty, and the term cannot occur in ASCII text.
  std::vector<std::string> ascii_words;
};

FoldedTerm FoldTerm(std::string_view term);

// A case-insensitive, whole-word search index over one text. Each code point
// is folded with full Unicode case folding and canonical decomposition, so NFC
// and NFD spellings match each other; U+0130 (İ) folds to plain "i".
// REQUIRES: `text` outlives the matcher.
class TermMatcher {
 public:
  explicit TermMatcher(const std::vector<CodePoint>& text);

  // Every non-overlapping occurrence of `term` as a whole word, in text order.
  // Words of a multi-word term match across one run of whitespace. A side of
  // the term that is a word character needs a non-word character (or the text's
  // edge) beside it; a side that is punctuation ("#acme") needs nothing.
  std::vector<Span> Find(std::string_view term) const;
  std::vector<Span> Find(const FoldedTerm& term) const;

 private:
  const std::vector<CodePoint>& text_;
  std::vector<char32_t> folded_;
  std::vector<size_t> origin_;  // folded_[i] comes from text_[origin_[i]]
};

// Folds one string the way TermMatcher folds text.
std::u32string FoldCase(std::string_view s);

// One occurrence of terms_[term] found by AsciiTermSearch.
struct TermHit {
  size_t term = 0;
  Span span;
};

// TermMatcher's search for a fixed list of terms over pure-ASCII text, in one
// pass and without folding the text: for ASCII, folding is lowering A-Z and
// each byte is one code point.
class AsciiTermSearch {
 public:
  // REQUIRES: `terms` outlives the search.
  explicit AsciiTermSearch(std::span<const FoldedTerm> terms);

  // For each term, exactly TermMatcher(text).Find(term), as hits ordered by
  // span.begin and, at one begin, by term index. REQUIRES: IsAscii(text).
  std::vector<TermHit> Find(std::string_view text) const;

  // Whether Find(text) would be non-empty. REQUIRES: IsAscii(text).
  bool Any(std::string_view text) const;

 private:
  template <class OnHit>
  void Scan(std::string_view text, OnHit on_hit) const;

  std::span<const FoldedTerm> terms_;
  // by_first_[first_[b], first_[b + 1]) are the indexes, ascending, of the
  // searchable terms whose first byte is b.
  std::array<uint32_t, 129> first_{};
  std::vector<uint32_t> by_first_;
  // starts_[c]: some term's first byte is c or, for a letter, its lower case.
  std::array<bool, 256> starts_{};
};

// The scheme URLs (http:// or https://, any case) of the text: from the scheme
// to the next whitespace, without trailing sentence punctuation (. , ; : ! ? ' ")
// and without a trailing ')' that closes nothing inside the URL.
std::vector<Span> FindUrls(const std::vector<CodePoint>& text);

// FindUrls for pure-ASCII text. REQUIRES: IsAscii(text).
std::vector<Span> FindUrlsAscii(std::string_view text);

// Length of `text` in `unit`, each URL counted as `url_weight` when > 0 (see
// CountLength in policies/content.h), over decoded code points.
size_t CountLengthGeneral(std::string_view text, LengthUnit unit, int url_weight);

// CountLengthGeneral for pure-ASCII text, where NFC is the identity, no
// cluster is an emoji and graphemes are bytes except that "\r\n" is one.
// REQUIRES: IsAscii(text).
size_t CountLengthAscii(std::string_view text, LengthUnit unit, int url_weight);

}  // namespace herald::policies::internal
