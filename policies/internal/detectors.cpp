#include "policies/internal/detectors.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace herald::policies::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
bool IsWordByte(char c) { return IsAlnum(c) || c == '_'; }
bool IsUpperOrDigit(char c) { return IsDigit(c) || (c >= 'A' && c <= 'Z'); }
bool IsBase64Url(char c) { return IsAlnum(c) || c == '_' || c == '-'; }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Byte at i, or NUL outside the text: keeps the scanners free of bounds noise.
char At(std::string_view s, size_t i) { return i < s.size() ? s[i] : '\0'; }
char Before(std::string_view s, size_t i) { return i > 0 ? s[i - 1] : '\0'; }

size_t RunWhile(std::string_view s, size_t i, bool (*pred)(char)) {
  while (i < s.size() && pred(s[i])) ++i;
  return i;
}

bool Overlaps(Span a, Span b) { return a.begin < b.end && b.begin < a.end; }

// Whether `s` holds at least `n` ASCII digits: a card or phone number is made
// of its digits, so fewer means none can be found.
bool HasDigits(std::string_view s, size_t n) {
  // Eight bytes at a time: t = byte ^ '0' is a digit's value when below 10;
  // the high bit of ((t & 0x7F) + 0x76) | t is clear exactly then.
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  size_t count = 0, k = 0;
  for (; k + 8 <= s.size(); k += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + k, 8);
    const uint64_t t = w ^ (kOnes * '0');
    const uint64_t ge10 = ((t & (kOnes * 0x7F)) + kOnes * 0x76) | t;
    count += (((~ge10 & (kOnes * 0x80)) >> 7) * kOnes) >> 56;  // sums the eight 0/1 bytes
  }
  for (; k < s.size(); ++k) count += IsDigit(s[k]);
  return count >= n;
}

// Keeps the earliest hit where hits overlap (and the longer one at equal starts).
std::vector<Hit> SortedDisjoint(std::vector<Hit> hits) {
  std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
    return a.span.begin != b.span.begin ? a.span.begin < b.span.begin : a.span.end > b.span.end;
  });
  std::vector<Hit> out;
  for (auto& h : hits)
    if (out.empty() || h.span.begin >= out.back().span.end) out.push_back(std::move(h));
  return out;
}

// ---- e-mail

bool IsLocalChar(char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'; }
bool IsDomainChar(char c) { return IsAlnum(c) || c == '.' || c == '-'; }

bool ValidDomain(std::string_view d) {
  size_t labels = 0;
  std::string_view last;
  while (true) {
    const size_t dot = d.find('.');
    const std::string_view label = d.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    d.remove_prefix(dot + 1);
  }
  return labels >= 2 && last.size() >= 2 && std::all_of(last.begin(), last.end(), IsAlpha);
}

// ---- phone

struct Group {
  size_t begin = 0;
  size_t end = 0;
  int digits = 0;
  bool paren = false;
  int Value(std::string_view s) const {
    int v = 0;
    for (size_t k = begin; k < end; ++k)
      if (IsDigit(s[k])) v = v * 10 + (s[k] - '0');
    return v;
  }
};

bool IsPhoneSep(char c) { return c == ' ' || c == '-' || c == '.' || c == '/'; }

// Reads groups of digits joined by single separators from i; returns the end.
size_t ReadPhoneGroups(std::string_view s, size_t i, std::vector<Group>& groups, std::vector<char>& seps) {
  while (true) {
    Group g{i, i, 0, false};
    if (At(s, i) == '(') {
      const size_t e = RunWhile(s, i + 1, IsDigit);
      if (e == i + 1 || e - i - 1 > 5 || At(s, e) != ')') break;
      g = {i, e + 1, static_cast<int>(e - i - 1), true};
    } else if (IsDigit(At(s, i))) {
      const size_t e = RunWhile(s, i, IsDigit);
      g = {i, e, static_cast<int>(e - i), false};
    } else {
      break;
    }
    groups.push_back(g);
    i = g.end;
    const char next = At(s, i);
    if (IsPhoneSep(next) && (IsDigit(At(s, i + 1)) || At(s, i + 1) == '(')) {
      seps.push_back(next);
      ++i;
    } else if ((g.paren && IsDigit(next)) || (!g.paren && next == '(')) {
      seps.push_back('\0');
    } else {
      break;
    }
  }
  return groups.empty() ? i : groups.back().end;
}

bool LooksLikeDate(std::string_view s, const std::vector<Group>& g, const std::vector<char>& seps) {
  if (g.size() < 3 || seps[0] != seps[1] || seps[0] == '\0') return false;
  const int a = g[0].Value(s), b = g[1].Value(s), c = g[2].Value(s);
  if (g[0].digits == 4 && g[1].digits <= 2 && g[2].digits <= 2) return b >= 1 && b <= 12 && c >= 1 && c <= 31;
  if (g[0].digits <= 2 && g[1].digits <= 2 && g[2].digits == 4) {
    return a >= 1 && b >= 1 && a <= 31 && b <= 31 && (a <= 12 || b <= 12);
  }
  return false;
}

bool LooksLikeYearRange(std::string_view s, const std::vector<Group>& g) {
  return g.size() == 2 && g[0].digits == 4 && g[1].digits == 4 && (s[g[0].begin] == '1' || s[g[0].begin] == '2') &&
         (s[g[1].begin] == '1' || s[g[1].begin] == '2');
}

// "3.14159", "1.5": a decimal number. Dotted phones have 3+ short groups.
bool LooksLikeDecimal(const std::vector<Group>& g, const std::vector<char>& seps) {
  const bool dotted = std::any_of(seps.begin(), seps.end(), [](char c) { return c == '.'; });
  return dotted && (g.size() < 3 || std::any_of(g.begin(), g.end(), [](const Group& x) { return x.digits > 4; }));
}

bool LooksLikeIpv4(const std::vector<Group>& g, const std::vector<char>& seps) {
  return g.size() == 4 && std::all_of(seps.begin(), seps.end(), [](char c) { return c == '.'; }) &&
         std::all_of(g.begin(), g.end(), [](const Group& x) { return x.digits <= 3; });
}

// "1 000 000", "12.345.678": an amount grouped in thousands.
bool LooksLikeThousands(const std::vector<Group>& g, const std::vector<char>& seps) {
  if (g.size() < 2 || g[0].digits > 3) return false;
  if (!std::all_of(seps.begin(), seps.end(), [&](char c) { return c == seps[0] && (c == ' ' || c == '.'); }))
    return false;
  return std::all_of(g.begin() + 1, g.end(), [](const Group& x) { return x.digits == 3; });
}

// ---- secrets

// An identifier prefix followed by at least `min_len` characters of `body`.
struct TokenShape {
  std::string_view prefix;
  bool (*body)(char);
  size_t min_len;
  size_t max_len;  // 0: unbounded
  std::string_view what;
};

bool IsBase62(char c) { return IsAlnum(c); }
bool IsGithubPat(char c) { return IsAlnum(c) || c == '_'; }
bool IsSlack(char c) { return IsAlnum(c) || c == '-'; }
bool IsBase64(char c) { return IsAlnum(c) || c == '+' || c == '/' || c == '='; }
bool IsSecretValue(char c) {
  return IsAlnum(c) || c == '_' || c == '-' || c == '+' || c == '/' || c == '.' || c == '~';
}
bool IsPadding(char c) { return c == '='; }

constexpr std::array kTokenShapes = {
    TokenShape{"AKIA", IsUpperOrDigit, 16, 16, "AWS access key id"},
    TokenShape{"ASIA", IsUpperOrDigit, 16, 16, "AWS access key id"},
    TokenShape{"ghp_", IsBase62, 30, 0, "GitHub token"},
    TokenShape{"gho_", IsBase62, 30, 0, "GitHub token"},
    TokenShape{"ghs_", IsBase62, 30, 0, "GitHub token"},
    TokenShape{"ghu_", IsBase62, 30, 0, "GitHub token"},
    TokenShape{"ghr_", IsBase62, 30, 0, "GitHub token"},
    TokenShape{"github_pat_", IsGithubPat, 30, 0, "GitHub token"},
    TokenShape{"xoxb-", IsSlack, 10, 0, "Slack token"},
    TokenShape{"xoxa-", IsSlack, 10, 0, "Slack token"},
    TokenShape{"xoxp-", IsSlack, 10, 0, "Slack token"},
    TokenShape{"xoxr-", IsSlack, 10, 0, "Slack token"},
    TokenShape{"xoxs-", IsSlack, 10, 0, "Slack token"},
    TokenShape{"sk_live_", IsBase62, 16, 0, "Stripe secret key"},
    TokenShape{"rk_live_", IsBase62, 16, 0, "Stripe secret key"},
    TokenShape{"AIza", IsBase64Url, 35, 35, "Google API key"},
    TokenShape{"whsec_", IsBase64, 24, 0, "webhook signing secret"},
};

// Key names whose value is a credential: "api_key", "GITHUB_TOKEN", "client_secret".
constexpr std::array<std::string_view, 9> kSecretKeySuffixes = {
    "apikey", "api_key", "api-key", "secret", "token", "password", "passwd", "access_key", "private_key"};

double ShannonBits(std::string_view s) {
  std::array<int, 256> counts{};
  for (char c : s) ++counts[static_cast<unsigned char>(c)];
  double bits = 0;
  for (int n : counts) {
    if (n == 0) continue;
    const double p = static_cast<double>(n) / static_cast<double>(s.size());
    bits -= p * std::log2(p);
  }
  return bits;
}

bool HighEntropy(std::string_view v) {
  const bool lower = std::any_of(v.begin(), v.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  const bool upper = std::any_of(v.begin(), v.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  const bool digit = std::any_of(v.begin(), v.end(), IsDigit);
  return lower + upper + digit >= 2 && ShannonBits(v) >= 3.5;
}

void FindPrivateKeys(std::string_view s, std::vector<Hit>& hits) {
  constexpr std::string_view kBegin = "-----BEGIN ";
  // Headers come in text order, so one forward search for footers serves all.
  size_t footer = s.find("-----END ");
  for (size_t k = s.find(kBegin); k != std::string_view::npos; k = s.find(kBegin, k + 1)) {
    const size_t name = k + kBegin.size();
    const size_t close = s.find("-----", name);
    if (close == std::string_view::npos || close - name > 40) continue;
    const std::string_view label = s.substr(name, close - name);
    if (!label.ends_with("PRIVATE KEY") && !label.ends_with("PRIVATE KEY BLOCK")) continue;
    size_t end = close + 5;
    if (footer != std::string_view::npos && footer < end) footer = s.find("-----END ", end);
    if (footer != std::string_view::npos) {
      const size_t footer_close = s.find("-----", footer + 9);
      if (footer_close != std::string_view::npos) end = footer_close + 5;
    }
    hits.push_back({{k, end}, "private key"});
  }
}

// First bytes of every token shape and of a JWT ("eyJ"): no token starts elsewhere.
constexpr std::array<bool, 256> kTokenStart = [] {
  std::array<bool, 256> t{};
  for (const auto& shape : kTokenShapes) t[static_cast<unsigned char>(shape.prefix[0])] = true;
  t['e'] = true;
  return t;
}();

void FindTokens(std::string_view s, std::vector<Hit>& hits) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (!kTokenStart[static_cast<unsigned char>(s[i])] || IsAlnum(Before(s, i))) continue;
    for (const auto& shape : kTokenShapes) {
      // Starting inside a longer run of the body's characters would rescan it.
      if (shape.body(Before(s, i)) || !s.substr(i).starts_with(shape.prefix)) continue;
      const size_t body = i + shape.prefix.size();
      const size_t end = RunWhile(s, body, shape.body);
      const size_t len = end - body;
      if (len < shape.min_len || (shape.max_len != 0 && len != shape.max_len) || IsAlnum(At(s, end))) continue;
      hits.push_back({{i, end}, std::string(shape.what)});
    }
    // JWT: header and payload are base64url JSON objects ("eyJ" is `{"`).
    if (!IsBase64Url(Before(s, i)) && s.substr(i).starts_with("eyJ")) {
      const size_t p1 = RunWhile(s, i, IsBase64Url);
      if (p1 - i >= 10 && At(s, p1) == '.' && s.substr(p1 + 1).starts_with("eyJ")) {
        const size_t p2 = RunWhile(s, p1 + 1, IsBase64Url);
        if (p2 - p1 - 1 >= 10 && At(s, p2) == '.') {
          const size_t p3 = RunWhile(s, p2 + 1, IsBase64Url);
          if (p3 - p2 - 1 >= 8) hits.push_back({{i, p3}, "JSON Web Token"});
        }
      }
    }
  }
}

void FindAssignedSecrets(std::string_view s, std::vector<Hit>& hits) {
  if (s.find('=') == std::string_view::npos && s.find(':') == std::string_view::npos) return;
  for (size_t k = 0; k < s.size(); ++k) {
    if (s[k] != '=' && s[k] != ':') continue;
    size_t key_end = k;
    while (key_end > 0 && (s[key_end - 1] == ' ' || s[key_end - 1] == '"' || s[key_end - 1] == '\'')) --key_end;
    size_t key_begin = key_end;
    while (key_begin > 0 && (IsWordByte(s[key_begin - 1]) || s[key_begin - 1] == '-' || s[key_begin - 1] == '.'))
      --key_begin;
    std::string key;
    for (size_t m = key_begin; m < key_end; ++m) key.push_back(Lower(s[m]));
    const bool credential_key = std::any_of(kSecretKeySuffixes.begin(), kSecretKeySuffixes.end(),
                                            [&](std::string_view suffix) { return key.ends_with(suffix); });
    if (!credential_key) continue;
    size_t v = k + 1;
    while (At(s, v) == ' ' || At(s, v) == '"' || At(s, v) == '\'') ++v;
    if (s.substr(v).starts_with("Bearer ")) v += 7;
    const size_t end = RunWhile(s, RunWhile(s, v, IsSecretValue), IsPadding);
    const std::string_view value = s.substr(v, end - v);
    if (value.size() >= 20 && HighEntropy(value)) hits.push_back({{v, end}, "credential assigned to \"" + key + "\""});
  }
}

}  // namespace

bool LuhnValid(std::string_view digits) {
  int sum = 0;
  bool twice = false;
  for (size_t k = digits.size(); k-- > 0;) {
    if (!IsDigit(digits[k])) continue;
    int d = digits[k] - '0';
    if (twice) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

std::vector<Hit> FindEmails(std::string_view s) {
  std::vector<Hit> hits;
  for (size_t at = s.find('@'); at != std::string_view::npos; at = s.find('@', at + 1)) {
    size_t b = at;
    while (b > 0 && IsLocalChar(s[b - 1])) --b;
    while (b < at && s[b] == '.') ++b;
    if (b == at || s[at - 1] == '.') continue;
    if (Before(s, b) == '@') continue;  // @user@host: a fediverse handle
    size_t e = RunWhile(s, at + 1, IsDomainChar);
    while (e > at + 1 && (s[e - 1] == '.' || s[e - 1] == '-')) --e;
    if (!ValidDomain(s.substr(at + 1, e - at - 1))) continue;
    hits.push_back({{b, e}, "e-mail address"});
  }
  return hits;
}

std::vector<Hit> FindCards(std::string_view s) {
  std::vector<Hit> hits;
  if (!HasDigits(s, 13)) return hits;
  std::vector<Span> groups;
  for (size_t i = 0; i < s.size();) {
    const char prev = Before(s, i);
    if (!IsDigit(s[i]) || IsWordByte(prev) || prev == '.' || prev == ',') {
      ++i;
      continue;
    }
    groups.clear();
    size_t p = i;
    while (true) {
      const size_t e = RunWhile(s, p, IsDigit);
      groups.push_back({p, e});
      p = e;
      if ((At(s, p) == ' ' || At(s, p) == '-') && IsDigit(At(s, p + 1))) ++p;
      else break;
    }
    const char next = At(s, p);
    const bool closed = !IsWordByte(next) && !((next == '.' || next == ',') && IsDigit(At(s, p + 1)));
    for (size_t g = 0; closed && g < groups.size(); ++g) {
      int digits = 0;
      for (size_t h = g; h < groups.size(); ++h) {
        digits += static_cast<int>(groups[h].end - groups[h].begin);
        if (digits > 19) break;
        const std::string_view number = s.substr(groups[g].begin, groups[h].end - groups[g].begin);
        if (digits >= 13 && number[0] >= '2' && number[0] <= '6' && LuhnValid(number)) {
          // Prefer the longest valid number from this group on.
          size_t best = h;
          int more = digits;
          for (size_t x = h + 1; x < groups.size(); ++x) {
            more += static_cast<int>(groups[x].end - groups[x].begin);
            if (more > 19) break;
            if (LuhnValid(s.substr(groups[g].begin, groups[x].end - groups[g].begin))) best = x;
          }
          hits.push_back({{groups[g].begin, groups[best].end}, "payment card number"});
          g = best;
          break;
        }
      }
    }
    i = p + 1;
  }
  return SortedDisjoint(std::move(hits));
}

namespace {

// Whether `s` has what every phone FindPhones reports begins with or holds: a
// '+' or '(' (a leading plus, an area code), or two digit groups joined by one
// separator. One digit run alone (an id, a year) is never a phone, so most
// texts with digits are ruled out here without reading their groups.
bool MayHoldPhone(std::string_view s) {
  for (size_t k = 0; k < s.size(); ++k) {
    const char c = s[k];
    if (c == '+' || c == '(') return true;
    if (IsDigit(c) && k + 2 < s.size() && IsPhoneSep(s[k + 1]) && IsDigit(s[k + 2])) return true;
  }
  return false;
}

}  // namespace

std::vector<Hit> FindPhones(std::string_view s) {
  std::vector<Hit> hits;
  if (!HasDigits(s, 7) || !MayHoldPhone(s)) return hits;
  const auto cards = FindCards(s);
  std::vector<Group> groups;
  std::vector<char> seps;
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    const bool plus = c == '+' && (IsDigit(At(s, i + 1)) || At(s, i + 1) == '(');
    if (!plus && !IsDigit(c) && !(c == '(' && IsDigit(At(s, i + 1)))) {
      ++i;
      continue;
    }
    groups.clear();
    seps.clear();
    const size_t end = ReadPhoneGroups(s, plus ? i + 1 : i, groups, seps);
    const char prev = Before(s, i);
    const char next = At(s, end);
    bool phone = !groups.empty();
    // Beside letters, amounts, versions, times or other numbers it is not a phone.
    if (IsWordByte(prev) || prev == '.' || prev == ',' || prev == '-' || prev == '/' || prev == '$' ||
        prev == '+' || prev == '#' || (prev == ':' && IsDigit(Before(s, i - 1))))
      phone = false;
    if (IsWordByte(next) || next == '%' || ((next == ',' || next == ':' || next == '.') && IsDigit(At(s, end + 1))))
      phone = false;
    int digits = 0;
    for (const auto& g : groups) digits += g.digits;
    if (digits < 7 || digits > 15) phone = false;
    const bool paren = std::any_of(groups.begin(), groups.end(), [](const Group& g) { return g.paren; });
    if (phone && !plus && !paren) {
      if (groups.size() == 1 || LooksLikeDate(s, groups, seps) || LooksLikeYearRange(s, groups) ||
          LooksLikeIpv4(groups, seps) || LooksLikeDecimal(groups, seps) || LooksLikeThousands(groups, seps) ||
          std::any_of(groups.begin() + 1, groups.end(), [](const Group& g) { return g.digits < 2; }))
        phone = false;
    }
    const Span span{i, end};
    if (phone && std::any_of(cards.begin(), cards.end(), [&](const Hit& h) { return Overlaps(h.span, span); }))
      phone = false;
    if (phone) hits.push_back({span, "phone number"});
    i = std::max(end, i + 1);
  }
  return hits;
}

std::vector<Hit> FindSecrets(std::string_view s) {
  std::vector<Hit> hits;
  // One look at the bytes rules out whole scanners: a PEM header is made of
  // dashes, an assignment of '=' or ':'.
  bool dash = false, assign = false;
  for (char c : s) {
    dash |= c == '-';
    assign |= c == '=' || c == ':';
  }
  if (dash) FindPrivateKeys(s, hits);
  FindTokens(s, hits);
  if (assign) FindAssignedSecrets(s, hits);
  return SortedDisjoint(std::move(hits));
}

}  // namespace herald::policies::internal
