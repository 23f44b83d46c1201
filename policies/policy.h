// The policy model: what one organisation's YAML policy file says (docs/policy.md),
// as validated values. Built by policies/loader.h; resolved per account by
// policies/resolve.h. Plain value types, safe to share read-only across threads.
#pragma once

#include <algorithm>
#include <bitset>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/time.h"

namespace herald::policies {

// A frequency cap. Rolling caps bound every half-open window [s, s+window);
// calendar caps bound every local day, ISO week or month in the account's zone.
struct Cap {
  enum class Unit { kRolling, kDay, kWeek, kMonth };
  int max = 0;
  Unit unit = Unit::kRolling;
  Duration window{0};  // kRolling only
  std::string label;   // empty: counts every post; else only posts with this label
  // Where the cap comes from, for reasons: "frequency.default.caps[0]",
  // "ramp_up.caps[0]", "preset x".
  std::string origin;
  bool preset = false;  // a platform preset: never bypassed, not even by urgent posts
};

// Local wall-time range [from, to) in minutes since midnight; crosses midnight
// when to <= from ("21:00-08:00").
struct ClockRange {
  int from_minute = 0;
  int to_minute = 0;
  bool Contains(int minute_of_day) const {
    return from_minute < to_minute ? (minute_of_day >= from_minute && minute_of_day < to_minute)
                                   : (minute_of_day >= from_minute || minute_of_day < to_minute);
  }
};

// Bit i set: ISO weekday i (Monday = 0 ... Sunday = 6) is allowed.
using WeekdaySet = std::bitset<7>;

struct Blackout {
  LocalTime from;  // local wall time in the account's zone
  LocalTime to;    // exclusive; to > from
  std::string reason;
};

// A set of frequency rules as written at one level (default, platform, account).
// Unset fields fall through to the less specific level.
struct RuleSet {
  std::optional<std::vector<Cap>> caps;
  std::optional<Duration> min_spacing;
  std::optional<std::vector<ClockRange>> quiet_hours;
  std::optional<WeekdaySet> days;
  std::optional<std::vector<Blackout>> blackouts;
};

struct RampUp {
  Duration period{0};
  std::vector<Cap> caps;
  std::vector<std::string> forbid_labels;
};

struct Mix {
  std::string label;
  double max_share = 1.0;
  Duration over{0};
};

// A secret given by reference only: "env:NAME" or "file:/path".
struct SecretRef {
  enum class Kind { kEnv, kFile };
  Kind kind = Kind::kEnv;
  std::string target;  // variable name or path
};

struct ConnectorConfig {
  std::string type;      // connector name; defaults to the account's platform
  std::string base_url;  // empty: the platform's default
  std::map<std::string, std::string> settings;  // other non-secret keys, as text
  std::map<std::string, SecretRef> secrets;     // secret keys by reference
};

struct Account {
  std::string id;
  std::string platform;
  std::string handle;
  std::optional<std::chrono::year_month_day> opened;
  std::string timezone;  // resolved: the account's own or the organisation's
  ConnectorConfig connector;
};

// An organisation's subscription to its events (docs/events.md): each event
// of a type it names is POSTed to `url`, signed with `secret` (a Standard
// Webhooks "whsec_..." secret, given by reference).
struct EventSubscription {
  std::string url;  // http(s); no literal internal address
  SecretRef secret;
  std::vector<EventType> types;  // ignored when `all`
  bool all = false;              // types: ["*"]

  bool Wants(EventType type) const {
    return all || std::find(types.begin(), types.end(), type) != types.end();
  }
};

struct AccountLimits {
  std::optional<int> max_total;
  std::optional<int> max_per_platform;
  std::optional<Duration> min_gap_between_new;
};

struct Frequency {
  RuleSet defaults;
  std::map<std::string, RuleSet> platforms;
  std::map<std::string, RuleSet> accounts;
  std::optional<RampUp> ramp_up;
  std::vector<Mix> mix;
  Duration max_delay = std::chrono::hours{48};
  Duration missed_after = std::chrono::minutes{30};
};

enum class Detector { kEmail, kPhone, kCreditCard, kSecret };

struct ContentRules {
  std::vector<std::string> banned_terms;
  std::vector<Detector> block_patterns;
  std::vector<std::string> require_any;
  std::optional<Duration> duplicate_window;
};

struct Approval {
  bool required = true;
  std::vector<std::string> approvers = {"manager", "admin"};
  bool four_eyes = true;
};

// ---- The inbox: which department answers what (docs/inbox.md) ----

// Who may read or answer a department's items: roles ("viewer", "editor",
// "manager", "admin") and token names.
struct InboxAccess {
  std::vector<std::string> roles;
  std::vector<std::string> tokens;

  bool Allows(std::string_view role, std::string_view token) const {
    for (const auto& r : roles)
      if (r == role) return true;
    for (const auto& t : tokens)
      if (t == token) return true;
    return false;
  }
};

// One department and the rules that route an item to it. An item matches
// when every kind of rule the department has matches: its text holds one of
// the keywords (whole words, any case) or one of the patterns; its language
// is one of `languages` (primary subtag, any case); it reached one of
// `accounts`. A department without rules matches nothing: it only gets items
// as the default.
struct InboxDepartment {
  std::string name;
  std::vector<std::string> keywords;
  std::vector<std::string> patterns;   // ECMAScript regular expressions, checked at load
  std::vector<std::string> languages;  // lower case
  std::vector<std::string> accounts;
  Duration answer_within = std::chrono::hours{24};
  bool approval_required = true;  // answers wait for approval (the policy's approvers)
  InboxAccess read{{"viewer", "editor", "manager", "admin"}, {}};
  InboxAccess answer{{"editor", "manager", "admin"}, {}};
};

struct InboxRouting {
  std::vector<InboxDepartment> departments;  // in file order: the first that matches wins
  std::string default_department;            // one of departments' names

  const InboxDepartment* Find(std::string_view name) const {
    for (const auto& d : departments)
      if (d.name == name) return &d;
    return nullptr;
  }
};

// Without an `inbox:` section every item goes to one department, "general".
inline InboxRouting DefaultInboxRouting() {
  InboxRouting routing;
  routing.departments.push_back(InboxDepartment{.name = "general"});
  routing.default_department = "general";
  return routing;
}

struct Policy {
  int version = 1;
  std::string organization;
  std::string timezone;
  AccountLimits limits;
  std::vector<Account> accounts;
  Frequency frequency;
  ContentRules content;
  Approval approval;
  InboxRouting inbox = DefaultInboxRouting();
  std::vector<EventSubscription> events;  // docs/events.md

  std::string source;  // file the policy was read from
  std::string sha256;  // hex digest of the file's bytes

  const Account* FindAccount(std::string_view id) const {
    for (const auto& a : accounts)
      if (a.id == id) return &a;
    return nullptr;
  }
};

}  // namespace herald::policies
