// The `mastodon` connector: POST /api/v1/statuses on the account's instance
// with its user token (platforms.md §1), images first uploaded through
// POST /api/v2/media with their alt text as `description`. Every status
// carries `Idempotency-Key` = the post's idempotency key, which the server
// remembers for an hour: an ambiguous answer is settled by sending the same
// request again at once and reading that answer. Engagement is read from
// GET /api/v1/statuses/:id (replies_count, reblogs_count, favourites_count,
// and quotes_count where the instance reports quotes). The inbox is read from
// GET /api/v1/notifications?types[]=mention (mastodon_inbox.h); an answer is
// a status with in_reply_to_id. An account connected by OAuth (`auth: oauth`)
// has no static token: every request carries the grant's. Thread-safe:
// immutable after creation.
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "connectors/internal/json_counts.h"
#include "connectors/mastodon/mastodon_inbox.h"
#include "connectors/media_fetch.h"
#include "connectors/platform_http.h"
#include "connectors/platforms.h"

namespace herald::connectors {
namespace {

using json = nlohmann::json;
using Kind = PublishResult::Kind;
using namespace std::chrono;
constexpr std::string_view kPlatform = "mastodon";
constexpr size_t kMaxImages = 4;  // the upstream default of max_media_attachments
// A 202 upload is processed in the background; a status cannot attach it until done.
constexpr int kMediaPolls = 10;
constexpr milliseconds kMediaPollInterval{300};
// Lookup re-sends with the same key only well inside the server's one-hour memory.
constexpr minutes kKeySafeWindow{45};

// multipart/form-data with `file` and `description` (the alt text).
HttpRequest MediaUpload(const std::string& url, const std::string& token, const FetchedImage& image,
                        const std::string& alt) {
  MultipartForm form;
  form.AddFile("file", image.filename, image.content_type, image.bytes);
  form.AddField("description", alt);
  std::string content_type = form.ContentType();
  return {"POST", url, {{"Authorization", "Bearer " + token}}, std::move(form).Close(), std::move(content_type)};
}

// An answer that leaves open whether the status was created: none at all, or
// a gateway that gave up waiting for the instance.
bool Ambiguous(const HttpResult& r) {
  return r ? (r->status == 502 || r->status == 504) : r.error().kind == HttpFailure::Kind::kNoAnswer;
}

class MastodonConnector : public Connector {
 public:
  MastodonConnector(std::string base_url, std::string token, HttpClientOptions http)
      : base_(std::move(base_url)), token_(std::move(token)), http_(std::move(http)) {}

  PublishResult Publish(const PublishRequest& request) override {
    const std::string& token = request.access_token ? *request.access_token : token_;
    std::vector<std::pair<std::string, std::string>> form{{"status", request.text}};
    if (request.reply_to && !request.reply_to->empty()) form.emplace_back("in_reply_to_id", *request.reply_to);
    for (size_t i = 0; i < request.media.size() && i < kMaxImages; ++i) {
      auto id = UploadImage(request.media[i], token, request.now);
      if (!id) return id.error();
      form.emplace_back("media_ids[]", *id);
    }
    HttpRequest create{"POST",
                       base_ + "/api/v1/statuses",
                       {{"Authorization", "Bearer " + token}, {"Idempotency-Key", request.idempotency_key}},
                       FormEncode(form),
                       "application/x-www-form-urlencoded"};
    HttpResult result = http_.Send(create);
    if (!Ambiguous(result)) return Read(result, request.now);
    // Same key: the instance answers with the status it created, if it did.
    std::string first = result ? DescribeAnswer(kPlatform, *result) : result.error().message;
    HttpResult again = http_.Send(create);
    bool definite = again && !Ambiguous(again) && again->status != 429 && again->status != 408 && again->status < 500;
    if (definite) return Read(again, request.now);
    PublishResult unknown{Kind::kUnknown, {}, {}, std::nullopt,
                          "mastodon: no clear answer to the status (" + first + "), nor to the same request re-sent with " +
                              "Idempotency-Key " + request.idempotency_key + " (" +
                              (again ? DescribeAnswer(kPlatform, *again) : again.error().message) + ")",
                          {}, again ? again->status : 0};
    if (auto limited = ReadFailure(kPlatform, again, request.now); limited && limited->hold) unknown.hold = limited->hold;
    return unknown;
  }

  // The instance cannot be asked for a status by key, but re-sending with the
  // same key returns the status it created, while it still remembers the key.
  // The last send was at planned_at or later, so this errs on the safe side.
  std::optional<PublishResult> Lookup(const PublishRequest& request) override {
    if (request.now - request.planned_at < kKeySafeWindow) {
      PublishResult safe{Kind::kFailed, {}, {}, std::nullopt,
                         "mastodon: re-sending with Idempotency-Key " + request.idempotency_key +
                             " returns the status if it was created",
                         {}, 0};
      safe.resend_by = request.planned_at + kKeySafeWindow;
      return safe;
    }
    return std::nullopt;
  }

  EngagementResult ReadEngagement(const EngagementRequest& request) override {
    using EKind = EngagementResult::Kind;
    if (request.remote_id.empty()) {
      return {EKind::kFailed, {}, std::nullopt, "mastodon: the post has no status id to read", 0, std::nullopt};
    }
    HttpResult r = http_.Send(EngagementGet(base_ + "/api/v1/statuses/" + PercentEncode(request.remote_id),
                                            request.access_token.value_or(token_)));
    if (auto failure = ReadEngagementFailure(kPlatform, r, request.now)) return *failure;
    json status = json::parse(r->body, nullptr, false);
    if (!status.is_object()) {
      return {EKind::kFailed, {}, std::nullopt, "mastodon: the status answer is not a JSON object", r->status, std::nullopt};
    }
    EngagementResult out{EKind::kRead, {}, std::nullopt, {}, r->status, ReadsHoldAfterSuccess(*r, request.now)};
    out.counts.replies = internal::JsonCount(status, "replies_count");
    out.counts.reposts = internal::JsonCount(status, "reblogs_count");
    out.counts.likes = internal::JsonCount(status, "favourites_count");
    out.counts.quotes = internal::JsonCount(status, "quotes_count");  // instances with quote posts only
    return out;
  }
  bool ReadsEngagement() const override { return true; }

  InboxReadResult ReadInbox(const InboxReadRequest& request) override {
    return mastodon::ReadMastodonInbox(http_, base_, request.access_token.value_or(token_), request);
  }
  bool ReadsInbox() const override { return true; }

 private:
  PublishResult Read(const HttpResult& result, Instant now) const {
    if (auto failure = ReadFailure(kPlatform, result, now)) return *failure;
    // Accepted: whatever follows, the post exists and must not be re-sent.
    PublishResult ok{Kind::kPublished, {}, {}, std::nullopt, {}, HoldAfterSuccess(kPlatform, *result, now), result->status};
    json status = json::parse(result->body, nullptr, false);
    if (status.is_object() && status.contains("id")) {
      ok.remote_id = status["id"].is_string() ? status["id"].get<std::string>() : status["id"].dump();
      for (const char* field : {"url", "uri"}) {
        if (status.contains(field) && status[field].is_string()) {
          ok.remote_url = status[field].get<std::string>();
          break;
        }
      }
    } else {
      ok.why = "mastodon accepted the status but its answer holds no id";
    }
    return ok;
  }

  // The media attachment id of one image, ready to attach.
  std::expected<std::string, PublishResult> UploadImage(const Media& media, const std::string& token, Instant now) const {
    auto image = FetchImage(http_, kPlatform, media, now);
    if (!image) return std::unexpected(image.error());
    HttpResult uploaded = http_.Send(MediaUpload(base_ + "/api/v2/media", token, *image, media.alt));
    if (auto failure = ReadFailure(kPlatform, uploaded, now)) return std::unexpected(BeforePosting(*failure));
    json attachment = json::parse(uploaded->body, nullptr, false);
    if (!attachment.is_object() || !attachment.contains("id")) {
      return std::unexpected(PublishResult{Kind::kRetryLater, {}, {}, std::nullopt,
                                           "mastodon: media upload answer holds no id", {}, uploaded->status});
    }
    std::string id = attachment["id"].is_string() ? attachment["id"].get<std::string>() : attachment["id"].dump();
    if (uploaded->status != 202) return id;
    for (int i = 0; i < kMediaPolls; ++i) {
      std::this_thread::sleep_for(kMediaPollInterval);
      HttpResult state = http_.Send({"GET", base_ + "/api/v1/media/" + PercentEncode(id),
                                     {{"Authorization", "Bearer " + token}}, {}, {}});
      if (state && state->status == 200) return id;
      if (state && state->status == 206) continue;  // still processing
      if (auto failure = ReadFailure(kPlatform, state, now)) return std::unexpected(BeforePosting(*failure));
    }
    return std::unexpected(PublishResult{Kind::kRetryLater, {}, {}, std::nullopt,
                                         "mastodon: media " + id + " still processing", {}, 206});
  }

  const std::string base_;
  const std::string token_;
  const HttpClient http_;
};

}  // namespace

Result<std::unique_ptr<Connector>> MakeMastodonConnector(const policies::ConnectorConfig& config,
                                                         const ConnectorContext& context) {
  auto settings = ConnectorSettings::Read("mastodon", config, context);
  if (!settings) return std::unexpected(settings.error());
  if (config.base_url.empty()) {
    return InvalidArgument("connector mastodon: missing setting base_url (the account's instance, https://mastodon.social)");
  }
  // No token: the account is connected by OAuth (docs/connectors/mastodon.md).
  std::string token;
  if (settings->Get("auth") != "oauth") {
    auto required = settings->Require("token");
    if (!required) return std::unexpected(required.error());
    token = *required;
  }
  return std::make_unique<MastodonConnector>(settings->BaseUrl(""), token, context.http);
}

}  // namespace herald::connectors
