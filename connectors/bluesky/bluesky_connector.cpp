#include "connectors/bluesky/bluesky_connector.h"

#include <cctype>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>

#include "connectors/bluesky/rich_text.h"
#include "connectors/internal/inbox_walk.h"
#include "connectors/internal/json_counts.h"
#include "connectors/media_fetch.h"
#include "connectors/platform_http.h"
#include "connectors/platforms.h"

namespace herald::connectors {
namespace {

using json = nlohmann::json;
using Kind = PublishResult::Kind;
constexpr std::string_view kPlatform = "bluesky";
constexpr std::string_view kCollection = "app.bsky.feed.post";
constexpr size_t kMaxImages = 4;  // app.bsky.embed.images
constexpr size_t kMaxLangs = 3;   // app.bsky.feed.post#langs
constexpr int kInboxPage = 50;    // listNotifications: default 50, at most 100

struct Session {
  std::string did;
  std::string handle;
  std::string access;
  std::string refresh;
};

std::string ErrorName(const HttpResponse& r) {
  json j = json::parse(r.body, nullptr, false);
  return j.is_object() && j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : "";
}

HttpRequest JsonPost(std::string url, const std::string& bearer, const json& body) {
  HttpHeaders headers;
  if (!bearer.empty()) headers.emplace_back("Authorization", "Bearer " + bearer);
  return {"POST", std::move(url), std::move(headers), body.dump(), "application/json"};
}

class BlueskyConnector : public Connector {
 public:
  BlueskyConnector(std::string base_url, std::string identifier, std::string password, std::vector<std::string> langs,
                   HttpClientOptions http)
      : base_(std::move(base_url)),
        identifier_(std::move(identifier)),
        password_(std::move(password)),
        langs_(std::move(langs)),
        http_(std::move(http)) {}

  PublishResult Publish(const PublishRequest& request) override {
    auto session = CurrentSession(request.now);
    if (!session) return session.error();
    const std::string rkey = BlueskyRecordKey(request.created_at, request.post_id);

    json record = {{"$type", kCollection}, {"text", request.text}, {"createdAt", FormatRfc3339(request.now)}};
    if (request.reply_to) {
      auto reply = ReadReplyRef(*request.reply_to);
      if (!reply) return {Kind::kFailed, {}, {}, std::nullopt, "bluesky: " + reply.error(), {}, 0};
      record["reply"] = *reply;
    }
    json facets = Facets(request.text);
    if (!facets.empty()) record["facets"] = facets;
    if (!langs_.empty()) record["langs"] = langs_;
    json images = json::array();
    for (size_t i = 0; i < request.media.size() && i < kMaxImages; ++i) {
      auto blob = UploadImage(request.media[i], *session, request.now);
      if (!blob) return blob.error();
      images.push_back({{"alt", request.media[i].alt}, {"image", *blob}});
    }
    if (!images.empty()) record["embed"] = {{"$type", "app.bsky.embed.images"}, {"images", images}};

    auto sent = SendAuthed(*session, request.now, [&](const Session& s) {
      return JsonPost(base_ + "/xrpc/com.atproto.repo.createRecord", s.access,
                      {{"repo", s.did}, {"collection", kCollection}, {"rkey", rkey}, {"record", record}});
    });
    if (!sent) return sent.error();  // the session could not be renewed: nothing was created
    const HttpResult& result = *sent;
    bool ambiguous = result ? result->status >= 500 : result.error().kind == HttpFailure::Kind::kNoAnswer;
    if (ambiguous) {
      // The record may exist (a PDS also answers 500 to a second create of
      // the same key): the key tells.
      PublishResult transient = *ReadFailure(kPlatform, result, request.now);
      auto found = FindRecord(session->did, session->handle, rkey);
      if (!found) {
        transient.kind = Kind::kUnknown;
        transient.why += "; asking com.atproto.repo.getRecord for " + rkey + " got no clear answer either";
        return transient;
      }
      if (found->kind == Kind::kPublished) return *found;
      transient.kind = Kind::kRetryLater;
      transient.why += "; record " + rkey + " does not exist, safe to retry";
      return transient;
    }
    if (auto failure = ReadFailure(kPlatform, result, request.now)) return *failure;
    // Created: nothing below may turn this into a retry.
    json created = json::parse(result->body, nullptr, false);
    std::string uri = created.is_object() && created.contains("uri") && created["uri"].is_string()
                          ? created["uri"].get<std::string>()
                          : "at://" + session->did + "/" + std::string(kCollection) + "/" + rkey;
    return {Kind::kPublished, uri, WebUrl(*session, rkey), std::nullopt, {},
            HoldAfterSuccess(kPlatform, *result, request.now), result->status};
  }

  std::optional<PublishResult> Lookup(const PublishRequest& request) override {
    auto session = CurrentSession(request.now);
    if (!session) return std::nullopt;
    return FindRecord(session->did, session->handle, BlueskyRecordKey(request.created_at, request.post_id));
  }

  // app.bsky.feed.getPosts with the post's at:// URI, through the account's
  // PDS (which hands app.bsky calls to the AppView). A deleted post is simply
  // missing from `posts`.
  EngagementResult ReadEngagement(const EngagementRequest& request) override {
    using EKind = EngagementResult::Kind;
    if (!request.remote_id.starts_with("at://")) {
      return {EKind::kFailed, {}, std::nullopt, "bluesky: the post has no at:// URI to read", 0, std::nullopt};
    }
    auto session = CurrentSession(request.now);
    if (!session) return FromSessionFailure(session.error());
    auto sent = SendAuthed(*session, request.now, [&](const Session& s) {
      return EngagementGet(base_ + "/xrpc/app.bsky.feed.getPosts?uris=" + PercentEncode(request.remote_id), s.access);
    });
    if (!sent) return FromSessionFailure(sent.error());
    const HttpResult& r = *sent;
    if (auto failure = ReadEngagementFailure(kPlatform, r, request.now)) return *failure;
    json answer = json::parse(r->body, nullptr, false);
    if (!answer.is_object() || !answer.contains("posts") || !answer["posts"].is_array()) {
      return {EKind::kFailed, {}, std::nullopt, "bluesky: getPosts answered without a posts list", r->status, std::nullopt};
    }
    for (const json& post : answer["posts"]) {
      if (!post.is_object() || post.value("uri", json()) != request.remote_id) continue;
      EngagementResult out{EKind::kRead, {}, std::nullopt, {}, r->status, ReadsHoldAfterSuccess(*r, request.now)};
      out.counts.replies = internal::JsonCount(post, "replyCount");
      out.counts.reposts = internal::JsonCount(post, "repostCount");
      out.counts.likes = internal::JsonCount(post, "likeCount");
      out.counts.quotes = internal::JsonCount(post, "quoteCount");
      out.counts.bookmarks = internal::JsonCount(post, "bookmarkCount");  // newer AppViews only
      return out;
    }
    return {EKind::kGone, {}, std::nullopt, "bluesky: getPosts no longer returns " + request.remote_id + " (deleted)",
            r->status, std::nullopt};
  }
  bool ReadsEngagement() const override { return true; }

  // app.bsky.notification.listNotifications (reasons reply, mention, quote),
  // newest first, walked back with its cursor down to the newest
  // notification already returned (internal/inbox_walk.h). The first read
  // takes the newest page only. seenAt is neither read nor written: marking
  // notifications seen would clear the account owner's unread badge.
  InboxReadResult ReadInbox(const InboxReadRequest& request) override {
    using IKind = InboxReadResult::Kind;
    InboxReadResult out;
    internal::InboxWalk walk;
    if (!request.cursor.empty()) {
      auto decoded = internal::DecodeWalk(request.cursor);
      if (!decoded) {
        out.kind = IKind::kFailed;
        out.why = "bluesky: the inbox cursor is not one this connector wrote";
        return out;
      }
      walk = *decoded;
    }
    auto session = CurrentSession(request.now);
    if (!session) return InboxFailure(session.error());
    std::string url = base_ + "/xrpc/app.bsky.notification.listNotifications?limit=" + std::to_string(kInboxPage) +
                      "&reasons=reply&reasons=mention&reasons=quote";
    if (walk.walking()) url += "&cursor=" + PercentEncode(walk.page);
    auto sent = SendAuthed(*session, request.now, [&](const Session& s) { return InboxGet(url, s.access); });
    if (!sent) return InboxFailure(sent.error());
    const HttpResult& r = *sent;
    if (auto failure = ReadInboxFailure(kPlatform, r, request.now)) return *failure;
    json answer = json::parse(r->body, nullptr, false);
    if (!answer.is_object() || !answer.contains("notifications") || !answer["notifications"].is_array()) {
      out.kind = IKind::kFailed;
      out.why = "bluesky: listNotifications answered without a notifications list (" +
                std::string(answer.is_discarded() ? "not JSON" : "unexpected JSON") + ")";
      out.http_status = r->status;
      return out;
    }
    std::vector<InboxMessage> page;
    std::vector<internal::WalkItem> items;
    for (const json& n : answer["notifications"]) {
      auto message = ReadNotification(n, session->did);
      if (!message) continue;
      auto indexed = ParseRfc3339(n["indexedAt"].get<std::string>());
      items.push_back({message->remote_id, *indexed});
      page.push_back(std::move(*message));
    }
    std::string next = answer.value("cursor", json()).is_string() ? answer["cursor"].get<std::string>() : "";
    if (next.size() > 1024) next.clear();  // not a cursor a PDS writes: read no further back
    out = internal::TakeNewestFirstPage(walk, std::move(page), items, next, /*history=*/!request.cursor.empty());
    out.http_status = r->status;
    out.hold_until = ReadsHoldAfterSuccess(*r, request.now);
    return out;
  }
  bool ReadsInbox() const override { return true; }

 private:
  // A notification as an inbox item, or nullopt for one that is not a
  // reply, mention or quote, or lacks what the lexicon requires.
  static std::optional<InboxMessage> ReadNotification(const json& n, const std::string& own_did) {
    if (!n.is_object()) return std::nullopt;
    for (const char* field : {"uri", "cid", "reason", "indexedAt"})
      if (!n.contains(field) || !n[field].is_string()) return std::nullopt;
    if (!n.contains("author") || !n["author"].is_object() || !n.contains("record") || !n["record"].is_object())
      return std::nullopt;
    const std::string reason = n["reason"];
    InboxMessage m;
    if (reason == "reply") m.kind = InboxKind::kReply;
    else if (reason == "mention") m.kind = InboxKind::kMention;
    else if (reason == "quote") m.kind = InboxKind::kQuote;
    else return std::nullopt;
    auto indexed = ParseRfc3339(n["indexedAt"].get<std::string>());
    if (!indexed) return std::nullopt;
    const std::string uri = n["uri"], cid = n["cid"];
    if (!uri.starts_with("at://") || uri.size() > 1024 || cid.size() > 256) return std::nullopt;
    const json& author = n["author"];
    const json& record = n["record"];
    m.remote_id = uri;
    m.author = InboxText(author.value("handle", json()).is_string() ? author["handle"].get<std::string>() : "", 256);
    m.author_name = InboxText(author.value("displayName", json()).is_string() ? author["displayName"].get<std::string>() : "", 640);
    m.text = InboxText(record.value("text", json()).is_string() ? record["text"].get<std::string>() : "");
    if (record.contains("langs") && record["langs"].is_array() && !record["langs"].empty() && record["langs"][0].is_string())
      m.language = InboxText(record["langs"][0].get<std::string>(), 32);
    m.created_at = *indexed;
    if (record.value("createdAt", json()).is_string()) {
      if (auto t = ParseRfc3339(record["createdAt"].get<std::string>())) m.created_at = *t;
    }
    const std::string rkey = uri.substr(uri.rfind('/') + 1);
    const std::string did = author.value("did", json()).is_string() ? author["did"].get<std::string>() : "";
    m.url = "https://bsky.app/profile/" + (m.author.empty() ? did : m.author) + "/post/" + PercentEncode(rkey);
    const std::string own_prefix = "at://" + own_did + "/";
    json parent = {{"uri", uri}, {"cid", cid}};
    json root = parent;
    if (record.contains("reply") && record["reply"].is_object()) {
      const json& reply = record["reply"];
      if (IsStrongRef(reply.value("root", json()))) root = {{"uri", reply["root"]["uri"]}, {"cid", reply["root"]["cid"]}};
      if (IsStrongRef(reply.value("parent", json()))) {
        std::string answered = reply["parent"]["uri"];
        if (answered.starts_with(own_prefix)) m.in_reply_to = answered;
      }
    }
    if (m.kind == InboxKind::kQuote && n.value("reasonSubject", json()).is_string()) {
      std::string quoted = n["reasonSubject"];
      if (quoted.starts_with(own_prefix)) m.in_reply_to = quoted;
    }
    m.reply_ref = json{{"root", root}, {"parent", parent}}.dump();
    return m;
  }

  static bool IsStrongRef(const json& j) {
    return j.is_object() && j.value("uri", json()).is_string() && j.value("cid", json()).is_string() &&
           j["uri"].get<std::string>().starts_with("at://");
  }

  // The record's `reply` (app.bsky.feed.post#replyRef) from an inbox item's
  // reply_ref; a reason when it is not one this connector wrote.
  static std::expected<json, std::string> ReadReplyRef(const std::string& ref) {
    json j = json::parse(ref, nullptr, false);
    if (!j.is_object() || !IsStrongRef(j.value("root", json())) || !IsStrongRef(j.value("parent", json())))
      return std::unexpected("the reply reference is not a root and parent {uri, cid} pair");
    return json{{"root", {{"uri", j["root"]["uri"]}, {"cid", j["root"]["cid"]}}},
                {"parent", {{"uri", j["parent"]["uri"]}, {"cid", j["parent"]["cid"]}}}};
  }

  static EngagementResult FromSessionFailure(const PublishResult& failure) {
    return {failure.kind == Kind::kFailed ? EngagementResult::Kind::kFailed : EngagementResult::Kind::kRetryLater, {},
            failure.retry_at, failure.why, failure.http_status, std::nullopt};
  }

  // The text's facets as the official client builds them; a mention whose
  // handle does not resolve to a DID stays plain text.
  json Facets(const std::string& text) {
    json out = json::array();
    std::map<std::string, std::optional<std::string>> dids;  // one resolveHandle per handle
    for (const auto& f : DetectRichTextFacets(text)) {
      json feature;
      switch (f.kind) {
        case RichTextFacet::Kind::kMention: {
          auto [it, fresh] = dids.try_emplace(f.value);
          if (fresh) it->second = ResolveHandle(f.value);
          if (!it->second) continue;
          feature = {{"$type", "app.bsky.richtext.facet#mention"}, {"did", *it->second}};
          break;
        }
        case RichTextFacet::Kind::kLink:
          feature = {{"$type", "app.bsky.richtext.facet#link"}, {"uri", f.value}};
          break;
        case RichTextFacet::Kind::kTag:
          feature = {{"$type", "app.bsky.richtext.facet#tag"}, {"tag", f.value}};
          break;
      }
      out.push_back({{"$type", "app.bsky.richtext.facet"},
                     {"index", {{"byteStart", f.byte_start}, {"byteEnd", f.byte_end}}},
                     {"features", {feature}}});
    }
    return out;
  }

  // The DID of `handle`, or nullopt when the PDS does not resolve it (or
  // answers nothing usable: the mention is then plain text, never a guess).
  std::optional<std::string> ResolveHandle(const std::string& handle) {
    HttpResult r = http_.Send(
        {"GET", base_ + "/xrpc/com.atproto.identity.resolveHandle?handle=" + PercentEncode(handle), {}, {}, {}});
    if (!r || r->status != 200) return std::nullopt;
    json j = json::parse(r->body, nullptr, false);
    if (!j.is_object() || !j.contains("did") || !j["did"].is_string()) return std::nullopt;
    std::string did = j["did"];
    if (!did.starts_with("did:") || did.size() > 2048) return std::nullopt;
    return did;
  }

  static std::string WebUrl(const Session& s, const std::string& rkey) {
    return "https://bsky.app/profile/" + (s.handle.empty() ? s.did : s.handle) + "/post/" + rkey;
  }

  // kPublished when the record exists, kFailed when it certainly does not,
  // nullopt when the PDS gave no clear answer. getRecord needs no session.
  std::optional<PublishResult> FindRecord(const std::string& did, const std::string& handle, const std::string& rkey) {
    HttpResult r = http_.Send({"GET",
                               base_ + "/xrpc/com.atproto.repo.getRecord?repo=" + PercentEncode(did) +
                                   "&collection=" + std::string(kCollection) + "&rkey=" + rkey,
                               {}, {}, {}});
    if (!r) return std::nullopt;
    if (r->status == 200) {
      json j = json::parse(r->body, nullptr, false);
      std::string uri = j.is_object() && j.contains("uri") && j["uri"].is_string() ? j["uri"].get<std::string>() : "";
      if (uri.empty()) return std::nullopt;
      return PublishResult{Kind::kPublished, uri, WebUrl({did, handle, {}, {}}, rkey), std::nullopt,
                           "bluesky: record " + rkey + " found by getRecord", {}, 200};
    }
    if ((r->status == 400 || r->status == 404) && ErrorName(*r) == "RecordNotFound") {
      return PublishResult{Kind::kFailed, {}, {}, std::nullopt, "bluesky: no record " + rkey, {}, r->status};
    }
    return std::nullopt;
  }

  std::expected<json, PublishResult> UploadImage(const Media& media, Session& session, Instant now) {
    auto image = FetchImage(http_, kPlatform, media, now);
    if (!image) return std::unexpected(image.error());
    auto sent = SendAuthed(session, now, [&](const Session& s) {
      return HttpRequest{"POST", base_ + "/xrpc/com.atproto.repo.uploadBlob", {{"Authorization", "Bearer " + s.access}},
                         image->bytes, image->content_type};
    });
    if (!sent) return std::unexpected(sent.error());
    const HttpResult& r = *sent;
    if (auto failure = ReadFailure(kPlatform, r, now)) return std::unexpected(BeforePosting(*failure));
    json j = json::parse(r->body, nullptr, false);
    if (!j.is_object() || !j.contains("blob")) {
      return std::unexpected(PublishResult{Kind::kRetryLater, {}, {}, std::nullopt,
                                           "bluesky: uploadBlob answer holds no blob", {}, r->status});
    }
    return j["blob"];
  }

  // Sends with the session's access token; on ExpiredToken (a definite
  // refusal: nothing was done) renews the session once and sends again. The
  // error is the failed renewal's outcome.
  template <class Build>
  std::expected<HttpResult, PublishResult> SendAuthed(Session& session, Instant now, Build build) {
    HttpResult r = http_.Send(build(session));
    if (!r || (r->status != 400 && r->status != 401) || ErrorName(*r) != "ExpiredToken") return r;
    auto renewed = Renew(session.access, now);
    if (!renewed) return std::unexpected(renewed.error());
    session = *renewed;
    return http_.Send(build(session));
  }

  std::expected<Session, PublishResult> CurrentSession(Instant now) {
    std::lock_guard lock(mu_);
    if (session_) return *session_;
    return LogIn(now);
  }

  // A new session unless another thread already replaced `stale_access`;
  // refreshSession first, createSession when the refresh token is spent too.
  std::expected<Session, PublishResult> Renew(const std::string& stale_access, Instant now) {
    std::lock_guard lock(mu_);
    if (session_ && session_->access != stale_access) return *session_;
    if (session_) {
      // refreshSession takes no input: the PDS refuses any request body.
      HttpResult r = http_.Send({"POST", base_ + "/xrpc/com.atproto.server.refreshSession",
                                 {{"Authorization", "Bearer " + session_->refresh}}, {}, {}});
      if (r && r->status == 200) {
        if (auto s = ReadSession(*r)) return *(session_ = *s);
      }
      if (!r || (r->status != 400 && r->status != 401)) {
        return std::unexpected(BeforePosting(ReadFailure(kPlatform, r, now).value_or(
            PublishResult{Kind::kRetryLater, {}, {}, std::nullopt, "bluesky: refreshSession answer unreadable", {}, r->status})));
      }
      session_.reset();
    }
    return LogIn(now);
  }

  // REQUIRES: mu_ held (createSession is tightly limited: one login at a time).
  std::expected<Session, PublishResult> LogIn(Instant now) {
    HttpResult r = http_.Send(JsonPost(base_ + "/xrpc/com.atproto.server.createSession", "",
                                       {{"identifier", identifier_}, {"password", password_}}));
    if (auto failure = ReadFailure(kPlatform, r, now)) {
      PublishResult f = BeforePosting(*failure);
      if (f.kind == Kind::kFailed) f.why = "bluesky: createSession for " + identifier_ + " refused: " + f.why;
      return std::unexpected(f);
    }
    auto s = ReadSession(*r);
    if (!s) {
      return std::unexpected(PublishResult{Kind::kRetryLater, {}, {}, std::nullopt,
                                           "bluesky: createSession answer holds no session", {}, r->status});
    }
    session_ = *s;
    return *s;
  }

  static std::optional<Session> ReadSession(const HttpResponse& r) {
    json j = json::parse(r.body, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    for (const char* field : {"did", "accessJwt", "refreshJwt"})
      if (!j.contains(field) || !j[field].is_string()) return std::nullopt;
    return Session{j["did"], j.value("handle", ""), j["accessJwt"], j["refreshJwt"]};
  }

  const std::string base_;
  const std::string identifier_;
  const std::string password_;
  const std::vector<std::string> langs_;  // BCP-47 tags for every post, at most kMaxLangs
  const HttpClient http_;
  std::mutex mu_;
  std::optional<Session> session_;  // guarded by mu_
};

}  // namespace

std::string BlueskyRecordKey(Instant created_at, int64_t post_id) {
  static constexpr char kAlphabet[] = "234567abcdefghijklmnopqrstuvwxyz";
  const uint64_t id = static_cast<uint64_t>(post_id);
  const uint64_t micros = static_cast<uint64_t>(created_at.time_since_epoch().count()) * 1000000 + id % 1000000;
  const uint64_t clock_id = (id / 1000000) % 1024;
  // 53 bits of microseconds, 10 of clock id; the top bit stays 0.
  uint64_t tid = ((micros & ((uint64_t{1} << 53) - 1)) << 10) | clock_id;
  std::string out(13, '2');
  for (int i = 12; i >= 0; --i, tid >>= 5) out[static_cast<size_t>(i)] = kAlphabet[tid & 31];
  return out;
}

std::vector<LinkFacet> FindLinks(const std::string& text) {
  std::vector<LinkFacet> links;
  for (auto& f : DetectRichTextFacets(text))
    if (f.kind == RichTextFacet::Kind::kLink) links.push_back({f.byte_start, f.byte_end, std::move(f.value)});
  return links;
}

Result<std::vector<std::string>> ReadBlueskyLangs(std::string_view setting) {
  // A BCP-47 language tag, as app.bsky.feed.post#langs wants: a primary
  // language and optional subtags ("en", "pt-BR", "zh-Hant").
  static const std::regex kTag("^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$");
  std::vector<std::string> langs;
  size_t pos = 0;
  while (pos <= setting.size()) {
    size_t comma = std::min(setting.find(',', pos), setting.size());
    std::string tag(setting.substr(pos, comma - pos));
    tag.erase(0, tag.find_first_not_of(" \t"));
    tag.erase(tag.find_last_not_of(" \t") + 1);
    if (!std::regex_match(tag, kTag)) {
      return InvalidArgument("connector bluesky: setting langs: \"" + tag + "\" is not a language tag (e.g. en, pt-BR)");
    }
    langs.push_back(tag);
    pos = comma + 1;
  }
  if (langs.size() > kMaxLangs) {
    return InvalidArgument("connector bluesky: setting langs: at most 3 languages");
  }
  return langs;
}

Result<std::unique_ptr<Connector>> MakeBlueskyConnector(const policies::ConnectorConfig& config,
                                                        const ConnectorContext& context) {
  auto settings = ConnectorSettings::Read("bluesky", config, context);
  if (!settings) return std::unexpected(settings.error());
  auto identifier = settings->Require("identifier");
  if (!identifier) return std::unexpected(identifier.error());
  auto password = settings->Require("app_password");
  if (!password) return std::unexpected(password.error());
  std::vector<std::string> langs;
  if (auto setting = settings->Get("langs")) {
    auto read = ReadBlueskyLangs(*setting);
    if (!read) return std::unexpected(read.error());
    langs = *read;
  }
  return std::make_unique<BlueskyConnector>(settings->BaseUrl("https://bsky.social"), *identifier, *password,
                                            std::move(langs), context.http);
}

}  // namespace herald::connectors
