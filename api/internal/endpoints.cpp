#include "api/internal/endpoints.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "api/internal/crypto.h"
#include "api/internal/engagement_json.h"
#include "api/internal/json_codec.h"
#include "api/internal/metrics_text.h"
#include "api/internal/query_reader.h"
#include "core/time.h"

namespace herald::api::internal {
namespace {

using nlohmann::json;

constexpr int kDefaultLimit = 50;
constexpr int kMaxLimit = 500;  // under the store's own cap, with the one extra row that tells of a next page
constexpr size_t kMaxIdempotencyKey = 255;


ApiResponse NoPost(const std::string& id) {
  return ProblemResponse(MakeProblem(404, "not-found", "no post " + id + " in your organisation"));
}

}  // namespace

std::expected<json, ApiResponse> JsonBody(const httplib::Request& request, bool optional) {
  if (optional && request.body.empty()) return json::object();
  if (!IsJsonContentType(request.get_header_value("Content-Type"))) {
    std::string got = request.get_header_value("Content-Type");
    return std::unexpected(ProblemResponse(MakeProblem(
        415, "unsupported-media-type",
        "send the body as JSON with Content-Type: application/json" + (got.empty() ? "" : " (got \"" + got + "\")"))));
  }
  auto parsed = ParseJsonBody(request.body);
  if (!parsed) return std::unexpected(BodyProblem(400, "malformed-json", std::move(parsed.error())));
  return std::move(*parsed);
}

namespace {

ApiResponse RefusedResponse(const Post& post) {
  json violations = json::array();
  for (const auto& r : post.reasons) violations.push_back({{"rule", r.rule}, {"detail", r.detail}});
  Problem p = MakeProblem(422, "refused",
                          "the policy refuses this post: " + DecisionSummary(post) +
                              ". Change the text, time or labels and send it again");
  p.instance = "/v1/posts/" + std::to_string(post.id);
  p.extensions["violations"] = violations;
  p.extensions["post"] = PostToJson(post);
  return ProblemResponse(p);
}

// A dry run's answer: the decision a create or edit would get now.
ApiResponse DecisionResponse(const Result<scheduler::Decision>& decision) {
  if (!decision) {
    if (decision.error().code() == Code::kNotFound && decision.error().where().path == "account") {
      return BodyProblem(422, "unknown-account", {{"/account", decision.error().message() + "; GET /v1/accounts lists yours"}});
    }
    return StatusResponse(decision.error());
  }
  const scheduler::Decision& d = *decision;
  json reasons = ReasonsToJson(d.reasons);
  bool on_time = d.placed() && d.planned_at == d.requested_at;
  return JsonResponse(200, {{"outcome", d.placed() ? (on_time ? "on_time" : "deferred") : "refused"},
                            {"requested_at", FormatRfc3339(d.requested_at)},
                            {"planned_at", d.planned_at ? json(FormatRfc3339(*d.planned_at)) : json(nullptr)},
                            {"summary", d.Summary()},
                            {"reasons", reasons}});
}

ApiResponse PostResponse(const Result<Post>& post) {
  if (!post) return StatusResponse(post.error());
  return JsonResponse(200, PostToJson(*post));
}

}  // namespace

std::expected<void, ApiResponse> IdempotencyKeyOf(const Call& call, const json& hashed,
                                                  runtime::CreatePostRequest& request) {
  if (!call.request.has_header("Idempotency-Key")) return {};
  std::string key = call.request.get_header_value("Idempotency-Key");
  if (!ValidIdempotencyKey(key, kMaxIdempotencyKey)) {
    return std::unexpected(ProblemResponse(MakeProblem(
        400, "invalid-idempotency-key", "Idempotency-Key must be 1-255 visible ASCII characters, e.g. a UUID")));
  }
  request.idempotency_key = key;
  request.request_hash = CanonicalHash(hashed);
  return {};
}

ApiResponse BodyProblem(int status, std::string slug, BodyErrors errors) {
  std::string detail = errors.size() == 1 ? errors.front().detail
                                          : std::to_string(errors.size()) + " problems in the request body; see errors";
  if (errors.size() == 1 && !errors.front().pointer.empty()) detail = errors.front().pointer + ": " + detail;
  Problem p = MakeProblem(status, std::move(slug), std::move(detail));
  p.errors = std::move(errors);
  return ProblemResponse(p);
}

ApiResponse Conditional(const Call& call, ApiResponse answer) {
  std::string etag = "\"" + Sha256Hex(answer.body).substr(0, 32) + "\"";
  answer.headers.emplace_back("ETag", etag);
  answer.headers.emplace_back("Cache-Control", "private, no-cache");
  std::string wanted = call.request.get_header_value("If-None-Match");
  if (!wanted.empty() && (wanted == etag || wanted == "W/" + etag)) {
    answer.status = 304;
    answer.body.clear();
  }
  return answer;
}

bool IsJsonContentType(std::string_view header) {
  std::string type(header.substr(0, header.find(';')));
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == "application/json" || (type.starts_with("application/") && type.ends_with("+json"));
}

ApiResponse JsonResponse(int status, const json& body) {
  ApiResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

ApiResponse ProblemResponse(const Problem& problem) {
  ApiResponse r;
  r.status = problem.status;
  r.content_type = std::string(kProblemContentType);
  r.body = problem.ToJson().dump(-1, ' ', false, json::error_handler_t::replace);
  if (problem.retry_at) r.headers.emplace_back("Retry-After", HttpDate(*problem.retry_at));
  return r;
}

ApiResponse StatusResponse(const Status& status) { return ProblemResponse(ProblemFromStatus(status)); }

ApiResponse Endpoints::Health() {
  runtime::Health h = service_.CheckHealth();
  if (h.ok) return JsonResponse(200, {{"status", "ok"}});
  std::string detail;
  for (const auto& p : h.problems) detail += (detail.empty() ? "" : "; ") + p;
  Problem p = MakeProblem(503, "unhealthy", detail.empty() ? "herald is not healthy" : detail);
  p.extensions["problems"] = h.problems;
  return ProblemResponse(p);
}

ApiResponse Endpoints::Metrics(const Call&) {
  ApiResponse r;
  r.content_type = std::string(kMetricsContentType);
  r.body = RenderMetrics(service_.CurrentMetrics(), counters_.Snapshot());
  return r;
}

ApiResponse Endpoints::CreatePost(const Call& call) {
  auto body = JsonBody(call.request, false);
  if (!body) return body.error();
  auto request = ParseCreatePost(*body);
  if (!request) return BodyProblem(400, "invalid-body", std::move(request.error()));
  if (auto key = IdempotencyKeyOf(call, *body, *request); !key) return key.error();
  auto created = service_.CreatePost(call.caller, *request);
  if (!created) {
    const Status& s = created.error();
    if (s.code() == Code::kNotFound && s.where().path == "account") {
      // An account the caller cannot see is a bad field here, not a missing URL.
      return BodyProblem(422, "unknown-account", {{"/account", s.message() + "; GET /v1/accounts lists yours"}});
    }
    if (s.code() == Code::kAlreadyExists && request->idempotency_key) {
      return ProblemResponse(MakeProblem(409, "idempotency-conflict", s.message()));
    }
    if (s.code() == Code::kPermissionDenied && !s.where().path.empty()) {
      Problem p = ProblemFromStatus(s);
      p.errors.push_back({"/" + s.where().path, s.message()});
      return ProblemResponse(p);
    }
    return StatusResponse(s);
  }
  const Post& post = created->post;
  bool replay = created->outcome == runtime::CreateOutcome::kReplayed;
  ApiResponse r = post.state == PostState::kRefused ? RefusedResponse(post)
                                                      : JsonResponse(replay ? 200 : 201, PostToJson(post));
  r.headers.emplace_back("Location", "/v1/posts/" + std::to_string(post.id));
  if (replay) r.headers.emplace_back("Idempotent-Replayed", "true");
  return r;
}

ApiResponse Endpoints::GetPost(const Call& call) {
  auto id = ParsePositive(call.params.at(0));
  if (!id) return NoPost(call.params.at(0));
  return PostResponse(service_.GetPost(call.caller, *id));
}

ApiResponse Endpoints::ListPosts(const Call& call) {
  QueryReader q(call.request, {"account", "state", "from", "to", "limit", "cursor"});
  storage::PostQuery query;
  query.account = q.Get("account");
  if (auto s = q.Get("state")) {
    query.state = ParsePostState(*s);
    if (!query.state) q.Fail("state", "unknown state \"" + *s + "\"; use e.g. scheduled, pending_approval, published");
  }
  query.from = q.Time("from");
  query.to = q.Time("to");
  int limit = q.Int("limit", 1, kMaxLimit, kDefaultLimit);
  query.after_id = q.Cursor();
  if (auto problem = q.Problems()) return *problem;
  query.limit = limit + 1;  // one more than asked tells whether there is a next page
  auto posts = service_.ListPosts(call.caller, query);
  if (!posts) return StatusResponse(posts.error());
  json items = json::array();
  json next = nullptr;
  for (size_t i = 0; i < posts->size() && i < static_cast<size_t>(limit); ++i) items.push_back(PostToJson((*posts)[i]));
  if (posts->size() > static_cast<size_t>(limit)) next = EncodeCursor((*posts)[limit - 1].id);
  return Conditional(call, JsonResponse(200, {{"items", items}, {"next_cursor", next}}));
}

ApiResponse Endpoints::EditPost(const Call& call) {
  auto id = ParsePositive(call.params.at(0));
  auto body = JsonBody(call.request, false);
  if (!body) return body.error();
  auto request = ParseEditPost(*body);
  if (!request) return BodyProblem(400, "invalid-body", std::move(request.error()));
  if (!id) return NoPost(call.params.at(0));
  return PostResponse(service_.EditPost(call.caller, *id, *request));
}

ApiResponse Endpoints::RunWorkflow(const Call& call, Workflow action) {
  auto id = ParsePositive(call.params.at(0));
  auto body = JsonBody(call.request, true);
  if (!body) return body.error();
  auto note = ParseNote(*body);
  if (!note) return BodyProblem(400, "invalid-body", std::move(note.error()));
  if (!id) return NoPost(call.params.at(0));
  switch (action) {
    case Workflow::kApprove: return PostResponse(service_.Approve(call.caller, *id, *note));
    case Workflow::kReject: return PostResponse(service_.Reject(call.caller, *id, *note));
    case Workflow::kCancel: return PostResponse(service_.Cancel(call.caller, *id, *note));
  }
  return StatusResponse(Status(Code::kInternal, "unknown workflow action"));
}

ApiResponse Endpoints::Approve(const Call& call) { return RunWorkflow(call, Workflow::kApprove); }
ApiResponse Endpoints::Reject(const Call& call) { return RunWorkflow(call, Workflow::kReject); }
ApiResponse Endpoints::Cancel(const Call& call) { return RunWorkflow(call, Workflow::kCancel); }

ApiResponse Endpoints::Me(const Call& call) {
  QueryReader q(call.request, {});
  if (auto problem = q.Problems()) return *problem;
  const runtime::Caller& c = call.caller;
  return JsonResponse(200, {{"organization", c.organization}, {"name", c.name}, {"role", runtime::RoleName(c.role)}});
}

ApiResponse Endpoints::DryRunNew(const Call& call) {
  auto body = JsonBody(call.request, false);
  if (!body) return body.error();
  auto request = ParseCreatePost(*body);
  if (!request) return BodyProblem(400, "invalid-body", std::move(request.error()));
  return DecisionResponse(service_.WhatIf(call.caller, {.post = std::move(*request)}));
}

ApiResponse Endpoints::DryRunPost(const Call& call) {
  auto id = ParsePositive(call.params.at(0));
  auto body = JsonBody(call.request, true);
  if (!body) return body.error();
  auto change = ParseEditPost(*body);
  if (!change) return BodyProblem(400, "invalid-body", std::move(change.error()));
  if (!id) return NoPost(call.params.at(0));
  return DecisionResponse(service_.WhatIf(call.caller, {.post_id = *id, .change = std::move(*change)}));
}

ApiResponse Endpoints::Accounts(const Call& call) {
  QueryReader q(call.request, {});
  if (auto problem = q.Problems()) return *problem;
  auto accounts = service_.Accounts(call.caller);
  if (!accounts) return StatusResponse(accounts.error());
  json items = json::array();
  for (const auto& a : *accounts) items.push_back(AccountViewToJson(a));
  return Conditional(call, JsonResponse(200, {{"items", items}}));
}

ApiResponse Endpoints::Slots(const Call& call) {
  QueryReader q(call.request, {"count", "after"});
  int count = q.Int("count", 1, 50, 5);
  auto after = q.Time("after");
  if (auto problem = q.Problems()) return *problem;
  const std::string& account = call.params.at(0);
  auto slots = service_.Slots(call.caller, account, count, after);
  if (!slots) return StatusResponse(slots.error());
  json list = json::array();
  for (Instant t : *slots) list.push_back(FormatRfc3339(t));
  return JsonResponse(200, {{"account", account}, {"slots", list}});
}

ApiResponse Endpoints::Closed(const Call& call) {
  QueryReader q(call.request, {"from", "to"});
  auto from = q.Time("from");
  auto to = q.Time("to");
  if (!from && !q.Get("from")) q.Fail("from", "from is required: the start of the range, e.g. 2026-03-09T00:00:00Z");
  if (!to && !q.Get("to")) q.Fail("to", "to is required: the end of the range (at most 62 days after from)");
  if (auto problem = q.Problems()) return *problem;
  const std::string& account = call.params.at(0);
  auto spans = service_.ClosedSpans(call.caller, account, *from, *to);
  if (!spans) return StatusResponse(spans.error());
  json list = json::array();
  for (const auto& s : *spans) {
    list.push_back({{"from", FormatRfc3339(s.from)}, {"until", FormatRfc3339(s.until)}, {"rule", s.rule}, {"why", s.why}});
  }
  return JsonResponse(200, {{"account", account}, {"spans", list}});
}

ApiResponse Endpoints::Policy(const Call& call) {
  QueryReader q(call.request, {});
  if (auto problem = q.Problems()) return *problem;
  auto policy = service_.Policy(call.caller);
  if (!policy) return StatusResponse(policy.error());
  return JsonResponse(200, PolicyViewToJson(*policy));
}

ApiResponse Endpoints::Audit(const Call& call) {
  QueryReader q(call.request, {"post", "from", "to", "limit", "cursor"});
  storage::AuditQuery query;
  std::optional<std::string> post_text = q.Get("post");
  query.from = q.Time("from");
  query.to = q.Time("to");
  int limit = q.Int("limit", 1, kMaxLimit, kDefaultLimit);
  query.after_id = q.Cursor();
  if (auto problem = q.Problems()) return *problem;
  if (post_text) {
    auto id = ParsePositive(*post_text);
    if (!id) return NoPost(*post_text);
    // Another organisation's post is as unknown here as everywhere else.
    if (auto post = service_.GetPost(call.caller, *id); !post) return StatusResponse(post.error());
    query.post_id = *id;
  }
  query.limit = limit + 1;
  auto entries = service_.Audit(call.caller, query);
  if (!entries) return StatusResponse(entries.error());
  json items = json::array();
  json next = nullptr;
  for (size_t i = 0; i < entries->size() && i < static_cast<size_t>(limit); ++i) {
    items.push_back(AuditEntryToJson((*entries)[i]));
  }
  if (entries->size() > static_cast<size_t>(limit)) next = EncodeCursor((*entries)[limit - 1].id);
  return Conditional(call, JsonResponse(200, {{"items", items}, {"next_cursor", next}}));
}

ApiResponse Endpoints::PostEngagement(const Call& call) {
  QueryReader q(call.request, {});
  if (auto problem = q.Problems()) return *problem;
  auto id = ParsePositive(call.params.at(0));
  if (!id) return NoPost(call.params.at(0));
  auto series = service_.Engagement(call.caller, *id);
  if (!series) return StatusResponse(series.error());
  return Conditional(call, JsonResponse(200, EngagementSeriesToJson(*series)));
}

ApiResponse Endpoints::EngagementRollup(const Call& call) {
  QueryReader q(call.request, {"account", "label", "from", "to"});
  runtime::EngagementRollupRequest request;
  request.account = q.Get("account");
  request.label = q.Get("label");
  if (request.account && request.account->empty()) q.Fail("account", "account must not be empty");
  if (request.label && request.label->empty()) q.Fail("label", "label must not be empty");
  request.from = q.Time("from");
  request.to = q.Time("to");
  if (request.from && request.to) {
    if (*request.to <= *request.from) {
      q.Fail("to", "to must be after from");
    } else if (*request.to - *request.from > std::chrono::days{366}) {
      q.Fail("to", "from and to may be at most 366 days apart");
    }
  }
  if (auto problem = q.Problems()) return *problem;
  auto view = service_.Engagement(call.caller, request);
  if (!view) return StatusResponse(view.error());
  return Conditional(call, JsonResponse(200, EngagementRollupToJson(*view)));
}

}  // namespace herald::api::internal
