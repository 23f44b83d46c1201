#include "policies/internal/countable_text.h"

#include "core/top_level_domains.h"

namespace herald::policies::internal {
namespace {

// Bytes of a multi-byte UTF-8 character count as word characters: close
// enough for Mastodon's [[:word:]] around a mention and X's preceding-character
// rule, which only single out ASCII punctuation besides.
bool Word(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80; }
bool AsciiAlnum(unsigned char c) { return c < 0x80 && Word(c) && c != '_'; }
bool Username(unsigned char c) { return c < 0x80 && (Word(c) || c == '.' || c == '-'); }

// Mastodon's Account::MENTION_RE,
// (?<![=/[:word:]])@(([a-z0-9_]+([a-z0-9_.-]+[a-z0-9_]+)?)(?:@[[:word:].-]+[[:word:]]+)?),
// with each match replaced by "@" and the username.
std::string LocalMentions(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool starts = c == '@' && (i == 0 || (text[i - 1] != '=' && text[i - 1] != '/' && !Word(static_cast<unsigned char>(text[i - 1]))));
    if (!starts) {
      out.push_back(text[i++]);
      continue;
    }
    size_t u = i + 1, e = u;
    if (e < text.size() && Word(static_cast<unsigned char>(text[e])) && static_cast<unsigned char>(text[e]) < 0x80) {
      while (e < text.size() && Username(static_cast<unsigned char>(text[e]))) ++e;
      while (e > u && (text[e - 1] == '.' || text[e - 1] == '-')) --e;  // the username ends in [a-z0-9_]
    }
    if (e == u) {
      out.push_back(text[i++]);
      continue;
    }
    out.append(text.substr(i, e - i));
    i = e;
    if (i < text.size() && text[i] == '@') {
      size_t d = i + 1, f = d;
      while (f < text.size() && (Word(static_cast<unsigned char>(text[f])) || text[f] == '.' || text[f] == '-')) ++f;
      while (f > d && (text[f - 1] == '.' || text[f - 1] == '-')) --f;  // the domain ends in [[:word:]]
      if (f >= d + 2) i = f;                                            // "@domain" is left out of the count
    }
  }
  return out;
}

// twitter-text's URLs without a protocol, given "https://" so the weighted
// URL count sees them: a domain whose last label is a top-level domain, not
// preceded by a letter, digit or one of @ ＠ $ # ＃ - _ . / :, with its path; a
// two-label domain under a two-letter (country) domain only with a path.
std::string BareDomainUrls(std::string_view text) {
  std::string out;
  size_t i = 0;
  auto preceded_ok = [&](size_t k) {
    if (k == 0) return true;
    const auto p = static_cast<unsigned char>(text[k - 1]);
    if (AsciiAlnum(p) || std::string_view("@$#-_./:").find(static_cast<char>(p)) != std::string_view::npos) return false;
    if (k >= 3 && (text.substr(k - 3, 3) == "\xEF\xBC\xA0" || text.substr(k - 3, 3) == "\xEF\xBC\x83")) return false;
    return true;
  };
  while (i < text.size()) {
    if (!AsciiAlnum(static_cast<unsigned char>(text[i])) || !preceded_ok(i)) {
      out.push_back(text[i++]);
      continue;
    }
    // Labels of letters, digits and inner hyphens, separated by dots.
    size_t k = i, labels = 0, domain_end = i, tld_len = 0, count_at_end = 0;
    while (true) {
      size_t s = k;
      while (k < text.size() && (AsciiAlnum(static_cast<unsigned char>(text[k])) || text[k] == '-')) ++k;
      if (k == s || text[s] == '-' || text[k - 1] == '-') break;
      ++labels;
      std::string label(text.substr(s, k - s));
      for (char& ch : label) ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
      if (labels >= 2 && IsTopLevelDomain(label)) {
        domain_end = k;
        tld_len = label.size();
        count_at_end = labels;
      }
      if (k + 1 < text.size() && text[k] == '.' && AsciiAlnum(static_cast<unsigned char>(text[k + 1]))) {
        ++k;
        continue;
      }
      break;
    }
    if (domain_end == i) {  // not a domain: copy the word as it is
      while (i < k) out.push_back(text[i++]);
      continue;
    }
    const bool path = domain_end < text.size() && text[domain_end] == '/';
    const bool boundary = domain_end == text.size() || !(AsciiAlnum(static_cast<unsigned char>(text[domain_end])) ||
                                                         text[domain_end] == '-' || text[domain_end] == '_' ||
                                                         text[domain_end] == '@');
    if (boundary && (path || !(count_at_end == 2 && tld_len == 2))) out += "https://";
    while (i < domain_end) out.push_back(text[i++]);
  }
  return out;
}

}  // namespace

std::optional<std::string> CountableText(std::string_view text, const LengthRule& rule) {
  // X's weighted count is twitter-text's, which finds URLs without a scheme;
  // graphemes with URLs at a fixed weight is Mastodon's count, which also
  // shortens remote mentions. No other preset counts either way.
  const bool bare_domain_urls = rule.unit == LengthUnit::kXWeighted && rule.url_weight > 0;
  const bool local_mentions = rule.unit == LengthUnit::kGraphemes && rule.url_weight > 0;
  // Without an '@' or a '.' there is nothing to rewrite: no copy of the text.
  const bool mentions = local_mentions && text.find('@') != std::string_view::npos;
  if (!mentions && !(bare_domain_urls && text.find('.') != std::string_view::npos)) return std::nullopt;
  std::string out(text);
  if (mentions) out = LocalMentions(out);
  if (bare_domain_urls && out.find('.') != std::string::npos) out = BareDomainUrls(out);
  if (out == text) return std::nullopt;
  return out;
}

}  // namespace herald::policies::internal
