// Unicode text helpers for content rules (policies/content.h): UTF-8 decoding
// with byte offsets, word and space classes, case-insensitive whole-word term
// search and URL extents. Internal to policies/. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
};

// The code points of `text`, or nullopt when it is not valid UTF-8 (overlong
// forms, surrogates and values above U+10FFFF are invalid).
std::optional<std::vector<CodePoint>> DecodeUtf8(std::string_view text);

// Like DecodeUtf8 but never fails: each invalid byte becomes U+FFFD.
std::vector<CodePoint> DecodeUtf8Lossy(std::string_view text);

// Unicode letters (L*), digits (Nd, Nl, No), combining marks (M*) and the
// connector punctuation '_' (Pc). Marks count so that a term never ends in
// the middle of an accented letter written with a combining accent.
bool IsWordChar(char32_t cp);

// Unicode White_Space (Zs, Zl, Zp, TAB, LF, VT, FF, CR, NEL).
bool IsSpace(char32_t cp);

// A case-insensitive, whole-word search index over one text. Each code point
// is folded with full Unicode case folding and canonical decomposition, so NFC
// and NFD spellings match each other; U+0130 (İ) folds to plain "i".
class TermMatcher {
 public:
  explicit TermMatcher(const std::vector<CodePoint>& text);

  // Every non-overlapping occurrence of `term` as a whole word, in text order.
  // Words of a multi-word term match across one run of whitespace. A side of
  // the term that is a word character needs a non-word character (or the text's
  // edge) beside it; a side that is punctuation ("#acme") needs nothing.
  std::vector<Span> Find(std::string_view term) const;

 private:
  const std::vector<CodePoint>& text_;
  std::vector<char32_t> folded_;
  std::vector<size_t> origin_;  // folded_[i] comes from text_[origin_[i]]
};

// Folds one string the way TermMatcher folds text.
std::u32string FoldCase(std::string_view s);

// The scheme URLs (http:// or https://, any case) of the text: from the scheme
// to the next whitespace, without trailing sentence punctuation (. , ; : ! ? ' ")
// and without a trailing ')' that closes nothing inside the URL.
std::vector<Span> FindUrls(const std::vector<CodePoint>& text);

}  // namespace herald::policies::internal
