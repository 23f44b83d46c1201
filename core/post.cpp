#include "core/post.h"

#include <array>
#include <utility>

namespace herald {
namespace {

constexpr std::array<std::pair<PostState, std::string_view>, 10> kNames{{
    {PostState::kPendingApproval, "pending_approval"},
    {PostState::kScheduled, "scheduled"},
    {PostState::kPublishing, "publishing"},
    {PostState::kPublished, "published"},
    {PostState::kFailed, "failed"},
    {PostState::kUnconfirmed, "unconfirmed"},
    {PostState::kRejected, "rejected"},
    {PostState::kCancelled, "cancelled"},
    {PostState::kRefused, "refused"},
    {PostState::kMissed, "missed"},
}};

}  // namespace

std::string_view PostStateName(PostState s) {
  for (auto [state, name] : kNames)
    if (state == s) return name;
  return "unknown";
}

std::optional<PostState> ParsePostState(std::string_view name) {
  for (auto [state, n] : kNames)
    if (n == name) return state;
  return std::nullopt;
}

std::string_view PostKindName(PostKind k) { return k == PostKind::kReply ? "reply" : "post"; }

bool HoldsCapacity(PostState s) {
  return s == PostState::kScheduled || s == PostState::kPublishing || s == PostState::kPublished ||
         s == PostState::kUnconfirmed;
}

bool IsFinal(PostState s) {
  return s == PostState::kPublished || s == PostState::kFailed || s == PostState::kRejected ||
         s == PostState::kCancelled || s == PostState::kRefused || s == PostState::kMissed;
}

}  // namespace herald
