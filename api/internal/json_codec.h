// JSON for the HTTP API: posts, audit entries, accounts and the policy view
// out; request bodies in, with every problem reported as a JSON pointer and a
// sentence. Pure functions; thread-safe.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/internal/problem.h"
#include "core/post.h"
#include "scheduler/runtime/service.h"
#include "storage/store.h"

namespace herald::api::internal {

using BodyErrors = std::vector<FieldError>;
template <class T>
using Parsed = std::expected<T, BodyErrors>;

nlohmann::json PostToJson(const Post& post);
nlohmann::json AuditEntryToJson(const storage::AuditEntry& entry);
nlohmann::json AccountViewToJson(const runtime::AccountView& account);
nlohmann::json PolicyViewToJson(const runtime::PolicyView& policy);

// One line on why a post has (or has no) planned time, e.g.
// "planned for 2026-03-10T15:00:00Z, 45m after the requested time: min_spacing".
std::string DecisionSummary(const Post& post);

// Parses a request body. On malformed JSON, one error with pointer "" that
// names the byte offset.
Parsed<nlohmann::json> ParseJsonBody(std::string_view body);

// {account, text?, at?, labels?, priority?, media?}: unknown fields and wrong
// types are errors; all of them are reported, not only the first.
Parsed<runtime::CreatePostRequest> ParseCreatePost(const nlohmann::json& body);
// {text?, at?, labels?}; at least one of them.
Parsed<runtime::EditPostRequest> ParseEditPost(const nlohmann::json& body);
// {note?} for approve, reject and cancel.
// POST /v1/inbox/{id}/reply: {text, media?}; the account and the item are
// the Service's to fill in.
Parsed<runtime::CreatePostRequest> ParseReply(const nlohmann::json& body);
Parsed<std::string> ParseNote(const nlohmann::json& body);

// [{rule, detail, posts}]: a decision's reasons (scheduler::Reason) or a
// stored post's (StoredReason), the same shape everywhere in the API.
template <class Reasons>
nlohmann::json ReasonsToJson(const Reasons& reasons) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : reasons) out.push_back({{"rule", r.rule}, {"detail", r.detail}, {"posts", r.posts}});
  return out;
}

// Whether an Idempotency-Key header is 1-`max` visible ASCII characters.
bool ValidIdempotencyKey(std::string_view key, size_t max);

// SHA-256 hex of the body's canonical form (keys sorted, no whitespace), so
// the same request formatted differently hashes the same.
std::string CanonicalHash(const nlohmann::json& body);

}  // namespace herald::api::internal
