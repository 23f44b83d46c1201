#include "core/inbox.h"

#include <catch2/catch.hpp>

namespace herald {
namespace {

TEST_CASE("inbox kinds and states round-trip through their names, and unknown names are refused", "[inbox]") {
  for (InboxKind k : {InboxKind::kReply, InboxKind::kMention, InboxKind::kQuote, InboxKind::kComment}) {
    REQUIRE(ParseInboxKind(InboxKindName(k)) == k);
  }
  for (InboxState s : {InboxState::kOpen, InboxState::kAssigned, InboxState::kAnswered, InboxState::kDismissed}) {
    REQUIRE(ParseInboxState(InboxStateName(s)) == s);
  }
  CHECK(InboxKindName(InboxKind::kComment) == "comment");
  CHECK(InboxStateName(InboxState::kDismissed) == "dismissed");
  CHECK_FALSE(ParseInboxKind("Reply").has_value());
  CHECK_FALSE(ParseInboxState("").has_value());
  CHECK_FALSE(ParseInboxState("closed").has_value());
}

}  // namespace
}  // namespace herald
