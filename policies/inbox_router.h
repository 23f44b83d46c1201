// InboxRouter: gives an inbox item its department, from a policy's `inbox:`
// section (docs/inbox.md): the first department in file order whose rules
// all match the item, else the default department. Pure; immutable after
// construction, so thread-safe.
#pragma once

#include <regex>
#include <string_view>
#include <vector>

#include "core/inbox.h"
#include "policies/policy.h"

namespace herald::policies {

// Patterns only see this many bytes of an item's text, keywords ten times
// as many: an item's text comes from anybody.
inline constexpr size_t kRoutedPatternBytes = 2000;

class InboxRouter {
 public:
  // REQUIRES: `routing` was validated by the loader (patterns compile, the
  // default names a department).
  explicit InboxRouter(InboxRouting routing);

  // The department of an item that reached `account`.
  const InboxDepartment& Route(std::string_view account, const InboxMessage& message) const;

  const InboxRouting& routing() const { return routing_; }

 private:
  bool Matches(size_t department, std::string_view account, const InboxMessage& message) const;

  InboxRouting routing_;
  std::vector<std::vector<std::regex>> patterns_;  // parallel to routing_.departments
  InboxDepartment fallback_;  // used only when the default names nothing
};

}  // namespace herald::policies
