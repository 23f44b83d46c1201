#include "connectors/meta/graph.h"

#include <nlohmann/json.hpp>

#include <thread>

#include "connectors/internal/json_counts.h"
#include "connectors/platform_http.h"

namespace herald::connectors::meta {
namespace {
using json = nlohmann::json;
using Kind = PublishResult::Kind;
using namespace std::chrono;

std::optional<json> Body(const HttpResponse& response) {
  auto j = json::parse(response.body, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

PublishResult Outcome(Kind kind, std::string why, int status = 0) {
  PublishResult r;
  r.kind = kind;
  r.why = std::move(why);
  r.http_status = status;
  return r;
}

// Before the publish call nothing is visible on the platform (a container
// that is never published expires unseen), so an unanswered step is safe to
// retry from the start.
PublishResult BeforePublish(PublishResult r) {
  if (r.kind == Kind::kUnknown) r.kind = Kind::kRetryLater;
  return r;
}

std::string StringOf(const json& j, std::string_view field) {
  auto it = j.find(field);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A full moving window: the oldest post leaves it at an unknown time within
// `window`. In a full window one slot frees every window/total on average,
// and a retry then costs only the pre-check.
RateLimitHold FullWindowHold(const std::string& platform, int64_t used, int64_t total, seconds window, Instant now) {
  Instant until = now + seconds{std::max<int64_t>(1, (window.count() + total - 1) / total)};
  return RateLimitHold{until, platform + " publishing limit: " + std::to_string(used) + " of " + std::to_string(total) +
                                  " posts in the last " + FormatDuration(window)};
}

}  // namespace

GraphClient::GraphClient(std::string platform, std::string root, std::string token, HttpClientOptions http)
    : platform_(std::move(platform)), root_(std::move(root)), token_(std::move(token)), http_(std::move(http)) {}

GraphClient GraphClient::WithToken(std::string token) const {
  GraphClient copy = *this;
  copy.token_ = std::move(token);
  return copy;
}

HttpResult GraphClient::Post(std::string_view path, Fields fields) const {
  fields.emplace_back("access_token", token_);
  return http_.Send({"POST", root_ + "/" + std::string(path), {}, FormEncode(fields), "application/x-www-form-urlencoded"});
}

HttpResult GraphClient::Get(std::string_view path, Fields query, size_t max_body) const {
  query.emplace_back("access_token", token_);
  HttpRequest request{"GET", root_ + "/" + std::string(path) + "?" + FormEncode(query), {}, {}, {}};
  request.max_body = max_body;
  return http_.Send(request);
}

std::optional<PublishResult> ReadGraphFailure(std::string_view platform, const HttpResult& result, Instant now) {
  // A 2xx acted, even when a usage header reads 100 %: the caller attaches
  // the hold (HoldAfterSuccess) rather than retrying a post that exists.
  if (result && result->status >= 200 && result->status < 300) return std::nullopt;
  auto r = ReadFailure(platform, result, now);
  if (!r || !result || r->kind != Kind::kFailed) return r;
  auto j = Body(*result);
  if (!j || !j->contains("error") || !(*j)["error"].is_object()) return r;
  const json& e = (*j)["error"];
  // Read without trusting the types: a hostile answer must not throw here.
  int64_t code = internal::JsonCount(e, "code").value_or(0);
  if (e.value("is_transient", json()) == true || code == 1 || code == 2) {
    r->kind = Kind::kRetryLater;
  } else if (code == 190) {
    r->token_refused = true;
    if (result->status != 401 && result->status != 403) r->why += " (check the account's credentials and permissions)";
  }
  return r;
}

std::optional<std::string> ReadField(const HttpResponse& response, std::string_view field) {
  auto j = Body(response);
  if (!j) return std::nullopt;
  std::string v = StringOf(*j, field);
  if (v.empty()) return std::nullopt;
  return v;
}

bool IsGraphId(std::string_view id) {
  return !id.empty() && id.size() <= 128 && id.find_first_not_of("0123456789_") == std::string_view::npos;
}

std::optional<Instant> ParseGraphTime(std::string_view text) {
  std::string t(text);
  // "+0000" -> "+00:00"
  if (t.size() > 5 && (t[t.size() - 5] == '+' || t[t.size() - 5] == '-') && t.find(':', t.size() - 5) == std::string::npos)
    t.insert(t.size() - 2, ":");
  auto parsed = ParseRfc3339(t);
  if (!parsed) return std::nullopt;
  return *parsed;
}

Step<RecentMatch> FindRecentPost(const GraphClient& client, std::string_view owner, const RecentQuery& query,
                                 std::string_view text, Instant since, Instant now) {
  std::string fields = "id," + query.text_field + "," + query.time_field;
  if (!query.url_field.empty()) fields += "," + query.url_field;
  auto r = client.Get(std::string(owner) + "/" + query.edge, {{"fields", fields}, {"limit", std::to_string(query.limit)}});
  if (auto f = ReadGraphFailure(client.platform(), r, now)) return std::unexpected(*f);
  auto j = Body(*r);
  if (!j || !j->contains("data") || !(*j)["data"].is_array())
    return std::unexpected(Outcome(Kind::kUnknown, client.platform() + ": unreadable list of recent posts", r->status));
  RecentMatch out;
  const json& data = (*j)["data"];
  bool reaches_before = false;
  for (const auto& item : data) {
    if (!item.is_object()) continue;
    if (!out.id && StringOf(item, query.text_field) == text) {
      out.id = StringOf(item, "id");
      if (!query.url_field.empty()) out.url = StringOf(item, query.url_field);
    }
    auto t = ParseGraphTime(StringOf(item, query.time_field));
    if (t && *t < since) reaches_before = true;
  }
  out.certainly_absent = !out.id && (reaches_before || static_cast<int>(data.size()) < query.limit);
  return out;
}

std::optional<PublishResult> LookupAnswer(const Step<RecentMatch>& match, std::string_view platform) {
  if (!match) return std::nullopt;
  if (match->id) {
    PublishResult r;
    r.remote_id = *match->id;
    r.remote_url = match->url;
    return r;
  }
  if (match->certainly_absent)
    return Outcome(Kind::kFailed, std::string(platform) + ": not among the account's recent posts");
  return std::nullopt;
}

ContainerPost BuildContainers(const PublishRequest& request, const std::string& text_field, bool typed_images) {
  ContainerPost post;
  auto image = [&](const Media& m) {
    Fields f;
    if (typed_images) f.emplace_back("media_type", "IMAGE");
    f.emplace_back("image_url", m.url);
    if (!m.alt.empty()) f.emplace_back("alt_text", m.alt);
    return f;
  };
  if (request.media.empty()) {
    post.parent = {{"media_type", "TEXT"}, {text_field, request.text}};
  } else if (request.media.size() == 1) {
    post.parent = image(request.media[0]);
    post.parent.emplace_back(text_field, request.text);
  } else {
    for (const Media& m : request.media) {
      post.children.push_back(image(m));
      post.children.back().emplace_back("is_carousel_item", "true");
    }
    post.parent = {{"media_type", "CAROUSEL"}, {text_field, request.text}};
  }
  return post;
}

ContainerPublisher::ContainerPublisher(GraphClient client, std::string user_id, ContainerEdges edges,
                                       ContainerTiming timing)
    : client_(std::move(client)), user_id_(std::move(user_id)), edges_(std::move(edges)), timing_(timing) {}

ContainerPublisher ContainerPublisher::WithToken(std::string token) const {
  return ContainerPublisher(client_.WithToken(std::move(token)), user_id_, edges_, timing_);
}

Step<ContainerPublisher::Quota> ContainerPublisher::CheckQuota(Instant now) const {
  auto r = client_.Get(user_id_ + "/" + edges_.limit, {{"fields", "quota_usage,config"}});
  if (auto f = ReadGraphFailure(client_.platform(), r, now)) return std::unexpected(BeforePublish(*f));
  Quota q;
  auto j = Body(*r);
  // An unreadable answer leaves the limit to the governor's own cap.
  if (!j || !j->contains("data") || !(*j)["data"].is_array() || (*j)["data"].empty()) return q;
  const json& d = (*j)["data"][0];
  if (!d.is_object()) return q;
  q.usage = internal::JsonCount(d, "quota_usage").value_or(0);
  if (d.contains("config") && d["config"].is_object()) {
    q.total = internal::JsonCount(d["config"], "quota_total").value_or(0);
    q.window = seconds{internal::JsonCount(d["config"], "quota_duration").value_or(86400)};
  }
  return q;
}

Step<std::string> ContainerPublisher::CreateContainer(const Fields& fields, Instant now) const {
  auto r = client_.Post(user_id_ + "/" + edges_.create, fields);
  if (auto f = ReadGraphFailure(client_.platform(), r, now)) return std::unexpected(BeforePublish(*f));
  auto id = ReadField(*r, "id");
  if (!id) return std::unexpected(Outcome(Kind::kRetryLater, client_.platform() + ": container answer without an id", r->status));
  return *id;
}

Step<std::string> ContainerPublisher::WaitFinished(const std::string& container, Instant now) const {
  for (int i = 0; i < timing_.polls; ++i) {
    if (i > 0) std::this_thread::sleep_for(timing_.poll_interval);
    auto r = client_.Get(container, {{"fields", edges_.status_field + "," + edges_.status_detail}});
    if (auto f = ReadGraphFailure(client_.platform(), r, now)) return std::unexpected(BeforePublish(*f));
    std::string status = ReadField(*r, edges_.status_field).value_or("");
    if (status == "FINISHED") return container;
    if (status == "ERROR")
      return std::unexpected(Outcome(Kind::kFailed, client_.platform() + ": the container could not be processed: " +
                                                        ReadField(*r, edges_.status_detail).value_or("ERROR")));
    if (status == "EXPIRED")
      return std::unexpected(Outcome(Kind::kRetryLater, client_.platform() + ": the container expired before publishing"));
  }
  return std::unexpected(Outcome(Kind::kRetryLater, client_.platform() + ": the container was not ready after " +
                                                        std::to_string(timing_.polls) + " status checks"));
}

std::string ContainerPublisher::Permalink(const std::string& media_id) const {
  auto r = client_.Get(media_id, {{"fields", "permalink"}});
  if (!r || r->status < 200 || r->status >= 300) return {};
  return ReadField(*r, "permalink").value_or("");
}

PublishResult ContainerPublisher::Publish(const ContainerPost& post, const PublishRequest& request) const {
  const Instant now = request.now;
  auto quota = CheckQuota(now);
  if (!quota) return quota.error();
  if (quota->total > 0 && quota->usage >= quota->total) {
    RateLimitHold hold = FullWindowHold(client_.platform(), quota->usage, quota->total, quota->window, now);
    PublishResult r = Outcome(Kind::kRetryLater, hold.why);
    r.retry_at = hold.until;
    r.hold = std::move(hold);
    return r;
  }
  std::string children;
  for (const Fields& child : post.children) {
    auto id = CreateContainer(child, now);
    if (!id) return id.error();
    children += (children.empty() ? "" : ",") + *id;
  }
  Fields parent = post.parent;
  if (!children.empty()) parent.emplace_back("children", children);
  auto container = CreateContainer(parent, now);
  if (!container) return container.error();
  auto ready = WaitFinished(*container, now);
  if (!ready) return ready.error();
  return PublishContainer(*container, request, *quota, /*may_retry=*/true);
}

PublishResult ContainerPublisher::PublishContainer(const std::string& container, const PublishRequest& request,
                                                   const Quota& quota, bool may_retry) const {
  auto r = client_.Post(user_id_ + "/" + edges_.publish, {{"creation_id", container}});
  if (auto f = ReadGraphFailure(client_.platform(), r, request.now)) {
    bool ambiguous = f->kind == Kind::kUnknown || (f->kind == Kind::kRetryLater && !f->hold && f->http_status >= 500);
    return ambiguous ? Resolve(container, request, quota, *f, may_retry) : *f;
  }
  auto id = ReadField(*r, "id");
  if (!id) {
    return Resolve(container, request, quota,
                   Outcome(Kind::kUnknown, client_.platform() + ": publish answered without an id", r->status), false);
  }
  PublishResult out = Published(*id, Permalink(*id), quota, request.now, HoldAfterSuccess(client_.platform(), *r, request.now));
  out.http_status = r->status;
  return out;
}

// The publish call may or may not have acted. A container is published at
// most once, so its status tells: PUBLISHED (find the post's id among the
// recent ones), FINISHED/IN_PROGRESS (not published: publishing the same
// container again cannot make a second post), ERROR/EXPIRED (not published,
// and this container is spent: start over later).
PublishResult ContainerPublisher::Resolve(const std::string& container, const PublishRequest& request,
                                          const Quota& quota, const PublishResult& unknown, bool may_retry) const {
  PublishResult fallback = unknown;
  fallback.kind = Kind::kUnknown;
  auto r = client_.Get(container, {{"fields", edges_.status_field}});
  if (ReadGraphFailure(client_.platform(), r, request.now)) {
    fallback.why += "; the container's status could not be read";
    return fallback;
  }
  std::string status = ReadField(*r, edges_.status_field).value_or("");
  if (status == "PUBLISHED") {
    auto match = FindRecentPost(client_, user_id_, edges_.recent, request.text, request.created_at, request.now);
    if (match && match->id) {
      std::string url = match->url.empty() ? Permalink(*match->id) : match->url;
      return Published(*match->id, url, quota, request.now, std::nullopt);
    }
    PublishResult out = Published({}, {}, quota, request.now, std::nullopt);
    out.why = client_.platform() + ": container " + container + " is PUBLISHED; the post was not found among the recent ones";
    return out;
  }
  if ((status == "FINISHED" || status == "IN_PROGRESS") && may_retry)
    return PublishContainer(container, request, quota, /*may_retry=*/false);
  if (status == "ERROR" || status == "EXPIRED")
    return Outcome(Kind::kRetryLater, client_.platform() + ": container " + status + " after " + unknown.why);
  fallback.why += "; container status " + (status.empty() ? std::string("unknown") : status);
  return fallback;
}

PublishResult ContainerPublisher::Published(std::string id, std::string url, const Quota& quota, Instant now,
                                            std::optional<RateLimitHold> hold) const {
  PublishResult r;
  r.remote_id = std::move(id);
  r.remote_url = std::move(url);
  r.hold = std::move(hold);
  if (!r.hold && quota.total > 0 && quota.usage + 1 >= quota.total)
    r.hold = FullWindowHold(client_.platform(), quota.usage + 1, quota.total, quota.window, now);
  return r;
}

std::optional<PublishResult> ContainerPublisher::Lookup(const PublishRequest& request) const {
  return LookupAnswer(FindRecentPost(client_, user_id_, edges_.recent, request.text, request.created_at, request.now),
                      client_.platform());
}

}  // namespace herald::connectors::meta
