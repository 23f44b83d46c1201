#include "storage/event_payloads.h"

#include <nlohmann/json.hpp>

namespace herald::storage {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string UnixText(Instant t) { return std::to_string(t.time_since_epoch().count()); }

}  // namespace

Event AccountEvent(EventType type, const AccountFacts& f, Instant at, std::string_view key) {
  json data = {{"organization", f.organization}, {"account", f.account}, {"platform", f.platform}};
  if (!f.rule.empty()) data["rule"] = f.rule;
  if (f.until) data["until"] = FormatRfc3339(*f.until);
  if (!f.why.empty()) data["why"] = f.why;
  if (f.http_status) data["http_status"] = *f.http_status;
  if (type == EventType::kAccountCredentialsBroken) {
    data["action"] = "reconnect this account: its platform refused its credentials, so nothing is published on it "
                     "until it is connected again (new token in the policy's secret, or POST /v1/accounts/" +
                     f.account + "/connect for an OAuth account)";
  }
  return Event{0, EventId({EventTypeName(type), f.organization, f.account, key}), f.organization, type, at, Dump(data)};
}

Event InboxItemOverdueEvent(const std::string& organization, const std::string& account, const InboxMessage& item,
                            Instant due_at, Instant at) {
  json data = {{"organization", organization},
               {"account", account},
               {"item",
                {{"remote_id", item.remote_id},
                 {"kind", InboxKindName(item.kind)},
                 {"author", item.author},
                 {"text", item.text},
                 {"url", item.url},
                 {"created_at", FormatRfc3339(item.created_at)},
                 {"in_reply_to", item.in_reply_to}}},
               {"due_at", FormatRfc3339(due_at)},
               {"overdue_seconds", std::max<int64_t>(0, (at - due_at).count())}};
  return Event{0, EventId({"inbox_item_overdue", organization, account, item.remote_id, UnixText(due_at)}),
               organization, EventType::kInboxItemOverdue, at, Dump(data)};
}

Result<void> EmitInboxItemOverdue(Store& store, const std::string& organization, const std::string& account,
                                  const InboxMessage& item, Instant due_at, Instant now) {
  return store.RecordEvents({InboxItemOverdueEvent(organization, account, item, due_at, now)});
}

}  // namespace herald::storage
