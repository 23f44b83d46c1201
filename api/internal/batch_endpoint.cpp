// POST /v1/posts/batch: many posts in one request, each placed and stored as
// POST /v1/posts would, with one result per line. Optionally all-or-nothing.
#include <algorithm>
#include <cctype>

#include "api/internal/batch.h"
#include "api/internal/endpoints.h"
#include "api/internal/query_reader.h"
#include "core/time.h"

namespace herald::api::internal {
namespace {

using nlohmann::json;

std::optional<BatchFormat> FormatOfContentType(std::string header) {
  std::string type = header.substr(0, header.find(';'));
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back()))) type.pop_back();
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  if (type == "application/x-ndjson" || type == "application/jsonl") return BatchFormat::kJsonLines;
  if (type == "text/csv") return BatchFormat::kCsv;
  return std::nullopt;
}

json Errors(const BodyErrors& errors) {
  json out = json::array();
  for (const auto& e : errors) out.push_back({{"pointer", e.pointer}, {"detail", e.detail}});
  return out;
}

json LineResult(const BatchLine& line, std::string outcome) {
  return {{"line", line.line}, {"id", line.id ? json(*line.id) : json(nullptr)}, {"outcome", std::move(outcome)}};
}

}  // namespace

ApiResponse Endpoints::CreateBatch(const Call& call) {
  QueryReader q(call.request, {"atomic"});
  bool atomic = false;
  if (auto a = q.Get("atomic")) {
    if (*a == "true") atomic = true;
    else if (*a != "false") q.Fail("atomic", "atomic must be true or false, got \"" + *a + "\"");
  }
  if (auto problem = q.Problems()) return *problem;
  auto format = FormatOfContentType(call.request.get_header_value("Content-Type"));
  if (!format) {
    return ProblemResponse(MakeProblem(415, "unsupported-media-type",
                                       "send JSON lines with Content-Type: application/x-ndjson, or CSV with "
                                       "Content-Type: text/csv"));
  }
  std::optional<std::string> key;
  if (call.request.has_header("Idempotency-Key")) {
    key = call.request.get_header_value("Idempotency-Key");
    // Shorter than a single create's 255: each line's key adds ":id:" and the line's id.
    if (!ValidIdempotencyKey(*key, 200)) {
      return ProblemResponse(MakeProblem(400, "invalid-idempotency-key",
                                         "Idempotency-Key must be 1-200 visible ASCII characters, e.g. a UUID"));
    }
  }
  auto lines = ParseBatch(call.request.body, *format);
  if (!lines) return BodyProblem(400, "invalid-batch", std::move(lines.error()));
  if (lines->empty()) return BodyProblem(400, "invalid-batch", {{"", "the batch holds no posts"}});

  json results = json::array();
  int invalid = 0;
  for (const auto& line : *lines) invalid += line.request ? 0 : 1;

  if (atomic) {
    std::vector<runtime::CreatePostRequest> requests;
    std::vector<const BatchLine*> valid;
    for (const auto& line : *lines) {
      if (line.request) {
        requests.push_back(*line.request);
        valid.push_back(&line);
      }
    }
    auto decisions = service_.WhatIfBatch(call.caller, requests);
    int refused = 0;
    size_t next = 0;
    for (const auto& line : *lines) {
      if (!line.request) {
        json r = LineResult(line, "invalid");
        r["errors"] = Errors(line.request.error());
        results.push_back(r);
        continue;
      }
      const auto& d = decisions[next++];
      if (!d) {
        ++refused;
        json r = LineResult(line, "invalid");
        std::string where = d.error().where().path.empty() ? "" : "/" + d.error().where().path;
        r["errors"] = json::array({{{"pointer", where}, {"detail", d.error().message()}}});
        results.push_back(r);
      } else if (!d->placed()) {
        ++refused;
        json r = LineResult(line, "refused");
        r["reasons"] = ReasonsToJson(d->reasons);
        results.push_back(r);
      } else {
        json r = LineResult(line, "accepted");
        r["planned_at"] = FormatRfc3339(*d->planned_at);
        results.push_back(r);
      }
    }
    if (invalid + refused > 0) {
      Problem p = MakeProblem(422, "batch-refused",
                              std::to_string(invalid + refused) + " of " + std::to_string(lines->size()) +
                                  " posts would not be accepted, so none was created (atomic=true); see results");
      p.extensions["results"] = results;
      return ProblemResponse(p);
    }
    results = json::array();
  }

  json counts = {{"created", 0}, {"replayed", 0}, {"refused", 0}, {"invalid", 0}, {"failed", 0}};
  for (const auto& line : *lines) {
    if (!line.request) {
      json r = LineResult(line, "invalid");
      r["errors"] = Errors(line.request.error());
      results.push_back(r);
      counts["invalid"] = counts["invalid"].get<int>() + 1;
      continue;
    }
    runtime::CreatePostRequest request = *line.request;
    if (key) {
      request.idempotency_key = *key + ":" + (line.id ? "id:" + *line.id : "line:" + std::to_string(line.line));
      request.request_hash = CanonicalHash(line.canonical);
    }
    auto created = service_.CreatePost(call.caller, request);
    if (!created) {
      const Status& s = created.error();
      bool bad_input = s.code() == Code::kInvalidArgument || s.code() == Code::kPermissionDenied ||
                       s.code() == Code::kNotFound || s.code() == Code::kAlreadyExists;
      json r = LineResult(line, bad_input ? "invalid" : "failed");
      r["errors"] = json::array({{{"pointer", s.where().path.empty() ? "" : "/" + s.where().path},
                                  {"detail", s.message()}}});
      results.push_back(r);
      const char* counter = bad_input ? "invalid" : "failed";
      counts[counter] = counts[counter].get<int>() + 1;
      continue;
    }
    const Post& post = created->post;
    const char* outcome = created->outcome == runtime::CreateOutcome::kReplayed ? "replayed"
                          : post.state == PostState::kRefused                  ? "refused"
                                                                              : "created";
    json r = LineResult(line, outcome);
    r["post"] = post.id;
    r["state"] = std::string(PostStateName(post.state));
    r["planned_at"] = post.planned_at ? json(FormatRfc3339(*post.planned_at)) : json(nullptr);
    if (post.state == PostState::kRefused) r["reasons"] = ReasonsToJson(post.reasons);
    results.push_back(r);
    counts[outcome] = counts[outcome].get<int>() + 1;
  }
  return JsonResponse(200, {{"atomic", atomic}, {"counts", counts}, {"results", results}});
}

}  // namespace herald::api::internal
