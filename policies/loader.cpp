#include "policies/loader.h"

#include <openssl/evp.h>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "policies/internal/connector_reader.h"
#include "policies/internal/inbox_reader.h"
#include "policies/internal/events_reader.h"
#include "policies/internal/rules_reader.h"
#include "policies/internal/yaml_reader.h"
#include "policies/presets.h"

namespace herald::policies {

namespace {

using internal::CapSite;
using internal::Diagnostics;
using internal::Located;
using internal::MapReader;
using internal::Quote;

// Positions kept while loading, for checks that span several sections.
struct AccountSite {
  Located node;
  std::optional<Located> platform;
  std::optional<Located> opened;
  std::optional<Located> id;
};

struct Loading {
  Diagnostics diag;
  Policy policy;
  std::vector<AccountSite> account_sites;  // parallel to policy.accounts
  std::vector<CapSite> default_caps;
  std::map<std::string, std::vector<CapSite>> platform_caps;
  std::map<std::string, std::vector<CapSite>> account_caps;
};

std::string KnownPlatforms() {
  std::string out;
  for (const auto& p : AllPresets()) out += (out.empty() ? "" : ", ") + std::string(p.platform);
  return out;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

bool IsAccountId(std::string_view id) {
  return !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

std::optional<std::string> ReadZoneName(const Located& at, Diagnostics& diag) {
  auto name = internal::ReadString(at, diag);
  if (!name) return std::nullopt;
  auto zone = Zone::Find(*name);
  if (!zone) {
    diag.Error(at.mark, at.path, zone.error().message());
    return std::nullopt;
  }
  return zone->name();
}

void ReadLimits(const Located& at, Loading& l) {
  MapReader map(at, l.diag, {"max_total", "max_per_platform", "min_gap_between_new"});
  if (!map.ok()) return;
  auto positive = [&](const std::optional<Located>& value, std::optional<int>& out) {
    if (!value) return;
    auto n = internal::ReadInt(*value, l.diag);
    if (!n) return;
    if (*n <= 0 || *n > 1'000'000) {
      l.diag.Error(value->mark, value->path, "must be a positive number of accounts, got " + std::to_string(*n));
      return;
    }
    out = static_cast<int>(*n);
  };
  positive(map.Take("max_total"), l.policy.limits.max_total);
  positive(map.Take("max_per_platform"), l.policy.limits.max_per_platform);
  if (auto gap = map.Take("min_gap_between_new")) l.policy.limits.min_gap_between_new = internal::ReadDuration(*gap, l.diag);
  map.Finish();
}

void ReadAccount(const Located& at, Loading& l) {
  MapReader map(at, l.diag, {"id", "platform", "handle", "opened", "timezone", "connector"});
  if (!map.ok()) return;
  Account account;
  AccountSite site{at};
  if ((site.id = map.Required("id"))) {
    if (auto id = internal::ReadString(*site.id, l.diag)) {
      if (!IsAccountId(*id)) {
        l.diag.Error(site.id->mark, site.id->path,
                     "invalid account id " + Quote(*id) + "; use letters, digits, '-', '_' and '.'");
      } else {
        auto same = std::find_if(l.policy.accounts.begin(), l.policy.accounts.end(),
                                 [&](const Account& a) { return a.id == *id; });
        if (same != l.policy.accounts.end()) {
          auto& first = l.account_sites[same - l.policy.accounts.begin()];
          l.diag.Error(site.id->mark, site.id->path,
                       "duplicate account id " + Quote(*id) + " (first at line " +
                           std::to_string(first.id->mark.line + 1) + ")");
        }
      }
      account.id = *id;
    }
  }
  bool platform_known = false;
  if ((site.platform = map.Required("platform"))) {
    if (auto platform = internal::ReadString(*site.platform, l.diag)) {
      if (!FindPreset(*platform)) {
        l.diag.Error(site.platform->mark, site.platform->path,
                     "unknown platform " + Quote(*platform) + "; known: " + KnownPlatforms());
      } else {
        platform_known = true;
      }
      account.platform = *platform;
    }
  }
  if (auto handle = map.Take("handle")) {
    if (auto text = internal::ReadString(*handle, l.diag)) account.handle = *text;
  }
  if ((site.opened = map.Take("opened"))) {
    if (auto text = internal::ReadString(*site.opened, l.diag)) {
      if (auto date = ParseDate(*text)) account.opened = *date;
      else l.diag.Error(site.opened->mark, site.opened->path, date.error().message());
    }
  }
  account.timezone = l.policy.timezone;
  if (auto zone = map.Take("timezone")) {
    if (auto name = ReadZoneName(*zone, l.diag)) account.timezone = *name;
  }
  auto connector = map.Take("connector");
  if (platform_known) account.connector = internal::ReadConnector(connector, account.platform, at, l.diag);
  map.Finish();
  l.policy.accounts.push_back(std::move(account));
  l.account_sites.push_back(std::move(site));
}

void ReadAccounts(const Located& at, Loading& l) {
  MapReader map(at, l.diag, {"limits", "list"});
  if (!map.ok()) return;
  if (auto limits = map.Take("limits")) ReadLimits(*limits, l);
  if (auto list = map.Required("list")) {
    if (auto items = internal::ReadSequence(*list, l.diag))
      for (const auto& item : *items) ReadAccount(item, l);
  }
  map.Finish();
}

void ReadFrequency(const Located& at, Loading& l) {
  MapReader map(at, l.diag,
                {"default", "platforms", "accounts", "ramp_up", "mix", "max_delay", "missed_after"});
  if (!map.ok()) return;
  Frequency& f = l.policy.frequency;
  if (auto defaults = map.Take("default")) {
    auto read = internal::ReadRuleSet(*defaults, l.diag);
    f.defaults = std::move(read.rules);
    l.default_caps = std::move(read.cap_sites);
  }
  if (auto platforms = map.Take("platforms")) {
    MapReader names(*platforms, l.diag);
    for (auto& [key, value] : names.TakeRest()) {
      const std::string& name = key.node.Scalar();
      auto read = internal::ReadRuleSet(value, l.diag);
      if (!FindPreset(name)) {
        l.diag.Error(key.mark, key.path, "unknown platform " + Quote(name) + "; known: " + KnownPlatforms());
        continue;
      }
      f.platforms[name] = std::move(read.rules);
      l.platform_caps[name] = std::move(read.cap_sites);
    }
  }
  if (auto accounts = map.Take("accounts")) {
    MapReader names(*accounts, l.diag);
    for (auto& [key, value] : names.TakeRest()) {
      const std::string& id = key.node.Scalar();
      auto read = internal::ReadRuleSet(value, l.diag);
      if (!l.policy.FindAccount(id)) {
        l.diag.Error(key.mark, key.path, "unknown account " + Quote(id) + "; not in accounts.list");
        continue;
      }
      f.accounts[id] = std::move(read.rules);
      l.account_caps[id] = std::move(read.cap_sites);
    }
  }
  if (auto ramp = map.Take("ramp_up")) f.ramp_up = internal::ReadRampUp(*ramp, l.diag);
  if (auto mix = map.Take("mix")) f.mix = internal::ReadMix(*mix, l.diag);
  if (auto delay = map.Take("max_delay")) {
    if (auto d = internal::ReadDuration(*delay, l.diag)) f.max_delay = *d;
  }
  if (auto missed = map.Take("missed_after")) {
    if (auto d = internal::ReadDuration(*missed, l.diag)) f.missed_after = *d;
  }
  map.Finish();
}

// A rolling, unlabelled policy cap is looser than a preset cap when its window
// is no longer but it allows more posts. Each (cap, preset) pair is reported once.
void CheckAgainstPresets(Loading& l) {
  const Frequency& f = l.policy.frequency;
  std::set<std::pair<std::string, std::string>> reported;
  for (const Account& account : l.policy.accounts) {
    const PlatformPreset* preset = FindPreset(account.platform);
    if (!preset) continue;
    const std::vector<Cap>* caps = nullptr;
    const std::vector<CapSite>* sites = nullptr;
    if (auto it = f.accounts.find(account.id); it != f.accounts.end() && it->second.caps) {
      caps = &*it->second.caps;
      sites = &l.account_caps[account.id];
    } else if (auto pt = f.platforms.find(account.platform); pt != f.platforms.end() && pt->second.caps) {
      caps = &*pt->second.caps;
      sites = &l.platform_caps[account.platform];
    } else if (f.defaults.caps) {
      caps = &*f.defaults.caps;
      sites = &l.default_caps;
    }
    if (!caps || caps->size() != sites->size()) continue;
    for (std::size_t i = 0; i < caps->size(); ++i) {
      const Cap& cap = (*caps)[i];
      if (cap.unit != Cap::Unit::kRolling || !cap.label.empty()) continue;
      for (const Cap& limit : preset->caps) {
        if (cap.window > limit.window || cap.max <= limit.max) continue;
        std::string text = std::to_string(limit.max) + " per " + FormatDuration(limit.window);
        if (!reported.emplace((*sites)[i].path, std::string(preset->platform) + text).second) continue;
        l.diag.Error((*sites)[i].max_mark, (*sites)[i].path + ".max",
                     std::to_string(cap.max) + " per " + FormatDuration(cap.window) + " is looser than the " +
                         std::string(preset->platform) + " preset (" + text + ")");
      }
    }
  }
}

void CheckAccountLimits(Loading& l) {
  const AccountLimits& limits = l.policy.limits;
  const auto& accounts = l.policy.accounts;
  if (limits.max_total && static_cast<int>(accounts.size()) > *limits.max_total) {
    const AccountSite& site = l.account_sites[*limits.max_total];
    l.diag.Error(site.node.mark, site.node.path,
                 std::to_string(accounts.size()) + " accounts exceed accounts.limits.max_total (" +
                     std::to_string(*limits.max_total) + ")");
  }
  if (limits.max_per_platform) {
    std::map<std::string, int> count;
    for (std::size_t i = 0; i < accounts.size(); ++i) {
      if (accounts[i].platform.empty()) continue;
      if (++count[accounts[i].platform] == *limits.max_per_platform + 1 && l.account_sites[i].platform) {
        int total = static_cast<int>(std::count_if(accounts.begin(), accounts.end(), [&](const Account& a) {
          return a.platform == accounts[i].platform;
        }));
        l.diag.Error(l.account_sites[i].platform->mark, l.account_sites[i].platform->path,
                     std::to_string(total) + " " + accounts[i].platform +
                         " accounts exceed accounts.limits.max_per_platform (" +
                         std::to_string(*limits.max_per_platform) + ")");
      }
    }
  }
  if (limits.min_gap_between_new) {
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < accounts.size(); ++i)
      if (accounts[i].opened) order.push_back(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return LocalDays(*accounts[a].opened) < LocalDays(*accounts[b].opened); });
    for (std::size_t k = 1; k < order.size(); ++k) {
      const Account& before = accounts[order[k - 1]];
      const Account& later = accounts[order[k]];
      Duration gap = LocalDays(*later.opened) - LocalDays(*before.opened);
      if (gap >= *limits.min_gap_between_new) continue;
      const Located& at = *l.account_sites[order[k]].opened;
      l.diag.Error(at.mark, at.path,
                   "opened " + FormatDuration(gap) + " after " + before.id + " (" +
                       l.account_sites[order[k - 1]].opened->node.Scalar() +
                       "); accounts.limits.min_gap_between_new is " + FormatDuration(*limits.min_gap_between_new));
    }
  }
}

void ReadPolicy(const YAML::Node& root, Loading& l) {
  Located top{root, "", root.Mark()};
  if (top.mark.line < 0) top.mark.line = top.mark.column = 0;
  if (root.IsNull()) {
    l.diag.Error(top.mark, "", "empty policy file; expected a mapping with version, organization and accounts");
    return;
  }
  MapReader map(top, l.diag,
                {"version", "organization", "timezone", "accounts", "frequency", "content", "approval", "inbox",
                 "events"});
  if (!map.ok()) return;
  if (auto version = map.Required("version")) {
    if (auto n = internal::ReadInt(*version, l.diag)) {
      if (*n != 1) l.diag.Error(version->mark, version->path, "unsupported version " + std::to_string(*n) + "; herald reads version 1");
      else l.policy.version = 1;
    }
  }
  if (auto org = map.Required("organization")) {
    if (auto name = internal::ReadString(*org, l.diag)) {
      // The same rule as a token's organisation (`herald token add`), so every
      // organisation a policy names can have callers.
      if (!IsAccountId(*name) || name->size() > 64) {
        l.diag.Error(org->mark, org->path,
                     "invalid organization " + Quote(*name) + "; use 1-64 letters, digits, '-', '_' and '.'");
      }
      l.policy.organization = *name;
    }
  }
  l.policy.timezone = "UTC";
  if (auto zone = map.Take("timezone")) {
    if (auto name = ReadZoneName(*zone, l.diag)) l.policy.timezone = *name;
  }
  if (auto accounts = map.Required("accounts")) ReadAccounts(*accounts, l);
  if (auto frequency = map.Take("frequency")) ReadFrequency(*frequency, l);
  if (auto content = map.Take("content")) l.policy.content = internal::ReadContent(*content, l.diag);
  if (auto approval = map.Take("approval")) l.policy.approval = internal::ReadApproval(*approval, l.diag);
  if (auto inbox = map.Take("inbox")) l.policy.inbox = internal::ReadInbox(*inbox, l.policy.accounts, l.diag);
  if (auto events = map.Take("events")) l.policy.events = internal::ReadEvents(*events, l.diag);
  map.Finish();
  CheckAgainstPresets(l);
  CheckAccountLimits(l);
}

// Where the second YAML document of `text` starts, when there is one. Parses
// with a handler that builds nothing and stops after two documents: yaml-cpp
// 0.7's LoadAll never returns on some malformed streams (a lone ",": it keeps
// yielding empty documents without consuming input until memory runs out).
std::optional<YAML::Mark> SecondDocument(const std::string& text) {
  class DocumentStarts final : public YAML::EventHandler {
   public:
    std::vector<YAML::Mark> starts;
    void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
  };
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts handler;
  for (int i = 0; i < 2 && parser.HandleNextDocument(handler); ++i) {
  }
  if (handler.starts.size() < 2) return std::nullopt;
  return handler.starts[1];
}

}  // namespace

std::expected<Policy, Errors> LoadPolicy(std::string_view yaml_text, std::string_view file) {
  Loading l{Diagnostics(std::string(file))};
  try {
    const std::string text(yaml_text);
    YAML::Node document = YAML::Load(text);
    if (auto second = SecondDocument(text)) {
      l.diag.Error(*second, "", "a policy file holds one YAML document; another one starts here");
    }
    ReadPolicy(document, l);
  } catch (const YAML::Exception& e) {
    Diagnostics syntax{std::string(file)};
    std::string message = e.msg;
    syntax.Error(e.mark, "", "invalid YAML: " + message);
    return std::unexpected(syntax.Take());
  }
  if (!l.diag.empty()) return std::unexpected(l.diag.Take());
  l.policy.source = std::string(file);
  l.policy.sha256 = Sha256Hex(yaml_text);
  return std::move(l.policy);
}

Errors CheckPolicySet(std::span<const Policy> policies) {
  Errors errors;
  std::map<std::string, const Policy*> organizations;
  std::map<std::string, const Policy*> accounts;
  for (const Policy& policy : policies) {
    auto [org, fresh] = organizations.emplace(policy.organization, &policy);
    if (!fresh)
      errors.emplace_back(Code::kAlreadyExists,
                          "organization " + Quote(policy.organization) + " is also defined in " + org->second->source,
                          Where{policy.source, 0, 0, "organization"});
    for (std::size_t i = 0; i < policy.accounts.size(); ++i) {
      const Account& account = policy.accounts[i];
      auto [other, unique] = accounts.emplace(account.id, &policy);
      if (!unique)
        errors.emplace_back(Code::kAlreadyExists,
                            "account id " + Quote(account.id) + " is also used in " + other->second->source,
                            Where{policy.source, 0, 0, "accounts.list[" + std::to_string(i) + "].id"});
    }
  }
  return errors;
}

}  // namespace herald::policies
