#include "policies/internal/rules_reader.h"

#include <algorithm>
#include <array>

namespace herald::policies::internal {

namespace {

constexpr std::array<std::string_view, 7> kDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr std::array<std::string_view, 4> kDetectors = {"email", "phone", "credit_card", "secret"};
constexpr std::array<std::string_view, 4> kRoles = {"viewer", "editor", "manager", "admin"};

template <std::size_t N>
std::string Alternatives(const std::array<std::string_view, N>& names, std::string_view sep = "|") {
  std::string out;
  for (auto n : names) out += (out.empty() ? "" : std::string(sep)) + std::string(n);
  return out;
}

template <std::size_t N>
int IndexOf(const std::array<std::string_view, N>& names, std::string_view name) {
  auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

std::optional<std::vector<Cap>> ReadCaps(const Located& at, Diagnostics& diag, std::vector<CapSite>* sites,
                                         const std::string& origin_base) {
  auto items = ReadSequence(at, diag);
  if (!items) return std::nullopt;
  std::vector<Cap> caps;
  for (std::size_t i = 0; i < items->size(); ++i) {
    const Located& item = (*items)[i];
    auto cap = ReadCap(item, diag, ItemPath(origin_base, i));
    if (!cap) continue;
    if (sites) {
      YAML::Mark max_mark = item.mark;
      if (item.node.IsMap() && item.node["max"]) max_mark = item.node["max"].Mark();
      sites->push_back(CapSite{item.path, max_mark});
    }
    caps.push_back(std::move(*cap));
  }
  return caps;
}

std::optional<ClockRange> ReadClockRange(const Located& at, Diagnostics& diag) {
  auto text = ReadString(at, diag);
  if (!text) return std::nullopt;
  auto dash = text->find('-');
  if (dash == std::string::npos) {
    diag.Error(at.mark, at.path, "invalid quiet hours " + Quote(*text) + "; expected HH:MM-HH:MM, e.g. 21:00-08:00");
    return std::nullopt;
  }
  auto from = ParseClock(std::string_view(*text).substr(0, dash));
  auto to = ParseClock(std::string_view(*text).substr(dash + 1), true);
  if (!from || !to) {
    diag.Error(at.mark, at.path, (!from ? from.error() : to.error()).message());
    return std::nullopt;
  }
  if (*from == *to % (24 * 60)) {
    diag.Error(at.mark, at.path, "quiet hours " + Quote(*text) + " start and end at the same time");
    return std::nullopt;
  }
  return ClockRange{*from, *to};
}

std::optional<WeekdaySet> ReadDays(const Located& at, Diagnostics& diag) {
  auto items = ReadSequence(at, diag);
  if (!items) return std::nullopt;
  WeekdaySet days;
  bool ok = true;
  for (const auto& item : *items) {
    auto name = ReadString(item, diag);
    if (!name) {
      ok = false;
      continue;
    }
    int index = IndexOf(kDays, *name);
    if (index < 0) {
      diag.Error(item.mark, item.path, "unknown weekday " + Quote(*name) + "; use " + Alternatives(kDays, ", "));
      ok = false;
    } else if (days.test(index)) {
      diag.Error(item.mark, item.path, "duplicate weekday " + Quote(*name));
      ok = false;
    } else {
      days.set(index);
    }
  }
  if (ok && days.none()) {
    diag.Error(at.mark, at.path, "days must name at least one weekday");
    return std::nullopt;
  }
  return days;
}

std::optional<Blackout> ReadBlackout(const Located& at, Diagnostics& diag) {
  MapReader map(at, diag, {"from", "to", "reason"});
  if (!map.ok()) return std::nullopt;
  Blackout blackout;
  bool ok = true;
  auto read_time = [&](const std::optional<Located>& value, LocalTime& out) {
    if (!value) return false;
    auto text = ReadString(*value, diag);
    if (!text) return false;
    auto t = ParseLocalDateTime(*text);
    if (!t) {
      diag.Error(value->mark, value->path, t.error().message());
      return false;
    }
    out = *t;
    return true;
  };
  auto from = map.Required("from");
  auto to = map.Required("to");
  ok &= read_time(from, blackout.from);
  ok &= read_time(to, blackout.to);
  if (auto reason = map.Take("reason")) {
    if (auto text = ReadString(*reason, diag)) blackout.reason = *text;
  }
  map.Finish();
  if (ok && blackout.to <= blackout.from) {
    diag.Error(to->mark, to->path, "blackout ends at or before its start " + Quote(from->node.Scalar()));
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return blackout;
}

template <class T, class F>
std::optional<std::vector<T>> ReadEach(const Located& at, Diagnostics& diag, F read) {
  auto items = ReadSequence(at, diag);
  if (!items) return std::nullopt;
  std::vector<T> out;
  for (const auto& item : *items)
    if (auto value = read(item, diag)) out.push_back(std::move(*value));
  return out;
}

std::vector<std::string> ReadStrings(const Located& at, Diagnostics& diag) {
  auto strings = ReadEach<std::string>(at, diag, [](const Located& item, Diagnostics& d) { return ReadString(item, d); });
  return strings ? std::move(*strings) : std::vector<std::string>{};
}

}  // namespace

std::optional<Cap> ReadCap(const Located& at, Diagnostics& diag, const std::string& origin) {
  MapReader map(at, diag, {"max", "per", "label"});
  if (!map.ok()) return std::nullopt;
  Cap cap;
  cap.origin = origin;
  bool ok = true;
  if (auto max = map.Required("max")) {
    if (auto n = ReadInt(*max, diag)) {
      if (*n <= 0 || *n > 1'000'000'000) {
        diag.Error(max->mark, max->path, "max must be a positive number of posts, got " + std::to_string(*n));
        ok = false;
      } else {
        cap.max = static_cast<int>(*n);
      }
    } else {
      ok = false;
    }
  } else {
    ok = false;
  }
  if (auto per = map.Required("per")) {
    if (auto text = ReadString(*per, diag)) {
      if (*text == "day") cap.unit = Cap::Unit::kDay;
      else if (*text == "week") cap.unit = Cap::Unit::kWeek;
      else if (*text == "month") cap.unit = Cap::Unit::kMonth;
      else if (auto d = ParseDuration(*text)) {
        if (d->count() == 0) {
          diag.Error(per->mark, per->path, "a cap's window must be longer than 0s");
          ok = false;
        }
        cap.window = *d;
      } else {
        diag.Error(per->mark, per->path, d.error().message());
        ok = false;
      }
    } else {
      ok = false;
    }
  } else {
    ok = false;
  }
  if (auto label = map.Take("label")) {
    if (auto text = ReadString(*label, diag)) cap.label = *text;
    else ok = false;
  }
  map.Finish();
  if (!ok) return std::nullopt;
  return cap;
}

RuleSetRead ReadRuleSet(const Located& at, Diagnostics& diag) {
  RuleSetRead out;
  MapReader map(at, diag, {"caps", "min_spacing", "quiet_hours", "days", "blackouts"});
  if (!map.ok()) return out;
  if (auto caps = map.Take("caps")) {
    std::vector<CapSite> sites;
    out.rules.caps = ReadCaps(*caps, diag, &sites, caps->path);
    out.cap_sites = std::move(sites);
  }
  if (auto spacing = map.Take("min_spacing")) out.rules.min_spacing = ReadDuration(*spacing, diag);
  if (auto quiet = map.Take("quiet_hours")) out.rules.quiet_hours = ReadEach<ClockRange>(*quiet, diag, ReadClockRange);
  if (auto days = map.Take("days")) out.rules.days = ReadDays(*days, diag);
  if (auto blackouts = map.Take("blackouts")) out.rules.blackouts = ReadEach<Blackout>(*blackouts, diag, ReadBlackout);
  map.Finish();
  return out;
}

std::optional<RampUp> ReadRampUp(const Located& at, Diagnostics& diag) {
  MapReader map(at, diag, {"period", "caps", "forbid_labels"});
  if (!map.ok()) return std::nullopt;
  RampUp ramp;
  bool ok = true;
  if (auto period = map.Required("period")) {
    auto d = ReadDuration(*period, diag);
    if (d && d->count() == 0) {
      diag.Error(period->mark, period->path, "ramp-up period must be longer than 0s");
      d.reset();
    }
    if (d) ramp.period = *d;
    else ok = false;
  } else {
    ok = false;
  }
  // Cap::origin drops the "frequency." prefix for ramp-up caps (policy.h).
  if (auto caps = map.Take("caps")) {
    if (auto read = ReadCaps(*caps, diag, nullptr, "ramp_up.caps")) ramp.caps = std::move(*read);
  }
  if (auto labels = map.Take("forbid_labels")) ramp.forbid_labels = ReadStrings(*labels, diag);
  map.Finish();
  if (!ok) return std::nullopt;
  return ramp;
}

std::vector<Mix> ReadMix(const Located& at, Diagnostics& diag) {
  auto read = [](const Located& item, Diagnostics& d) -> std::optional<Mix> {
    MapReader map(item, d, {"label", "max_share", "over"});
    if (!map.ok()) return std::nullopt;
    Mix mix;
    bool ok = true;
    if (auto label = map.Required("label")) {
      if (auto text = ReadString(*label, d)) mix.label = *text;
      else ok = false;
    } else {
      ok = false;
    }
    if (auto share = map.Required("max_share")) {
      auto x = ReadNumber(*share, d);
      if (x && (*x <= 0 || *x > 1)) {
        d.Error(share->mark, share->path, "max_share must be greater than 0 and at most 1, got " + share->node.Scalar());
        x.reset();
      }
      if (x) mix.max_share = *x;
      else ok = false;
    } else {
      ok = false;
    }
    if (auto over = map.Required("over")) {
      auto w = ReadDuration(*over, d);
      if (w && w->count() == 0) {
        d.Error(over->mark, over->path, "a mix window must be longer than 0s");
        w.reset();
      }
      if (w) mix.over = *w;
      else ok = false;
    } else {
      ok = false;
    }
    map.Finish();
    if (!ok) return std::nullopt;
    return mix;
  };
  auto mixes = ReadEach<Mix>(at, diag, read);
  return mixes ? std::move(*mixes) : std::vector<Mix>{};
}

ContentRules ReadContent(const Located& at, Diagnostics& diag) {
  ContentRules content;
  MapReader map(at, diag, {"banned_terms", "block_patterns", "require_any", "duplicate_window"});
  if (!map.ok()) return content;
  if (auto terms = map.Take("banned_terms")) content.banned_terms = ReadStrings(*terms, diag);
  if (auto patterns = map.Take("block_patterns")) {
    if (auto items = ReadSequence(*patterns, diag)) {
      for (const auto& item : *items) {
        auto name = ReadString(item, diag);
        if (!name) continue;
        int index = IndexOf(kDetectors, *name);
        if (index < 0) {
          diag.Error(item.mark, item.path, "unknown detector " + Quote(*name) + "; use " + Alternatives(kDetectors));
          continue;
        }
        auto detector = static_cast<Detector>(index);
        if (std::find(content.block_patterns.begin(), content.block_patterns.end(), detector) ==
            content.block_patterns.end())
          content.block_patterns.push_back(detector);
      }
    }
  }
  if (auto any = map.Take("require_any")) content.require_any = ReadStrings(*any, diag);
  if (auto window = map.Take("duplicate_window")) content.duplicate_window = ReadDuration(*window, diag);
  map.Finish();
  return content;
}

Approval ReadApproval(const Located& at, Diagnostics& diag) {
  Approval approval;
  MapReader map(at, diag, {"required", "approvers", "four_eyes"});
  if (!map.ok()) return approval;
  if (auto required = map.Take("required")) {
    if (auto b = ReadBool(*required, diag)) approval.required = *b;
  }
  if (auto approvers = map.Take("approvers")) {
    if (auto items = ReadSequence(*approvers, diag)) {
      approval.approvers.clear();
      for (const auto& item : *items) {
        auto role = ReadString(item, diag);
        if (!role) continue;
        if (IndexOf(kRoles, *role) < 0) {
          diag.Error(item.mark, item.path, "unknown role " + Quote(*role) + "; use " + Alternatives(kRoles));
        } else if (std::find(approval.approvers.begin(), approval.approvers.end(), *role) != approval.approvers.end()) {
          diag.Error(item.mark, item.path, "duplicate role " + Quote(*role));
        } else {
          approval.approvers.push_back(*role);
        }
      }
      if (items->empty() && approval.required)
        diag.Error(approvers->mark, approvers->path, "approval is required but no role may approve");
    }
  }
  if (auto four_eyes = map.Take("four_eyes")) {
    if (auto b = ReadBool(*four_eyes, diag)) approval.four_eyes = *b;
  }
  map.Finish();
  return approval;
}

}  // namespace herald::policies::internal
