// GET /v1/export/posts and GET /v1/export/audit: everything the filters
// match, streamed as JSON lines or CSV (ExportWorkers), read from the store a
// page at a time through the same Service calls as the paged lists, so an
// export sees exactly what the caller's role and organisation may see.
#include <functional>
#include <memory>
#include <utility>

#include "api/internal/endpoints.h"
#include "api/internal/export_format.h"
#include "api/internal/query_reader.h"

namespace herald::api::internal {
namespace {

constexpr int kPage = 200;

std::optional<ExportFormat> FormatOf(QueryReader& q) {
  auto name = q.Get("format");
  if (!name) return ExportFormat::kJsonLines;
  auto format = ParseExportFormat(*name);
  if (!format) q.Fail("format", "format \"" + *name + "\" is not one herald writes; use jsonl or csv");
  return format;
}

// The body of an export: `header`, then the rows of `first` and of every
// further page `fetch` reads after the last id, until a short page.
template <class Item, class Query>
ExportProducer Paged(std::string header, Query query, std::vector<Item> first,
                     std::function<Result<std::vector<Item>>(const Query&)> fetch,
                     std::function<std::string(const Item&)> row) {
  struct State {
    std::string header;
    Query query;
    std::vector<Item> page;
    bool done = false;
  };
  auto state = std::make_shared<State>(State{std::move(header), std::move(query), std::move(first)});
  return [state, fetch = std::move(fetch), row = std::move(row)]() -> Result<std::optional<std::string>> {
    if (state->done) return std::optional<std::string>();
    std::string out = std::exchange(state->header, "");
    for (const auto& item : state->page) out += row(item);
    state->done = state->page.size() < static_cast<size_t>(kPage);
    if (!state->done) {
      state->query.after_id = state->page.back().id;
      auto next = fetch(state->query);
      if (!next) return std::unexpected(next.error());
      state->page = std::move(*next);
    }
    return std::optional<std::string>(std::move(out));
  };
}

ApiResponse Busy() {
  Problem p = MakeProblem(503, "exports-busy",
                          "four exports are running already; try again when one has finished");
  return ProblemResponse(p);
}

}  // namespace

ApiResponse Endpoints::StartExport(const std::string& what, ExportFormat format, ExportProducer next) {
  if (!exports_.TryReserve()) return Busy();
  ApiResponse r;
  r.content_type = std::string(ExportContentType(format));
  r.headers = {{"Transfer-Encoding", "chunked"},
               {"Content-Disposition", "attachment; filename=\"herald-" + what + "." +
                                           std::string(ExportExtension(format)) + "\""},
               {"X-Content-Type-Options", "nosniff"}};
  r.stream = [this, next = std::move(next)](std::shared_ptr<EventStream> out) { exports_.Run(std::move(out), next); };
  return r;
}

ApiResponse Endpoints::ExportPosts(const Call& call) {
  QueryReader q(call.request, {"format", "account", "state", "from", "to"});
  auto format = FormatOf(q);
  storage::PostQuery query;
  query.account = q.Get("account");
  if (auto s = q.Get("state")) {
    query.state = ParsePostState(*s);
    if (!query.state) q.Fail("state", "unknown state \"" + *s + "\"; use e.g. scheduled, pending_approval, published");
  }
  query.from = q.Time("from");
  query.to = q.Time("to");
  if (auto problem = q.Problems()) return *problem;
  query.limit = kPage;
  // The first page is read now, so a caller who may not read posts gets a
  // proper error instead of a cut stream.
  auto first = service_.ListPosts(call.caller, query);
  if (!first) return StatusResponse(first.error());
  runtime::Caller caller = call.caller;
  std::function<Result<std::vector<Post>>(const storage::PostQuery&)> fetch =
      [this, caller](const storage::PostQuery& next) { return service_.ListPosts(caller, next); };
  return StartExport("posts", *format,
                     Paged<Post>(PostsHeader(*format), query, std::move(*first), std::move(fetch),
                                 [format = *format](const Post& p) { return PostRow(format, p); }));
}

ApiResponse Endpoints::ExportAudit(const Call& call) {
  QueryReader q(call.request, {"format", "post", "from", "to"});
  auto format = FormatOf(q);
  storage::AuditQuery query;
  std::optional<std::string> post_text = q.Get("post");
  query.from = q.Time("from");
  query.to = q.Time("to");
  if (post_text) {
    auto id = ParsePositive(*post_text);
    if (!id) q.Fail("post", "post \"" + *post_text + "\" is not a post id");
    else query.post_id = *id;
  }
  if (auto problem = q.Problems()) return *problem;
  if (query.post_id) {
    // Another organisation's post is as unknown here as everywhere else.
    if (auto post = service_.GetPost(call.caller, *query.post_id); !post) return StatusResponse(post.error());
  }
  query.limit = kPage;
  auto first = service_.Audit(call.caller, query);
  if (!first) return StatusResponse(first.error());
  runtime::Caller caller = call.caller;
  std::function<Result<std::vector<storage::AuditEntry>>(const storage::AuditQuery&)> fetch =
      [this, caller](const storage::AuditQuery& next) { return service_.Audit(caller, next); };
  return StartExport("audit", *format,
                     Paged<storage::AuditEntry>(AuditHeader(*format), query, std::move(*first), std::move(fetch),
                                                [format = *format](const storage::AuditEntry& e) {
                                                  return AuditRow(format, e);
                                                }));
}

}  // namespace herald::api::internal
