#include "core/inbox.h"

namespace herald {

std::string_view InboxKindName(InboxKind kind) {
  switch (kind) {
    case InboxKind::kReply: return "reply";
    case InboxKind::kMention: return "mention";
    case InboxKind::kQuote: return "quote";
    case InboxKind::kComment: return "comment";
  }
  return "unknown";
}

std::optional<InboxKind> ParseInboxKind(std::string_view name) {
  for (InboxKind k : {InboxKind::kReply, InboxKind::kMention, InboxKind::kQuote, InboxKind::kComment}) {
    if (InboxKindName(k) == name) return k;
  }
  return std::nullopt;
}

std::string_view InboxStateName(InboxState state) {
  switch (state) {
    case InboxState::kOpen: return "open";
    case InboxState::kAssigned: return "assigned";
    case InboxState::kAnswered: return "answered";
    case InboxState::kDismissed: return "dismissed";
  }
  return "unknown";
}

std::optional<InboxState> ParseInboxState(std::string_view name) {
  for (InboxState s : {InboxState::kOpen, InboxState::kAssigned, InboxState::kAnswered, InboxState::kDismissed}) {
    if (InboxStateName(s) == name) return s;
  }
  return std::nullopt;
}

}  // namespace herald
