// The X connector: POST /2/tweets {"text", "media": {"media_ids"}} with the
// user's OAuth 2.0 token (docs/connectors/x.md). Images are downloaded and
// uploaded first (POST /2/media/upload, media_category tweet_image), their alt
// text set with POST /2/media/metadata. X takes no idempotency key, so a post
// that got no answer is looked for among the user's recent posts before
// anything else. Engagement comes from GET /2/tweets/:id with
// tweet.fields=public_metrics.
//
// Thread-safe: the user id learned from /2/users/me is cached under a mutex;
// everything else is immutable after creation.
#include <nlohmann/json.hpp>

#include <map>
#include <mutex>

#include "connectors/internal/inbox_walk.h"
#include "connectors/internal/json_counts.h"
#include "connectors/media_fetch.h"
#include "connectors/platform_http.h"
#include "connectors/platforms.h"

namespace herald::connectors {
namespace {

using json = nlohmann::json;
using Kind = PublishResult::Kind;
constexpr std::string_view kPlatform = "x";
constexpr int kRecentPosts = 10;
constexpr int kInboxPage = 100;  // GET /2/users/:id/mentions: max_results 5..100
constexpr size_t kMaxImages = 4;  // photos per post
// The image types POST /2/media/upload names for media_type; for any other
// the field is left out and X reads the type from the bytes.
constexpr std::string_view kUploadTypes[] = {"image/jpeg", "image/bmp", "image/png", "image/webp", "image/pjpeg",
                                             "image/tiff"};

PublishResult Outcome(Kind kind, std::string why) {
  PublishResult r;
  r.kind = kind;
  r.why = std::move(why);
  return r;
}

// X returns a post's text with &, < and > escaped.
std::string Unescaped(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool decoded = false;
    for (auto [entity, ch] : {std::pair{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}}) {
      if (text.substr(i).starts_with(entity)) {
        out += ch;
        i += std::string_view(entity).size();
        decoded = true;
        break;
      }
    }
    if (!decoded) out += text[i++];
  }
  return out;
}

// X returns a post's text HTML-escaped and its links as t.co links: compare
// with entities decoded and every link reduced to a marker.
std::string Comparable(std::string_view escaped) {
  const std::string text = Unescaped(escaped);
  std::string out;
  for (size_t i = 0; i < text.size();) {
    std::string_view rest = std::string_view(text).substr(i);
    if (rest.starts_with("http://") || rest.starts_with("https://")) {
      out += "\x01";
      while (i < text.size() && text[i] != ' ' && text[i] != '\n' && text[i] != '\t') ++i;
      continue;
    }
    out += text[i++];
  }
  return out;
}

struct Search {
  std::optional<std::string> id;
  bool certainly_absent = false;  // no match, and the list reaches back before the post was created
};

class XConnector final : public Connector {
 public:
  XConnector(std::string base, std::string token, std::optional<std::string> username, HttpClientOptions http)
      : base_(std::move(base)), token_(std::move(token)), username_(std::move(username)), http_(std::move(http)) {}

  PublishResult Publish(const PublishRequest& request) override {
    if (auto missing = WithoutToken(request)) return *missing;
    const HttpHeaders auth = Auth(request);
    json post = {{"text", request.text}};
    std::optional<RateLimitHold> upload_hold;
    json media_ids = json::array();
    for (size_t i = 0; i < request.media.size() && i < kMaxImages; ++i) {
      auto id = UploadImage(request.media[i], request.now, upload_hold, auth);
      if (!id) return id.error();
      media_ids.push_back(*id);
    }
    if (!media_ids.empty()) post["media"] = {{"media_ids", media_ids}};
    if (request.reply_to) {
      if (!IsPostId(*request.reply_to)) {
        return Outcome(Kind::kFailed, "x: the reply reference is not a post id");
      }
      post["reply"] = {{"in_reply_to_tweet_id", *request.reply_to}};
    }
    auto r = http_.Send({"POST", base_ + "/2/tweets", auth, post.dump(), "application/json"});
    if (auto f = ReadFailure("x", r, request.now)) {
      if (r && r->status == 403 && PlatformMessage(*r).find("duplicate content") != std::string::npos) {
        // Not a credentials problem: X refuses the same text twice in a row.
        f->why = DescribeAnswer("x", *r);
        return *f;
      }
      if (f->kind != Kind::kUnknown) return *f;
      auto found = FindOwnPost(request);
      if (found && found->id) return Published(*found->id, std::nullopt, 0);
      f->why += found ? "; not among the user's recent posts yet" : "; recent posts unreadable: " + found.error();
      return *f;
    }
    auto body = json::parse(r->body, nullptr, false);
    std::string id;
    if (body.is_object() && body.contains("data") && body["data"].is_object() && body["data"].contains("id") &&
        body["data"]["id"].is_string())
      id = body["data"]["id"].get<std::string>();
    if (id.empty()) {
      // Created (2xx) but unreadable: the recent posts give the id.
      auto found = FindOwnPost(request);
      if (found && found->id) id = *found->id;
    }
    return Published(id, Later(HoldAfterSuccess("x", *r, request.now), std::move(upload_hold)), r->status);
  }

  std::optional<PublishResult> Lookup(const PublishRequest& request) override {
    if (WithoutToken(request)) return std::nullopt;
    auto found = FindOwnPost(request);
    if (!found) return std::nullopt;
    if (found->id) return Published(*found->id, std::nullopt, 0);
    if (found->certainly_absent) return Outcome(Kind::kFailed, "x: not among the user's recent posts");
    return std::nullopt;
  }

  EngagementResult ReadEngagement(const EngagementRequest& request) override {
    using EKind = EngagementResult::Kind;
    if (request.remote_id.empty()) {
      return {EKind::kFailed, {}, std::nullopt, "x: the post has no id to read", 0, std::nullopt};
    }
    auto r = http_.Send(
        EngagementGet(base_ + "/2/tweets/" + PercentEncode(request.remote_id) + "?tweet.fields=public_metrics",
                      request.access_token.value_or(token_)));
    if (auto failure = ReadEngagementFailure(kPlatform, r, request.now)) return *failure;
    json answer = json::parse(r->body, nullptr, false);
    const json* data = answer.is_object() && answer.contains("data") && answer["data"].is_object() ? &answer["data"] : nullptr;
    if (data == nullptr) {
      // A deleted post answers 200 with only an errors list naming the resource.
      bool gone = false;
      if (answer.is_object() && answer.contains("errors") && answer["errors"].is_array()) {
        for (const json& e : answer["errors"]) {
          if (e.is_object() && e.value("type", json()).is_string() &&
              e["type"].get<std::string>().ends_with("/resource-not-found"))
            gone = true;
        }
      }
      if (gone) {
        return {EKind::kGone, {}, std::nullopt, "x: post " + request.remote_id + " not found (deleted)", r->status,
                std::nullopt};
      }
      return {EKind::kFailed, {}, std::nullopt, "x: the post answer holds no data", r->status, std::nullopt};
    }
    const json metrics = data->value("public_metrics", json::object());
    EngagementResult out{EKind::kRead, {}, std::nullopt, {}, r->status, ReadsHoldAfterSuccess(*r, request.now)};
    out.counts.replies = internal::JsonCount(metrics, "reply_count");
    out.counts.reposts = internal::JsonCount(metrics, "retweet_count");
    out.counts.likes = internal::JsonCount(metrics, "like_count");
    out.counts.quotes = internal::JsonCount(metrics, "quote_count");
    out.counts.bookmarks = internal::JsonCount(metrics, "bookmark_count");
    out.counts.views = internal::JsonCount(metrics, "impression_count");
    return out;
  }
  bool ReadsEngagement() const override { return true; }

  // GET /2/users/:id/mentions, newest first, since_id the newest mention
  // already returned, walked back with pagination_token (internal/inbox_walk.h).
  // The first read takes the newest page only.
  InboxReadResult ReadInbox(const InboxReadRequest& request) override {
    using IKind = InboxReadResult::Kind;
    InboxReadResult out;
    auto failed = [&](std::string why, int status) {
      out.kind = IKind::kFailed;
      out.why = std::move(why);
      out.http_status = status;
      return out;
    };
    internal::InboxWalk walk;
    if (!request.cursor.empty()) {
      auto decoded = internal::DecodeWalk(request.cursor);
      if (!decoded) return failed("x: the inbox cursor is not one this connector wrote", 0);
      walk = *decoded;
    }
    if (!request.access_token && token_.empty()) {
      out.kind = IKind::kRetryLater;
      out.why = "x: account " + request.account + " is not connected and its connector has no token";
      out.retry_at = request.now + std::chrono::minutes{5};
      return out;
    }
    const std::string bearer = request.access_token.value_or(token_);
    std::string user;
    {
      std::lock_guard lock(mu_);
      user = user_id_;
    }
    if (user.empty()) {
      auto me = http_.Send(InboxGet(base_ + "/2/users/me", bearer));
      if (auto failure = ReadInboxFailure(kPlatform, me, request.now)) return *failure;
      auto j = json::parse(me->body, nullptr, false);
      if (!j.is_object() || !j.contains("data") || !j["data"].is_object() || !j["data"].value("id", json()).is_string() ||
          !IsPostId(j["data"]["id"].get<std::string>()))
        return failed("x: /2/users/me answered without data.id", me->status);
      std::lock_guard lock(mu_);
      user = user_id_ = j["data"]["id"].get<std::string>();
    }
    std::string url = base_ + "/2/users/" + user + "/mentions?max_results=" + std::to_string(kInboxPage) +
                      "&tweet.fields=created_at,lang,referenced_tweets,conversation_id,author_id"
                      "&expansions=author_id&user.fields=username,name";
    if (walk.seen) {
      // X ids grow with time: the largest id of the newest second read.
      std::string since;
      for (const std::string& id : walk.seen->ids)
        if (IsPostId(id) && (id.size() > since.size() || (id.size() == since.size() && id > since))) since = id;
      if (!since.empty()) url += "&since_id=" + since;
    }
    if (walk.walking()) url += "&pagination_token=" + PercentEncode(walk.page);
    auto r = http_.Send(InboxGet(url, bearer));
    if (auto failure = ReadInboxFailure(kPlatform, r, request.now)) return *failure;
    json answer = json::parse(r->body, nullptr, false);
    if (!answer.is_object()) return failed("x: the mentions answer is not a JSON object", r->status);
    const json data = answer.value("data", json::array());  // absent when there is nothing new
    if (!data.is_array()) return failed("x: the mentions answer's data is not a list", r->status);
    std::map<std::string, std::pair<std::string, std::string>> users;  // id -> username, name
    if (answer.contains("includes") && answer["includes"].is_object() && answer["includes"].value("users", json()).is_array()) {
      for (const json& u : answer["includes"]["users"]) {
        if (!u.is_object() || !u.value("id", json()).is_string() || !u.value("username", json()).is_string()) continue;
        users[u["id"]] = {InboxText(u["username"].get<std::string>(), 64),
                          InboxText(u.value("name", json()).is_string() ? u["name"].get<std::string>() : "", 200)};
      }
    }
    std::vector<InboxMessage> page;
    std::vector<internal::WalkItem> items;
    for (const json& post : data) {
      auto message = ReadMention(post, users);
      if (!message) continue;
      items.push_back({message->remote_id, message->created_at});
      page.push_back(std::move(*message));
    }
    std::string next;
    if (answer.contains("meta") && answer["meta"].is_object() && answer["meta"].value("next_token", json()).is_string())
      next = answer["meta"]["next_token"].get<std::string>();
    if (next.size() > 1024) next.clear();
    out = internal::TakeNewestFirstPage(walk, std::move(page), items, next, /*history=*/!request.cursor.empty());
    out.http_status = r->status;
    out.hold_until = ReadsHoldAfterSuccess(*r, request.now);
    return out;
  }
  bool ReadsInbox() const override { return true; }

 private:
  static bool IsPostId(std::string_view id) {
    return !id.empty() && id.size() <= 20 && id.find_first_not_of("0123456789") == std::string_view::npos;
  }

  // A mention as an inbox item: a reply when it answers a post (replied_to),
  // a quote when it quotes one, else a mention.
  static std::optional<InboxMessage> ReadMention(const json& post,
                                                 const std::map<std::string, std::pair<std::string, std::string>>& users) {
    if (!post.is_object() || !post.value("id", json()).is_string() || !post.value("created_at", json()).is_string())
      return std::nullopt;
    InboxMessage m;
    m.remote_id = post["id"];
    if (!IsPostId(m.remote_id)) return std::nullopt;
    auto created = ParseRfc3339(post["created_at"].get<std::string>());
    if (!created) return std::nullopt;
    m.created_at = *created;
    m.kind = InboxKind::kMention;
    if (post.contains("referenced_tweets") && post["referenced_tweets"].is_array()) {
      for (const json& ref : post["referenced_tweets"]) {
        if (!ref.is_object() || !ref.value("type", json()).is_string() || !ref.value("id", json()).is_string()) continue;
        if (!IsPostId(ref["id"].get<std::string>())) continue;
        if (ref["type"] == "replied_to") {
          m.kind = InboxKind::kReply;
          m.in_reply_to = ref["id"];
        } else if (ref["type"] == "quoted" && m.kind != InboxKind::kReply) {
          m.kind = InboxKind::kQuote;
          m.in_reply_to = ref["id"];
        }
      }
    }
    m.text = InboxText(post.value("text", json()).is_string() ? Unescaped(post["text"].get<std::string>()) : "");
    if (post.value("lang", json()).is_string() && post["lang"] != "und") m.language = InboxText(post["lang"].get<std::string>(), 32);
    if (post.value("author_id", json()).is_string()) {
      if (auto u = users.find(post["author_id"]); u != users.end()) {
        m.author = u->second.first;
        m.author_name = u->second.second;
      }
    }
    m.url = m.author.empty() ? "https://x.com/i/web/status/" + m.remote_id
                             : "https://x.com/" + PercentEncode(m.author) + "/status/" + m.remote_id;
    m.reply_ref = m.remote_id;
    return m;
  }

  // The connected account's OAuth token, else the static one from the policy.
  HttpHeaders Auth(const PublishRequest& request) const {
    return {{"Authorization", "Bearer " + request.access_token.value_or(token_)}};
  }

  std::optional<PublishResult> WithoutToken(const PublishRequest& request) const {
    if (request.access_token || !token_.empty()) return std::nullopt;
    PublishResult r = Outcome(Kind::kRetryLater, "x: account " + request.account +
                                                     " is not connected and its connector has no token; a manager "
                                                     "connects it with POST /v1/accounts/" + request.account + "/connect");
    r.attempted = false;
    r.retry_at = request.now + std::chrono::minutes{5};
    r.hold = RateLimitHold{*r.retry_at, r.why, "not_connected"};
    return r;
  }

  static std::optional<RateLimitHold> Later(std::optional<RateLimitHold> a, std::optional<RateLimitHold> b) {
    if (!a) return b;
    if (!b) return a;
    return a->until >= b->until ? a : b;
  }

  // The media id of one image, uploaded and described, ready to attach. A
  // failure here has posted nothing. An upload answer saying no request is
  // left before a reset moves `hold` to that reset, so the next post does not
  // hit the media limit.
  std::expected<std::string, PublishResult> UploadImage(const Media& media, Instant now,
                                                        std::optional<RateLimitHold>& hold,
                                                        const HttpHeaders& auth) const {
    auto image = FetchImage(http_, kPlatform, media, now);
    if (!image) return std::unexpected(image.error());
    MultipartForm form;
    form.AddFile("media", image->filename, image->content_type, image->bytes);
    form.AddField("media_category", "tweet_image");
    for (std::string_view type : kUploadTypes)
      if (image->content_type == type) form.AddField("media_type", type);
    std::string content_type = form.ContentType();
    HttpResult up = http_.Send({"POST", base_ + "/2/media/upload", auth, std::move(form).Close(), content_type});
    if (auto f = ReadFailure(kPlatform, up, now)) return std::unexpected(BeforePosting(*f));
    hold = Later(std::move(hold), HoldAfterSuccess(kPlatform, *up, now));
    json answer = json::parse(up->body, nullptr, false);
    const json* data = answer.is_object() && answer.contains("data") && answer["data"].is_object() ? &answer["data"] : nullptr;
    if (!data || !data->contains("id") || !(*data)["id"].is_string()) {
      return std::unexpected(PublishResult{Kind::kRetryLater, {}, {}, std::nullopt,
                                           "x: media upload of " + media.url + " answered without data.id", {}, up->status});
    }
    std::string id = (*data)["id"].get<std::string>();
    if (media.alt.empty()) return id;
    json metadata = {{"id", id}, {"metadata", {{"alt_text", {{"text", media.alt}}}}}};
    HttpResult described = http_.Send({"POST", base_ + "/2/media/metadata", auth, metadata.dump(), "application/json"});
    if (auto f = ReadFailure(kPlatform, described, now)) {
      PublishResult failure = BeforePosting(*f);
      failure.why += " (alt text of " + media.url + ")";
      return std::unexpected(failure);
    }
    hold = Later(std::move(hold), HoldAfterSuccess(kPlatform, *described, now));
    return id;
  }

  PublishResult Published(std::string id, std::optional<RateLimitHold> hold, int status) const {
    PublishResult r;
    r.remote_url = id.empty() ? "" : username_ ? "https://x.com/" + *username_ + "/status/" + id : "https://x.com/i/web/status/" + id;
    r.remote_id = std::move(id);
    r.hold = std::move(hold);
    r.http_status = status;
    return r;
  }

  std::expected<std::string, std::string> UserId(const HttpHeaders& auth) const {
    {
      std::lock_guard lock(mu_);
      if (!user_id_.empty()) return user_id_;
    }
    auto r = http_.Send({"GET", base_ + "/2/users/me", auth, {}, {}});
    if (!r) return std::unexpected(r.error().message);
    if (r->status != 200) return std::unexpected(DescribeAnswer("x", *r));
    auto j = json::parse(r->body, nullptr, false);
    if (!j.is_object() || !j.contains("data") || !j["data"].is_object() || !j["data"].value("id", json()).is_string())
      return std::unexpected("x: /2/users/me answered without data.id");
    std::lock_guard lock(mu_);
    user_id_ = j["data"]["id"].get<std::string>();
    return user_id_;
  }

  // The user's latest posts, newest first, searched for the request's text.
  std::expected<Search, std::string> FindOwnPost(const PublishRequest& request) const {
    const HttpHeaders auth = Auth(request);
    auto user = UserId(auth);
    if (!user) return std::unexpected(user.error());
    auto r = http_.Send({"GET",
                         base_ + "/2/users/" + *user + "/tweets?max_results=" + std::to_string(kRecentPosts) +
                             "&tweet.fields=created_at",
                         auth, {}, {}});
    if (!r) return std::unexpected(r.error().message);
    if (r->status != 200) return std::unexpected(DescribeAnswer("x", *r));
    auto j = json::parse(r->body, nullptr, false);
    if (!j.is_object()) return std::unexpected("x: unreadable list of recent posts");
    Search out;
    const json data = j.value("data", json::array());  // absent when the user has no posts
    std::string wanted = Comparable(request.text);
    // A post with images ends with the t.co link to them.
    std::string with_media = wanted.empty() ? "\x01" : wanted + " \x01";
    bool reaches_before = false;
    for (const auto& post : data) {
      if (!post.is_object() || !post.value("text", json()).is_string()) continue;
      std::string text = Comparable(post["text"].get<std::string>());
      bool same = text == wanted || (!request.media.empty() && text == with_media);
      if (!out.id && same && post.value("id", json()).is_string()) out.id = post["id"].get<std::string>();
      if (post.value("created_at", json()).is_string()) {
        auto t = ParseRfc3339(post["created_at"].get<std::string>());
        if (t && *t < request.created_at) reaches_before = true;
      }
    }
    out.certainly_absent = !out.id && (reaches_before || static_cast<int>(data.size()) < kRecentPosts);
    return out;
  }

  const std::string base_;
  const std::string token_;
  const std::optional<std::string> username_;
  const HttpClient http_;
  mutable std::mutex mu_;
  mutable std::string user_id_;  // guarded by mu_; empty until learned
};

}  // namespace

Result<std::unique_ptr<Connector>> MakeXConnector(const policies::ConnectorConfig& config, const ConnectorContext& context) {
  auto settings = ConnectorSettings::Read("x", config, context);
  if (!settings) return std::unexpected(settings.error());
  // No token: the account is connected by OAuth (docs/connectors/x.md) and
  // every request carries the grant's access token.
  std::string token = settings->Secret("token").value_or(settings->Get("token").value_or(""));
  return std::make_unique<XConnector>(settings->BaseUrl("https://api.x.com"), token, settings->Get("username"),
                                      context.http);
}

}  // namespace herald::connectors
