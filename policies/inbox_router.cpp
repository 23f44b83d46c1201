#include "policies/inbox_router.h"

#include <algorithm>

#include "policies/internal/text.h"

namespace herald::policies {
namespace {

std::string_view PrimaryLanguage(std::string_view tag) {
  auto dash = tag.find_first_of("-_");
  return dash == std::string_view::npos ? tag : tag.substr(0, dash);
}

bool SameLetters(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

// At most `bytes` of `text`, cut before an incomplete UTF-8 sequence.
std::string_view Head(std::string_view text, size_t bytes) {
  if (text.size() <= bytes) return text;
  size_t end = bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace

InboxRouter::InboxRouter(InboxRouting routing) : routing_(std::move(routing)) {
  for (const auto& d : routing_.departments) {
    std::vector<std::regex> compiled;
    for (const auto& p : d.patterns) {
      try {
        compiled.emplace_back(p, std::regex::ECMAScript | std::regex::icase);
      } catch (const std::regex_error&) {
        // The loader refused it already; a routing built by hand just loses it.
      }
    }
    patterns_.push_back(std::move(compiled));
  }
  fallback_.name = routing_.default_department.empty() ? "general" : routing_.default_department;
}

bool InboxRouter::Matches(size_t index, std::string_view account, const InboxMessage& message) const {
  const InboxDepartment& d = routing_.departments[index];
  if (d.keywords.empty() && d.patterns.empty() && d.languages.empty() && d.accounts.empty()) return false;
  if (!d.accounts.empty() && std::find(d.accounts.begin(), d.accounts.end(), account) == d.accounts.end()) {
    return false;
  }
  if (!d.languages.empty()) {
    std::string_view primary = PrimaryLanguage(message.language);
    if (std::none_of(d.languages.begin(), d.languages.end(),
                     [&](const std::string& l) { return SameLetters(l, primary); })) {
      return false;
    }
  }
  if (d.keywords.empty() && d.patterns.empty()) return true;
  if (!d.keywords.empty()) {
    auto text = internal::DecodeUtf8Lossy(Head(message.text, 10 * kRoutedPatternBytes));
    internal::TermMatcher matcher(text);
    for (const auto& keyword : d.keywords)
      if (!matcher.Find(keyword).empty()) return true;
  }
  std::string_view head = Head(message.text, kRoutedPatternBytes);
  for (const auto& pattern : patterns_[index]) {
    try {
      if (std::regex_search(head.begin(), head.end(), pattern)) return true;
    } catch (const std::regex_error&) {
      // Too complex for this text: that pattern does not match it.
    }
  }
  return false;
}

const InboxDepartment& InboxRouter::Route(std::string_view account, const InboxMessage& message) const {
  for (size_t i = 0; i < routing_.departments.size(); ++i)
    if (Matches(i, account, message)) return routing_.departments[i];
  if (const InboxDepartment* d = routing_.Find(routing_.default_department)) return *d;
  return fallback_;
}

}  // namespace herald::policies
