#include "connectors/bluesky/rich_text.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>

#include "core/top_level_domains.h"

namespace herald::connectors {
namespace {

struct CodePointRange {
  char32_t first;
  char32_t last;
};
#include "connectors/bluesky/internal/rich_text_tables.inc"

template <size_t N>
bool In(const CodePointRange (&table)[N], char32_t c) {
  auto it = std::upper_bound(std::begin(table), std::end(table), c,
                             [](char32_t v, const CodePointRange& r) { return v < r.first; });
  return it != std::begin(table) && c <= std::prev(it)->last;
}

// The text as code points, with the byte offset of each (and of the end).
// The official client's patterns run on UTF-16 code units; none of the
// characters they single out is outside the BMP, so matching code points
// finds the same matches.
struct CodePoints {
  std::vector<char32_t> cp;
  std::vector<size_t> at;  // at.size() == cp.size() + 1

  explicit CodePoints(std::string_view s) : text(s) {
    size_t i = 0;
    while (i < s.size()) {
      auto b = static_cast<unsigned char>(s[i]);
      size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
      char32_t c = len == 1 ? b : len == 2 ? b & 0x1F : len == 3 ? b & 0x0F : b & 0x07;
      bool ok = len > 0 && i + len <= s.size();
      for (size_t k = 1; ok && k < len; ++k) {
        auto cont = static_cast<unsigned char>(s[i + k]);
        ok = (cont & 0xC0) == 0x80;
        c = (c << 6) | (cont & 0x3F);
      }
      if (!ok) {
        c = 0xFFFD;
        len = 1;
      }
      cp.push_back(c);
      at.push_back(i);
      i += len;
    }
    at.push_back(s.size());
  }
  size_t size() const { return cp.size(); }
  // The bytes of code points [from, to).
  std::string Bytes(size_t from, size_t to) const { return std::string(text.substr(at[from], at[to] - at[from])); }

  std::string_view text;
};

bool IsSpace(char32_t c) { return In(kWhiteSpace, c); }
bool IsAsciiAlpha(char32_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char32_t c) { return c >= '0' && c <= '9'; }
bool IsAsciiAlnum(char32_t c) { return IsAsciiAlpha(c) || IsAsciiDigit(c); }
bool IsWordChar(char32_t c) { return IsAsciiAlnum(c) || c == '_'; }  // regex \b without the u flag

// `str` ends in "." and a top-level domain.
bool IsValidDomain(std::string_view str) {
  size_t dot = str.rfind('.');
  if (dot == std::string_view::npos) return false;
  std::string_view tld = str.substr(dot + 1);
  return IsTopLevelDomain(tld);
}

// The lengths of what may precede a facet at `s`: "^" (start of text), a
// space, or "(" when `paren`, in the order the patterns try them.
std::vector<size_t> Leads(const CodePoints& t, size_t s, bool paren) {
  std::vector<size_t> out;
  if (s == 0) out.push_back(0);
  if (s < t.size() && (IsSpace(t.cp[s]) || (paren && t.cp[s] == '('))) out.push_back(1);
  return out;
}

// Zero-width and joining characters a tag stops at, besides spaces.
bool EndsTag(char32_t c) {
  return IsSpace(c) || c == 0x00AD || c == 0x2060 || c == 0x200A || c == 0x200B || c == 0x200C || c == 0x200D ||
         c == 0x20E2;
}

// Grapheme clusters, closely enough for the 64-grapheme tag limit: marks,
// joiners, variation selectors and skin tones join the previous character,
// the character after a zero-width joiner too, and flags are pairs.
size_t Graphemes(const std::vector<char32_t>& cps) {
  size_t n = 0;
  bool joined = false, open_flag = false;
  for (char32_t c : cps) {
    bool regional = c >= 0x1F1E6 && c <= 0x1F1FF;
    if (joined || In(kMark, c) || (regional && open_flag)) {
      open_flag = false;
    } else {
      ++n;
      open_flag = regional;
    }
    joined = c == 0x200D;
  }
  return n;
}

void Mentions(const CodePoints& t, std::vector<RichTextFacet>& out) {
  // /(^|\s|\()(@)([a-zA-Z0-9.-]+)(\b)/g
  auto handle_char = [](char32_t c) { return IsAsciiAlnum(c) || c == '.' || c == '-'; };
  size_t from = 0;
  while (from <= t.size()) {
    std::optional<std::pair<size_t, size_t>> m;  // the handle's [start, end)
    for (size_t s = from; s <= t.size() && !m; ++s) {
      for (size_t lead : Leads(t, s, true)) {
        size_t q = s + lead + 1;
        if (s + lead >= t.size() || t.cp[s + lead] != '@') continue;
        size_t r = q;
        while (r < t.size() && handle_char(t.cp[r])) ++r;
        for (size_t e = r; e > q; --e) {
          if (IsWordChar(t.cp[e - 1]) != (e < t.size() && IsWordChar(t.cp[e]))) {
            m = std::pair{q, e};
            break;
          }
        }
        if (m) break;
      }
    }
    if (!m) break;
    from = m->second;
    std::string handle = t.Bytes(m->first, m->second);
    if (!IsValidDomain(handle) && !handle.ends_with(".test")) continue;
    out.push_back({RichTextFacet::Kind::kMention, t.at[m->first - 1], t.at[m->second], handle});
  }
}

void Links(const CodePoints& t, std::vector<RichTextFacet>& out) {
  // /(^|\s|\()((https?:\/\/[\S]+)|((?<domain>[a-z][a-z0-9]*(\.[a-z0-9]+)+)[\S]*))/gim
  auto lower = [](char32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
  auto non_space_end = [&](size_t k) {
    while (k < t.size() && !IsSpace(t.cp[k])) ++k;
    return k;
  };
  size_t from = 0;
  while (from <= t.size()) {
    struct Match {
      size_t start, end;
      std::optional<size_t> domain_end;  // set when the bare-domain branch matched
    };
    std::optional<Match> m;
    for (size_t s = from; s <= t.size() && !m; ++s) {
      for (size_t lead : Leads(t, s, true)) {
        size_t p = s + lead, k = p;
        auto eat = [&](std::string_view word) {
          for (char ch : word) {
            if (k >= t.size() || lower(t.cp[k]) != static_cast<char32_t>(ch)) return false;
            ++k;
          }
          return true;
        };
        if (eat("http")) {
          size_t after_http = k;
          bool scheme = (eat("s") && eat("://")) || ((k = after_http), eat("://"));
          if (scheme && k < t.size() && !IsSpace(t.cp[k])) {
            m = Match{p, non_space_end(k), std::nullopt};
            break;
          }
        }
        k = p;
        if (k < t.size() && IsAsciiAlpha(t.cp[k])) {
          ++k;
          while (k < t.size() && IsAsciiAlnum(t.cp[k])) ++k;
          size_t labels = 0;
          while (k + 1 < t.size() && t.cp[k] == '.' && IsAsciiAlnum(t.cp[k + 1])) {
            k += 2;
            while (k < t.size() && IsAsciiAlnum(t.cp[k])) ++k;
            ++labels;
          }
          if (labels > 0) {
            m = Match{p, non_space_end(k), k};
            break;
          }
        }
      }
    }
    if (!m) break;
    from = m->end;
    std::string matched = t.Bytes(m->start, m->end);
    std::string uri = matched;
    size_t end = m->end;
    if (m->domain_end) {
      // @atproto/api tests startsWith('http') here, so a bare domain that
      // begins with "http" (httpbin.org) kept no scheme and skipped the domain
      // check, and the PDS refuses the whole record ("Invalid uri"). Every
      // bare domain is checked and gets https://.
      if (!IsValidDomain(t.Bytes(m->start, *m->domain_end))) continue;
      uri = "https://" + uri;
    } else if (!uri.starts_with("http")) {
      continue;  // an upper-case scheme, which the official client leaves as text
    }
    if (std::string_view(".,;:!?").find(uri.back()) != std::string_view::npos) {
      uri.pop_back();
      --end;
    }
    if (uri.back() == ')' && uri.find('(') == std::string::npos) {
      uri.pop_back();
      --end;
    }
    out.push_back({RichTextFacet::Kind::kLink, t.at[m->start], t.at[end], uri});
  }
}

void Tags(const CodePoints& t, std::vector<RichTextFacet>& out) {
  // /(^|\s)[#＃]((?!\ufe0f)[^\s<Z>]*[^\d\s\p{P}<Z>]+[^\s<Z>]*)?/gu, Z the
  // joiners of EndsTag; the group, when it matches, is the whole run of
  // characters up to a space or joiner, and needs one that is neither a digit
  // nor punctuation.
  size_t from = 0;
  while (from < t.size()) {
    std::optional<size_t> hash;
    for (size_t s = from; s < t.size() && !hash; ++s) {
      for (size_t lead : Leads(t, s, false)) {
        size_t p = s + lead;
        if (p < t.size() && (t.cp[p] == '#' || t.cp[p] == 0xFF03)) {
          hash = p;
          break;
        }
      }
    }
    if (!hash) break;
    size_t p = *hash + 1, e = p;
    bool word = false;
    while (e < t.size() && !EndsTag(t.cp[e])) {
      word = word || (!IsAsciiDigit(t.cp[e]) && !In(kPunctuation, t.cp[e]));
      ++e;
    }
    if (e == p || !word || t.cp[p] == 0xFE0F) {
      from = p;
      continue;
    }
    from = e;
    while (e > p && In(kPunctuation, t.cp[e - 1])) --e;  // trailing punctuation is not part of the tag
    std::vector<char32_t> tag(t.cp.begin() + static_cast<std::ptrdiff_t>(p), t.cp.begin() + static_cast<std::ptrdiff_t>(e));
    size_t utf16 = 0;
    for (char32_t c : tag) utf16 += c > 0xFFFF ? 2 : 1;
    if (tag.empty() || (utf16 > 64 && Graphemes(tag) > 64)) continue;
    out.push_back({RichTextFacet::Kind::kTag, t.at[*hash], t.at[e], t.Bytes(p, e)});
  }
}

void Cashtags(const CodePoints& t, std::vector<RichTextFacet>& out) {
  // /(^|\s|\()\$([A-Za-z][A-Za-z0-9]{0,4})(?=\s|$|[.,;:!?)"'\u2019])/gu
  auto ends = [&](size_t k) {
    return k == t.size() || IsSpace(t.cp[k]) || t.cp[k] == 0x2019 ||
           (t.cp[k] < 0x80 && std::string_view(".,;:!?)\"'").find(static_cast<char>(t.cp[k])) != std::string_view::npos);
  };
  size_t from = 0;
  while (from < t.size()) {
    std::optional<std::pair<size_t, size_t>> m;  // the ticker's [start, end)
    for (size_t s = from; s < t.size() && !m; ++s) {
      for (size_t lead : Leads(t, s, true)) {
        size_t q = s + lead + 1;
        if (q >= t.size() || t.cp[q - 1] != '$' || !IsAsciiAlpha(t.cp[q])) continue;
        size_t e = q + 1;
        while (e < t.size() && e < q + 5 && IsAsciiAlnum(t.cp[e])) ++e;
        if (ends(e)) {
          m = std::pair{q, e};
          break;
        }
      }
    }
    if (!m) break;
    from = m->second;
    std::string ticker = "$" + t.Bytes(m->first, m->second);
    for (char& c : ticker) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.push_back({RichTextFacet::Kind::kTag, t.at[m->first - 1], t.at[m->second], ticker});
  }
}

}  // namespace

std::vector<RichTextFacet> DetectRichTextFacets(std::string_view text) {
  CodePoints t(text);
  std::vector<RichTextFacet> out;
  Mentions(t, out);
  Links(t, out);
  Tags(t, out);
  Cashtags(t, out);
  std::stable_sort(out.begin(), out.end(),
                   [](const RichTextFacet& a, const RichTextFacet& b) { return a.byte_start < b.byte_start; });
  return out;
}

}  // namespace herald::connectors
