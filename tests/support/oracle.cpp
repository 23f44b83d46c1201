#include "tests/support/oracle.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>
#include <utility>

namespace herald::oracle {
namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::minutes;
using std::chrono::seconds;
using policies::AccountRules;
using policies::Cap;

// One post with its local calendar readings, computed here from the zone's
// offset rather than with core/time.h's calendar helpers, so the oracle does not
// share their bugs.
struct Item {
  const OraclePost* post = nullptr;
  size_t index = 0;  // position in placement order (the input vector's order)
  Instant at;
  LocalDays day;
  LocalDays week;   // Monday of the ISO week
  LocalDays month;  // first of the month
  int minute_of_day = 0;
  int weekday = 0;  // Monday = 0
};

// Caches the zone's offset span so a scan over consecutive candidates does not
// look the zone up each time; ToLocal(t) is t + the offset in force at t.
class LocalClock {
 public:
  explicit LocalClock(const Zone& zone) : zone_(zone) {}

  LocalTime ToLocal(Instant t) {
    if (!valid_ || t < span_.begin || t >= span_.end) {
      span_ = zone_.OffsetAt(t);
      valid_ = true;
    }
    return LocalTime{(t + span_.offset).time_since_epoch()};
  }

 private:
  Zone zone_;
  Zone::OffsetSpan span_{};
  bool valid_ = false;
};

Item MakeItem(const OraclePost& post, Instant at, LocalClock& clock) {
  Item item;
  item.post = &post;
  item.at = at;
  LocalTime local = clock.ToLocal(at);
  item.day = floor<days>(local);
  item.minute_of_day = static_cast<int>(floor<minutes>(local - item.day).count());
  item.weekday = static_cast<int>(std::chrono::weekday{item.day}.iso_encoding()) - 1;
  item.week = item.day - days{item.weekday};
  std::chrono::year_month_day ymd{item.day};
  item.month = LocalDays{ymd.year() / ymd.month() / std::chrono::day{1}};
  return item;
}

bool Has(const Item& item, const std::string& label) {
  const auto& labels = item.post->labels;
  return std::find(labels.begin(), labels.end(), label) != labels.end();
}

std::string Fmt(Instant t) { return FormatRfc3339(t); }

// A cap as the checker sees it: the account's own (presets included) or ramp-up's.
struct CapRule {
  const Cap* cap;
  std::string name;
  bool ramp;
};

// Walks every violation of a plan. With focus >= 0 it walks only the violations
// whose evidence includes items[focus] (its own rules, pairs with it, windows
// holding it): the violations that adding that post can have created. Every
// over-full window is found from a window that starts at one of its counted
// posts, because sliding a window's start right up to its first counted post
// loses none of them.
class Checker {
 public:
  // `waive_later_urgent`: judge a finished plan, where an urgent post placed
  // after a post bypassed that post's rules (see oracle.h). Off when judging
  // one insertion, which counts every post already there.
  Checker(const AccountRules& rules, bool waive_later_urgent) : rules_(rules), waive_(waive_later_urgent) {
    for (size_t i = 0; i < rules.caps.size(); ++i)
      caps_.push_back({&rules.caps[i], "caps[" + std::to_string(i) + "]", false});
    if (rules.ramp_up) {
      for (size_t i = 0; i < rules.ramp_up->caps.size(); ++i)
        caps_.push_back({&rules.ramp_up->caps[i], "ramp_up.caps[" + std::to_string(i) + "]", true});
    }
    for (size_t i = 0; i < rules.mix.size(); ++i) mix_names_.push_back("mix[" + std::to_string(i) + "]");
  }

  // visit(rule, owner index, detail function) returns false to stop the walk.
  // Returns false when stopped.
  template <class Visit>
  bool Run(const std::vector<Item>& items, int focus, Visit&& visit) const {
    for (size_t i = 0; i < items.size(); ++i) {
      if (focus >= 0 && static_cast<int>(i) != focus) continue;
      if (!SinglePost(items, i, visit)) return false;
    }
    if (!Spacing(items, focus, visit)) return false;
    for (const auto& cap : caps_) {
      bool ok = cap.cap->unit == Cap::Unit::kRolling ? Rolling(cap, items, focus, visit)
                                                     : Calendar(cap, items, focus, visit);
      if (!ok) return false;
    }
    for (size_t m = 0; m < rules_.mix.size(); ++m)
      if (!MixRule(m, items, focus, visit)) return false;
    return true;
  }

 private:
  bool InRamp(const Item& item) const {
    return rules_.ramp_up && item.at >= rules_.ramp_up->begin && item.at < rules_.ramp_up->end;
  }
  bool Counts(const CapRule& c, const Item& item) const {
    return (c.cap->label.empty() || Has(item, c.cap->label)) && (!c.ramp || InRamp(item));
  }
  bool Owns(const CapRule& c, const Item& item) const {
    return Counts(c, item) && (c.cap->preset || !item.post->urgent);
  }
  // An urgent post placed after `owner` bypassed the policy: it does not count
  // in the owner's own (non-preset) rules. Posts placed after it respect it.
  bool Excused(const Item& r, const Item& owner, bool preset) const {
    return waive_ && !preset && r.post->urgent && r.index > owner.index;
  }

 public:
  // Whether `rule` is a platform preset's cap (never waived, never bypassed).
  bool IsPreset(const std::string& rule) const {
    for (const auto& c : caps_)
      if (c.name == rule) return c.cap->preset;
    return false;
  }

 private:

  template <class Visit>
  bool SinglePost(const std::vector<Item>& items, size_t i, Visit& visit) const {
    const Item& p = items[i];
    if (p.at > p.post->requested_at + rules_.max_delay) {
      if (!visit(kMaxDelay, i, [&] { return "planned " + Fmt(p.at) + " past requested " + Fmt(p.post->requested_at) + " + " + FormatDuration(rules_.max_delay); }))
        return false;
    }
    for (const auto& b : rules_.blackouts) {
      if (p.at >= b.from && p.at < b.to) {
        if (!visit(kBlackout, i, [&] { return "in [" + Fmt(b.from) + ", " + Fmt(b.to) + ")"; })) return false;
      }
    }
    if (p.post->urgent) return true;
    for (const auto& q : rules_.quiet_hours) {
      if (q.Contains(p.minute_of_day)) {
        if (!visit(kQuiet, i, [&] { return "local minute " + std::to_string(p.minute_of_day); })) return false;
      }
    }
    if (!rules_.days.test(static_cast<size_t>(p.weekday))) {
      if (!visit(kDays, i, [&] { return "weekday " + std::to_string(p.weekday); })) return false;
    }
    if (InRamp(p)) {
      for (const auto& label : rules_.ramp_up->forbid_labels) {
        if (Has(p, label)) {
          if (!visit(kForbid, i, [&] { return "label " + label + " during ramp-up"; })) return false;
        }
      }
    }
    return true;
  }

  template <class Visit>
  bool Spacing(const std::vector<Item>& items, int focus, Visit& visit) const {
    if (rules_.min_spacing <= seconds{0}) return true;
    for (size_t i = 0; i < items.size(); ++i) {
      for (size_t j = 0; j < items.size(); ++j) {
        if (i == j) continue;
        if (focus >= 0 && static_cast<int>(i) != focus && static_cast<int>(j) != focus) continue;
        const Item& p = items[i];
        const Item& q = items[j];
        if (p.post->urgent || Excused(q, p, false)) continue;
        auto gap = p.at > q.at ? p.at - q.at : q.at - p.at;
        if (gap < rules_.min_spacing) {
          if (!visit(kSpacing, i, [&] { return FormatDuration(gap) + " from post " + q.post->id; })) return false;
        }
      }
    }
    return true;
  }

  template <class Visit>
  bool Rolling(const CapRule& c, const std::vector<Item>& items, int focus, Visit& visit) const {
    const Duration w = c.cap->window;
    const bool preset = c.cap->preset;
    auto count = [&](Instant s, const Item& owner) {
      int n = 0;
      for (const auto& r : items)
        if (Counts(c, r) && r.at >= s && r.at < s + w && !Excused(r, owner, preset)) ++n;
      return n;
    };
    for (size_t i = 0; i < items.size(); ++i) {
      const Item& p = items[i];
      if (!Owns(c, p)) continue;
      if (focus >= 0) {
        const Item& f = items[static_cast<size_t>(focus)];
        if (!Counts(c, f)) return true;
        auto gap = p.at > f.at ? p.at - f.at : f.at - p.at;
        if (static_cast<int>(i) != focus && gap >= w) continue;  // never in one window
      }
      for (const auto& q : items) {
        if (!Counts(c, q) || !(q.at <= p.at && p.at < q.at + w)) continue;
        int n = count(q.at, p);
        if (n > c.cap->max) {
          if (!visit(c.name, i, [&] { return std::to_string(n) + " posts in [" + Fmt(q.at) + ", +" + FormatDuration(w) + ")"; }))
            return false;
          break;
        }
      }
    }
    return true;
  }

  static LocalDays Period(Cap::Unit unit, const Item& item) {
    switch (unit) {
      case Cap::Unit::kDay: return item.day;
      case Cap::Unit::kWeek: return item.week;
      default: return item.month;
    }
  }

  template <class Visit>
  bool Calendar(const CapRule& c, const std::vector<Item>& items, int focus, Visit& visit) const {
    auto count = [&](LocalDays period, const Item& owner) {
      int n = 0;
      for (const auto& r : items)
        if (Counts(c, r) && Period(c.cap->unit, r) == period && !Excused(r, owner, c.cap->preset)) ++n;
      return n;
    };
    if (focus >= 0 && !Counts(c, items[static_cast<size_t>(focus)])) return true;
    for (size_t i = 0; i < items.size(); ++i) {
      const Item& p = items[i];
      if (!Owns(c, p)) continue;
      LocalDays period = Period(c.cap->unit, p);
      if (focus >= 0 && Period(c.cap->unit, items[static_cast<size_t>(focus)]) != period) continue;
      int n = count(period, p);
      if (n > c.cap->max) {
        if (!visit(c.name, i, [&] { return std::to_string(n) + " posts in the local period of " + Fmt(p.at); }))
          return false;
      }
    }
    return true;
  }

  template <class Visit>
  bool MixRule(size_t m, const std::vector<Item>& items, int focus, Visit& visit) const {
    const auto& mix = rules_.mix[m];
    for (size_t i = 0; i < items.size(); ++i) {
      const Item& p = items[i];
      if (p.post->urgent || !Has(p, mix.label)) continue;
      const Instant from = p.at - mix.over;  // exclusive
      if (focus >= 0) {
        const Item& f = items[static_cast<size_t>(focus)];
        if (!(f.at > from && f.at <= p.at)) continue;
      }
      int all = 0;
      int labelled = 0;
      for (const auto& q : items) {
        if (q.at > from && q.at <= p.at && !Excused(q, p, false)) {
          ++all;
          if (Has(q, mix.label)) ++labelled;
        }
      }
      // The tolerance keeps a share such as 0.2 of 5 posts from failing on rounding.
      if (labelled > mix.max_share * all + 1e-9) {
        if (!visit(mix_names_[m], i, [&] { return std::to_string(labelled) + " of " + std::to_string(all) + " posts labelled " + mix.label; }))
          return false;
      }
    }
    return true;
  }

  inline static const std::string kMaxDelay = "max_delay";
  inline static const std::string kBlackout = "blackout";
  inline static const std::string kQuiet = "quiet_hours";
  inline static const std::string kDays = "days";
  inline static const std::string kForbid = "ramp_up.forbid_labels";
  inline static const std::string kSpacing = "min_spacing";

  const AccountRules& rules_;
  bool waive_ = false;
  std::vector<CapRule> caps_;
  std::vector<std::string> mix_names_;
};

std::vector<Item> MakeItems(const std::vector<OraclePost>& posts, LocalClock& clock) {
  std::vector<Item> items;
  items.reserve(posts.size() + 1);
  for (const auto& p : posts) {
    items.push_back(MakeItem(p, p.at, clock));
    items.back().index = items.size() - 1;
  }
  return items;
}

using Key = std::pair<std::string, std::string>;

std::set<Key> Keys(const Checker& checker, const std::vector<Item>& items) {
  std::set<Key> keys;
  checker.Run(items, -1, [&](const std::string& rule, size_t owner, auto&&) {
    keys.emplace(rule, items[owner].post->id);
    return true;
  });
  return keys;
}

bool IsWholeMinute(Instant t) { return t.time_since_epoch().count() % 60 == 0; }

}  // namespace

namespace {

std::vector<Violation> Judge(const AccountRules& rules, const std::vector<OraclePost>& posts, bool waive) {
  LocalClock clock(rules.zone);
  std::vector<Item> items = MakeItems(posts, clock);
  Checker checker(rules, waive);
  std::vector<Violation> out;
  checker.Run(items, -1, [&](const std::string& rule, size_t owner, auto&& detail) {
    out.push_back({rule, items[owner].post->id, detail()});
    return true;
  });
  return out;
}

}  // namespace

std::vector<Violation> CheckPlan(const AccountRules& rules, const std::vector<OraclePost>& posts) {
  return Judge(rules, posts, /*waive=*/true);
}

std::vector<Violation> NewViolationsAt(const AccountRules& rules, const std::vector<OraclePost>& before,
                                       const OraclePost& post, Instant at) {
  std::set<Key> old_keys;
  for (const auto& v : Judge(rules, before, false)) old_keys.emplace(v.rule, v.post);
  std::vector<OraclePost> after = before;
  after.push_back(post);
  after.back().at = at;
  Checker names(rules, false);
  std::vector<Violation> out;
  for (auto& v : Judge(rules, after, false)) {
    if (old_keys.contains({v.rule, v.post})) continue;
    if (post.urgent && v.post != post.id && !names.IsPreset(v.rule)) continue;  // waived by the bypass
    out.push_back(std::move(v));
  }
  return out;
}

// Why the candidates below are enough. When every input is a whole minute, each
// rule's set of forbidden instants for the new post is a union of intervals
// [a, b) or (a, b) with whole-minute ends: spacing (q - S, q + S); a rolling cap
// (max - W, min + W) over the N posts it would join; calendar periods, quiet
// hours, days, blackouts and ramp-up are [a, b) (local boundaries are whole-minute
// instants since every 2026 offset of the zones used is whole minutes); the mix
// share at the new post's own window (t - over, t] is constant over [m, m + 1m).
// So feasibility is constant on every [m, m + 1m) and the first feasible second is
// a whole minute -- except for one rule shaped (a, b]: a labelled post at t joins
// the mix window (q - over, q] of a later labelled post q, for t up to and
// including q. Past q that breakage stops; for a non-urgent new post its own mix
// check over (m, m + 1m) then sees exactly q's window plus itself and fails the
// same way, but an urgent new post has no own mix check, so for those m + 1s is
// tried as well. Every second of the first two minutes is tried anyway, to catch
// off-by-one-second errors wherever they come from.
std::optional<Instant> EarliestFeasible(const AccountRules& rules, const std::vector<OraclePost>& before,
                                        const OraclePost& post) {
  LocalClock clock(rules.zone);
  Checker checker(rules, /*waive_later_urgent=*/false);
  std::vector<Item> items = MakeItems(before, clock);
  const std::set<Key> old_keys = Keys(checker, items);
  items.push_back(MakeItem(post, post.requested_at, clock));
  const int focus = static_cast<int>(items.size()) - 1;

  auto feasible = [&](Instant t) {
    items.back() = MakeItem(post, t, clock);
    items.back().index = static_cast<size_t>(focus);  // placed after everything before it
    bool clean = true;
    checker.Run(items, focus, [&](const std::string& rule, size_t owner, auto&&) {
      if (old_keys.contains({rule, items[owner].post->id})) return true;
      // An urgent post bypasses the policy: what it breaks for posts already
      // there is waived, except platform presets (and blackouts, its own).
      if (post.urgent && static_cast<int>(owner) != focus && !checker.IsPreset(rule)) return true;
      clean = false;
      return false;
    });
    return clean;
  };

  bool urgent_mix_label = false;
  if (post.urgent) {
    for (const auto& mix : rules.mix)
      if (std::find(post.labels.begin(), post.labels.end(), mix.label) != post.labels.end()) urgent_mix_label = true;
  }

  const Instant first = post.requested_at;
  const Instant last = post.requested_at + rules.max_delay;
  const Instant fine_end = std::min(last, first + seconds{120});
  for (Instant t = first; t <= fine_end; t += seconds{1})
    if (feasible(t)) return t;
  Instant t = std::chrono::ceil<minutes>(fine_end + seconds{1});
  for (; t <= last; t += minutes{1}) {
    if (feasible(t)) return t;
    if (urgent_mix_label && t + seconds{1} <= last && feasible(t + seconds{1})) return t + seconds{1};
  }
  if (!IsWholeMinute(last) && last > fine_end && feasible(last)) return last;
  return std::nullopt;
}

}  // namespace herald::oracle
