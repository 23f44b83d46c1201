#include "policies/internal/inbox_reader.h"

#include <algorithm>
#include <array>
#include <regex>

namespace herald::policies::internal {
namespace {

constexpr std::array<std::string_view, 4> kRoles = {"viewer", "editor", "manager", "admin"};
constexpr std::string_view kTokenPrefix = "token:";
// Longer patterns are refused: they are written by people, and every item's
// text goes through every one of them.
constexpr size_t kMaxPatternLength = 500;

bool IsName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

bool IsLanguage(std::string_view tag) {
  return tag.size() >= 2 && tag.size() <= 3 &&
         std::all_of(tag.begin(), tag.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
}

std::string Lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// The strings of a sequence, each checked by `check` (which reports and
// returns false to leave it out).
template <class Check>
std::vector<std::string> ReadStrings(const Located& at, Diagnostics& diag, Check check) {
  std::vector<std::string> out;
  auto items = ReadSequence(at, diag);
  if (!items) return out;
  for (const auto& item : *items) {
    auto text = ReadString(item, diag);
    if (!text) continue;
    if (std::find(out.begin(), out.end(), *text) != out.end()) {
      diag.Error(item.mark, item.path, "duplicate entry " + Quote(*text));
      continue;
    }
    if (check(item, *text)) out.push_back(*text);
  }
  return out;
}

InboxAccess ReadAccess(const Located& at, Diagnostics& diag) {
  InboxAccess access;
  ReadStrings(at, diag, [&](const Located& item, const std::string& entry) {
    if (entry.starts_with(kTokenPrefix)) {
      std::string name = entry.substr(kTokenPrefix.size());
      if (name.empty()) {
        diag.Error(item.mark, item.path, "\"token:\" needs a token name after it");
        return false;
      }
      access.tokens.push_back(name);
      return true;
    }
    if (std::find(kRoles.begin(), kRoles.end(), entry) == kRoles.end()) {
      diag.Error(item.mark, item.path,
                 "unknown role " + Quote(entry) + "; use viewer|editor|manager|admin or token:NAME");
      return false;
    }
    access.roles.push_back(entry);
    return true;
  });
  return access;
}

std::optional<InboxDepartment> ReadDepartment(const Located& at, const std::vector<Account>& accounts,
                                              Diagnostics& diag) {
  MapReader map(at, diag,
                {"name", "keywords", "patterns", "languages", "accounts", "answer_within", "approval", "read",
                 "answer"});
  if (!map.ok()) return std::nullopt;
  InboxDepartment d;
  if (auto name = map.Required("name")) {
    if (auto text = ReadString(*name, diag)) {
      if (!IsName(*text)) {
        diag.Error(name->mark, name->path,
                   "invalid department name " + Quote(*text) + "; use 1-64 letters, digits, '-', '_' and '.'");
      }
      d.name = *text;
    }
  }
  if (auto keywords = map.Take("keywords")) {
    d.keywords = ReadStrings(*keywords, diag, [&](const Located& item, const std::string& word) {
      if (word.find_first_not_of(" \t") == std::string::npos) {
        diag.Error(item.mark, item.path, "a keyword needs at least one word");
        return false;
      }
      return true;
    });
  }
  if (auto patterns = map.Take("patterns")) {
    d.patterns = ReadStrings(*patterns, diag, [&](const Located& item, const std::string& pattern) {
      if (pattern.empty() || pattern.size() > kMaxPatternLength) {
        diag.Error(item.mark, item.path,
                   "a pattern must be 1-" + std::to_string(kMaxPatternLength) + " characters long");
        return false;
      }
      try {
        std::regex compiled(pattern, std::regex::ECMAScript | std::regex::icase);
      } catch (const std::regex_error& e) {
        diag.Error(item.mark, item.path, "invalid pattern " + Quote(pattern) + ": " + e.what());
        return false;
      }
      return true;
    });
  }
  if (auto languages = map.Take("languages")) {
    d.languages = ReadStrings(*languages, diag, [&](const Located& item, const std::string& tag) {
      if (!IsLanguage(tag)) {
        diag.Error(item.mark, item.path, "expected a language code such as en or de, got " + Quote(tag));
        return false;
      }
      return true;
    });
    for (auto& tag : d.languages) tag = Lower(tag);
  }
  if (auto names = map.Take("accounts")) {
    d.accounts = ReadStrings(*names, diag, [&](const Located& item, const std::string& id) {
      bool known = std::any_of(accounts.begin(), accounts.end(), [&](const Account& a) { return a.id == id; });
      if (!known) {
        diag.Error(item.mark, item.path, "unknown account " + Quote(id) + "; not in accounts.list");
        return false;
      }
      return true;
    });
  }
  if (auto within = map.Take("answer_within")) {
    if (auto duration = ReadDuration(*within, diag)) {
      if (*duration <= Duration::zero()) {
        diag.Error(within->mark, within->path, "answer_within must be longer than 0s");
      } else {
        d.answer_within = *duration;
      }
    }
  }
  if (auto approval = map.Take("approval")) {
    if (auto text = ReadString(*approval, diag)) {
      if (*text == "required") d.approval_required = true;
      else if (*text == "none") d.approval_required = false;
      else diag.Error(approval->mark, approval->path, "unknown approval " + Quote(*text) + "; use required|none");
    }
  }
  if (auto read = map.Take("read")) d.read = ReadAccess(*read, diag);
  if (auto answer = map.Take("answer")) d.answer = ReadAccess(*answer, diag);
  map.Finish();
  return d;
}

}  // namespace

InboxRouting ReadInbox(const Located& at, const std::vector<Account>& accounts, Diagnostics& diag) {
  InboxRouting routing;
  MapReader map(at, diag, {"departments", "default"});
  if (!map.ok()) return DefaultInboxRouting();
  if (auto list = map.Required("departments")) {
    if (auto items = ReadSequence(*list, diag)) {
      if (items->empty()) diag.Error(list->mark, list->path, "the inbox needs at least one department");
      for (const auto& item : *items) {
        auto d = ReadDepartment(item, accounts, diag);
        if (!d) continue;
        if (!d->name.empty()) {
          if (const InboxDepartment* same = routing.Find(d->name)) {
            (void)same;
            diag.Error(item.mark, item.path, "duplicate department " + Quote(d->name));
            continue;
          }
        }
        routing.departments.push_back(std::move(*d));
      }
    }
  }
  if (auto fallback = map.Required("default")) {
    if (auto name = ReadString(*fallback, diag)) {
      if (!routing.Find(*name)) {
        std::string known;
        for (const auto& d : routing.departments) known += (known.empty() ? "" : ", ") + d.name;
        diag.Error(fallback->mark, fallback->path,
                   "unknown department " + Quote(*name) + "; departments: " + (known.empty() ? "none" : known));
      }
      routing.default_department = *name;
    }
  }
  map.Finish();
  return routing;
}

}  // namespace herald::policies::internal
