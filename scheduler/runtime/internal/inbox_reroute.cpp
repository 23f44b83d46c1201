#include "scheduler/runtime/internal/inbox_reroute.h"

#include <nlohmann/json.hpp>

#include "policies/inbox_router.h"

namespace herald::runtime::internal {

using nlohmann::json;

std::string RoutingKey(const policies::InboxRouting& routing) {
  json departments = json::array();
  for (const auto& d : routing.departments) {
    departments.push_back({d.name, d.keywords, d.patterns, d.languages, d.accounts,
                           std::chrono::duration_cast<std::chrono::seconds>(d.answer_within).count()});
  }
  return json{{"default", routing.default_department}, {"departments", departments}}.dump();
}

Instant InboxDueAt(const InboxMessage& m, Instant received, Duration answer_within) {
  Instant base = m.created_at;
  if (base == Instant{} || base > received) base = received;
  return base + answer_within;
}

Result<int> RerouteOpenItems(storage::Store& store, const std::string& organization,
                             const policies::InboxRouting& routing, Instant now) {
  const policies::InboxRouter router(routing);
  int moved = 0;
  storage::InboxQuery query;
  query.organization = organization;
  query.state = InboxState::kOpen;
  query.limit = 1000;
  for (;;) {
    auto page = store.ListInbox(query);
    if (!page) return std::unexpected(page.error());
    for (storage::InboxItem item : *page) {
      const policies::InboxDepartment& to = router.Route(item.account, item.message);
      if (to.name == item.department) continue;
      json detail = {{"inbox_item", item.id}, {"from", item.department}, {"to", to.name},
                     {"why", "the inbox routing of the policy changed"}};
      item.department = to.name;
      item.due_at = InboxDueAt(item.message, item.received_at, to.answer_within);
      item.updated_at = now;
      auto updated = store.UpdateInboxItem(
          item, {{0, organization, now, "herald", "inbox_reroute", std::nullopt, detail.dump()}});
      if (updated) {
        ++moved;
      } else if (updated.error().code() != Code::kFailedPrecondition) {
        return std::unexpected(updated.error());
      }
    }
    if (static_cast<int>(page->size()) < query.limit) return moved;
    query.before_id = page->back().id;
  }
}

}  // namespace herald::runtime::internal
