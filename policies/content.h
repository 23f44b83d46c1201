// Content rules (`content:`, docs/policy.md): banned terms, leakage detectors,
// require_any and the platform's text length in the platform's own unit.
// Pure functions over text and an immutable precompiled checker; thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policies/policy.h"
#include "policies/presets.h"

namespace herald::policies {

// One broken content rule. `rule` is one of content.banned_term, content.email,
// content.phone, content.credit_card, content.secret, content.require_any,
// content.length; `detail` says what matched in words a person can act on
// ("\"RivalCorp\"", "412 graphemes, at most 300"); [begin, end) is the offending
// byte span of the text (empty for require_any, the whole text for length).
struct ContentFinding {
  std::string rule;
  std::string detail;
  size_t begin = 0;
  size_t end = 0;

  friend bool operator==(const ContentFinding&, const ContentFinding&) = default;
};

// Every finding for `text` under `rules` and the platform's length rules, in
// text order per rule. Invalid UTF-8 is itself a finding (content.encoding)
// and then the only one. Never throws.
//
// Matching, as decided for herald:
// * banned_terms and require_any match case-insensitively (full Unicode case
//   folding plus canonical decomposition, so NFC and NFD spellings match; "İ"
//   folds to "i", "ß" to "ss") and as whole words: a side of the term that is a
//   word character (letter, digit, combining mark, '_') needs a non-word
//   character or the text's edge beside it. "RivalCorp" matches "(RivalCorp)",
//   "rivalcorp!" and "RivalCorp's" (an apostrophe is a boundary), not
//   "RivalCorporation" or "myRivalCorp". A punctuation side ("#acme") needs
//   nothing, so "#acme" is met by "x #acme" but not by "#acmecorp". Words of a
//   multi-word term match across one run of whitespace, not across '-' or ','.
//   Accents are significant ("Uber" does not match "Über"); look-alike letters
//   from other scripts are not folded.
// * Detector findings say what was found ("e-mail address", "AWS access key
//   id") and never repeat the matched text; the span locates it. Order: rules
//   in the order banned_term, block_patterns as listed, require_any, length.
//   email: local@domain with a dot in the domain and an alphabetic TLD of 2+
//   letters; "@user@host" fediverse handles and "user@localhost" are not e-mail.
//   phone: see FindPhones in policies/internal/detectors.h (bare digit runs
//   without '+' are not phones). credit_card: 13-19 digits, issuer digit 2-6,
//   Luhn; card numbers are never reported as phones.
// * Length rules with max <= 0 are not checked. Only scheme URLs (http://,
//   https://) count as URLs; X's bare-domain links and Mastodon's free
//   "@domain" part of mentions are not modelled (Mastodon is overcounted).
std::vector<ContentFinding> CheckContent(const ContentRules& rules, std::span<const LengthRule> length,
                                         std::string_view text);

// CheckContent with the rules compiled once: banned terms and require_any
// options are folded at construction, so each Check only scans the text.
// Check gives exactly the findings CheckContent gives for the same rules.
// Immutable after construction: Check is const and safe to call from many
// threads at once. Copies are cheap and share the compiled rules.
class ContentChecker {
 public:
  // A checker for no rules: Check reports only invalid UTF-8.
  ContentChecker();
  // Copies what it needs from `rules` and `length`; neither is referenced later.
  ContentChecker(const ContentRules& rules, std::span<const LengthRule> length);

  // Every finding for `text`, as CheckContent(rules, length, text). Never throws
  // except std::bad_alloc.
  std::vector<ContentFinding> Check(std::string_view text) const;

 private:
  struct Compiled;
  std::shared_ptr<const Compiled> compiled_;  // never null
};

// Length of `text` in `unit`, each URL counted as `url_weight` when > 0.
// kXWeighted normalises to NFC first and counts an emoji grapheme (with ZWJ,
// modifiers, flags, keycaps) as 2. Invalid UTF-8 bytes count as U+FFFD.
size_t CountLength(std::string_view text, LengthUnit unit, int url_weight = 0);

// Name of a detector as written in policy files: "email", "phone", ...
std::string_view DetectorName(Detector d);

}  // namespace herald::policies
