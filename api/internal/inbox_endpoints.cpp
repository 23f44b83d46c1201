// The inbox's endpoints (docs/api.md): GET /v1/inbox and /v1/inbox/{id},
// POST /v1/inbox/{id}/assign, /dismiss, /reopen and /reply. They parse, call the
// Service (which checks the department's access and audits) and shape the
// answer; another organisation's item is 404 like one that does not exist.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "api/internal/endpoints.h"
#include "api/internal/query_reader.h"

namespace herald::api::internal {
namespace {

using nlohmann::json;

constexpr int kDefaultLimit = 50;
constexpr int kMaxLimit = 200;

ApiResponse NoItem(const std::string& id) {
  return ProblemResponse(MakeProblem(404, "not-found", "no inbox item " + id + " in your organisation"));
}

json OptionalId(const std::optional<int64_t>& id) { return id ? json(*id) : json(nullptr); }

json ItemToJson(const runtime::InboxItemView& view) {
  const storage::InboxItem& i = view.item;
  const InboxMessage& m = i.message;
  return {{"id", i.id},
          {"account", i.account},
          {"kind", InboxKindName(m.kind)},
          {"remote_id", m.remote_id},
          {"author", m.author},
          {"author_name", m.author_name},
          {"text", m.text},
          {"language", m.language},
          {"url", m.url},
          {"created_at", FormatRfc3339(m.created_at)},
          {"in_reply_to", m.in_reply_to},
          {"post_id", OptionalId(i.post_id)},
          {"department", i.department},
          {"state", InboxStateName(i.state)},
          {"assignee", i.assignee.empty() ? json(nullptr) : json(i.assignee)},
          {"reply_post_id", OptionalId(i.reply_post_id)},
          {"reply", i.reply_post_id && view.reply_state
                        ? json{{"post_id", *i.reply_post_id},
                               {"state", PostStateName(*view.reply_state)},
                               {"failure", view.reply_failure.empty() ? json(nullptr) : json(view.reply_failure)}}
                        : json(nullptr)},
          {"received_at", FormatRfc3339(i.received_at)},
          {"due_at", FormatRfc3339(i.due_at)},
          {"overdue", view.overdue},
          {"may_answer", view.may_answer},
          {"updated_at", FormatRfc3339(i.updated_at)}};
}

ApiResponse ItemResponse(const Result<runtime::InboxItemView>& view) {
  if (!view) return StatusResponse(view.error());
  return JsonResponse(200, ItemToJson(*view));
}

// {allowed fields}: unknown ones and wrong types are errors, each named.
Parsed<json> ReadFields(const json& body, std::initializer_list<std::string_view> allowed) {
  BodyErrors errors;
  if (!body.is_object()) return std::unexpected(BodyErrors{{"", "the body must be a JSON object"}});
  for (const auto& [key, value] : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      errors.push_back({"/" + key, "unknown field \"" + key + "\""});
    } else if (!value.is_string()) {
      errors.push_back({"/" + key, key + " must be a string"});
    }
  }
  if (!errors.empty()) return std::unexpected(std::move(errors));
  return body;
}

// Where in the reply's body a refusing rule points: the text, or the media.
std::string PointerOf(const StoredReason& reason) {
  if (reason.rule == "content.media") return "/media";
  if (reason.rule.starts_with("content.")) return "/text";
  return "";
}

// 422: the rules refuse the reply, which was not kept.
ApiResponse RefusedReply(int64_t item, const Post& reply) {
  BodyErrors errors;
  json violations = json::array();
  for (const auto& r : reply.reasons) {
    violations.push_back({{"rule", r.rule}, {"detail", r.detail}});
    errors.push_back({PointerOf(r), r.rule + ": " + r.detail});
  }
  Problem p = MakeProblem(422, "refused",
                          "the policy refuses this reply: " + DecisionSummary(reply) +
                              ". Nothing was kept; change the text and send it again");
  p.instance = "/v1/inbox/" + std::to_string(item) + "/reply";
  p.extensions["violations"] = violations;
  p.errors = std::move(errors);
  return ProblemResponse(p);
}

}  // namespace

ApiResponse Endpoints::ListInbox(const Call& call) {
  QueryReader q(call.request, {"department", "state", "account", "overdue", "limit", "cursor"});
  runtime::InboxListRequest request;
  request.department = q.Get("department");
  if (request.department && request.department->empty()) q.Fail("department", "department must not be empty");
  request.account = q.Get("account");
  if (request.account && request.account->empty()) q.Fail("account", "account must not be empty");
  if (auto s = q.Get("state")) {
    request.state = ParseInboxState(*s);
    if (!request.state) q.Fail("state", "unknown state \"" + *s + "\"; use open, assigned, answered or dismissed");
  }
  if (auto o = q.Get("overdue")) {
    if (*o == "true") request.overdue = true;
    else if (*o != "false") q.Fail("overdue", "overdue must be true or false");
  }
  int limit = q.Int("limit", 1, kMaxLimit, kDefaultLimit);
  request.before_id = q.Cursor();
  if (auto problem = q.Problems()) return *problem;
  request.limit = limit + 1;  // one more tells whether there is a next page
  auto items = service_.Inbox(call.caller, request);
  if (!items) {
    if (items.error().code() == Code::kNotFound) {
      return ProblemResponse(MakeProblem(404, "not-found", items.error().message()));
    }
    return StatusResponse(items.error());
  }
  json out = json::array();
  json next = nullptr;
  for (size_t i = 0; i < items->size() && i < static_cast<size_t>(limit); ++i) out.push_back(ItemToJson((*items)[i]));
  if (items->size() > static_cast<size_t>(limit)) next = EncodeCursor((*items)[limit - 1].item.id);
  return Conditional(call, JsonResponse(200, {{"items", out}, {"next_cursor", next}}));
}

ApiResponse Endpoints::GetInboxItem(const Call& call) {
  QueryReader q(call.request, {});
  if (auto problem = q.Problems()) return *problem;
  auto id = ParsePositive(call.params.at(0));
  if (!id) return NoItem(call.params.at(0));
  auto view = service_.GetInboxItem(call.caller, *id);
  if (!view) return StatusResponse(view.error());
  return Conditional(call, JsonResponse(200, ItemToJson(*view)));
}

ApiResponse Endpoints::AssignInboxItem(const Call& call) {
  auto id = ParsePositive(call.params.at(0));
  auto body = JsonBody(call.request, false);
  if (!body) return body.error();
  auto fields = ReadFields(*body, {"to"});
  if (!fields) return BodyProblem(400, "invalid-body", std::move(fields.error()));
  if (!fields->contains("to")) return BodyProblem(400, "invalid-body", {{"/to", "to is required: who answers it"}});
  if (!id) return NoItem(call.params.at(0));
  auto view = service_.AssignInboxItem(call.caller, *id, (*fields)["to"].get<std::string>());
  if (!view && view.error().code() == Code::kInvalidArgument) {
    return BodyProblem(400, "invalid-body", {{view.error().where().path, view.error().message()}});
  }
  return ItemResponse(view);
}

ApiResponse Endpoints::DismissInboxItem(const Call& call) {
  auto id = ParsePositive(call.params.at(0));
  auto body = JsonBody(call.request, true);
  if (!body) return body.error();
  auto fields = ReadFields(*body, {"note"});
  if (!fields) return BodyProblem(400, "invalid-body", std::move(fields.error()));
  if (!id) return NoItem(call.params.at(0));
  return ItemResponse(service_.DismissInboxItem(call.caller, *id, fields->value("note", "")));
}

ApiResponse Endpoints::ReopenInboxItem(const Call& call) {
  auto id = ParsePositive(call.params.at(0));
  auto body = JsonBody(call.request, true);
  if (!body) return body.error();
  auto fields = ReadFields(*body, {});
  if (!fields) return BodyProblem(400, "invalid-body", std::move(fields.error()));
  if (!id) return NoItem(call.params.at(0));
  return ItemResponse(service_.ReopenInboxItem(call.caller, *id));
}

}  // namespace herald::api::internal

namespace herald::api::internal {

ApiResponse Endpoints::ReplyToInboxItem(const Call& call) {
  auto id = ParsePositive(call.params.at(0));
  auto body = JsonBody(call.request, false);
  if (!body) return body.error();
  auto request = ParseReply(*body);
  if (!request) return BodyProblem(400, "invalid-body", std::move(request.error()));
  if (!id) return NoItem(call.params.at(0));
  // The same key with another item is another request: the item is hashed too.
  if (auto key = IdempotencyKeyOf(call, nlohmann::json{{"inbox_item", *id}, {"body", *body}}, *request); !key) {
    return key.error();
  }
  auto created = service_.ReplyToInboxItem(call.caller, *id, *request);
  if (!created) {
    const Status& s = created.error();
    if (s.code() == Code::kAlreadyExists && request->idempotency_key) {
      return ProblemResponse(MakeProblem(409, "idempotency-conflict", s.message()));
    }
    return StatusResponse(s);
  }
  if (created->outcome == runtime::CreateOutcome::kRefused && created->post.id == 0) {
    return RefusedReply(*id, created->post);
  }
  const Post& post = created->post;
  bool replay = created->outcome == runtime::CreateOutcome::kReplayed;
  ApiResponse r = JsonResponse(replay ? 200 : 201, PostToJson(post));
  r.headers.emplace_back("Location", "/v1/posts/" + std::to_string(post.id));
  if (replay) r.headers.emplace_back("Idempotent-Replayed", "true");
  return r;
}

}  // namespace herald::api::internal
