// The Facebook Page connector: POST /<version>/<page_id>/feed with `message`
// and the Page token; one image is a published photo (POST /<page_id>/photos
// with url + caption), several are unpublished photos attached to the feed
// post with attached_media (docs/connectors/facebook_page.md). The inbox is
// the comments under the Page's recent posts (GET /<post>/comments,
// filter=stream, newest first); an answer is a comment on the comment
// (POST /<comment>/comments). An account connected by OAuth (`auth: oauth`)
// publishes with the Page token herald picked when it was connected; without a
// `page_id` its Page is the token's own ("me": a Page token stands for its Page).
//
// Thread-safe: the connector is immutable after creation.
#include <nlohmann/json.hpp>

#include "connectors/meta/comments.h"
#include "connectors/meta/graph.h"
#include "connectors/platform_http.h"
#include "connectors/platforms.h"

namespace herald::connectors {
namespace {

using Kind = PublishResult::Kind;

class FacebookPageConnector final : public Connector {
 public:
  FacebookPageConnector(meta::GraphClient client, std::string page_id)
      : client_(std::move(client)), page_id_(std::move(page_id)) {}

  PublishResult Publish(const PublishRequest& request) override {
    if (request.access_token) return Connected(*request.access_token).Publish(meta::WithoutToken(request));
    if (request.reply_to) return Reply(request);
    if (request.media.size() == 1) {
      // A published photo is a post of its own: {"id": <photo>, "post_id": <page>_<post>}.
      auto r = client_.Post(page_id_ + "/photos", {{"url", request.media[0].url}, {"caption", request.text}});
      return Finish(r, request, "post_id");
    }
    meta::Fields fields{{"message", request.text}};
    for (size_t i = 0; i < request.media.size(); ++i) {
      auto photo = client_.Post(page_id_ + "/photos", {{"url", request.media[i].url}, {"published", "false"}});
      if (auto f = meta::ReadGraphFailure("facebook_page", photo, request.now)) {
        // An unpublished photo shows nowhere: nothing is published yet.
        if (f->kind == Kind::kUnknown) f->kind = Kind::kRetryLater;
        return *f;
      }
      auto id = meta::ReadField(*photo, "id");
      if (!id) return Fail(Kind::kRetryLater, "facebook_page: photo upload answered without an id");
      fields.emplace_back("attached_media[" + std::to_string(i) + "]", nlohmann::json{{"media_fbid", *id}}.dump());
    }
    return Finish(client_.Post(page_id_ + "/feed", std::move(fields)), request, "id");
  }

  std::optional<PublishResult> Lookup(const PublishRequest& request) override {
    if (request.access_token) return Connected(*request.access_token).Lookup(meta::WithoutToken(request));
    if (request.reply_to) return std::nullopt;  // a comment is not among the Page's posts
    auto answer = meta::LookupAnswer(FindRecent(request), "facebook_page");
    if (answer && answer->kind == Kind::kPublished) answer->remote_url = Url(answer->remote_id);
    return answer;
  }

  InboxReadResult ReadInbox(const InboxReadRequest& request) override {
    if (request.access_token) return Connected(*request.access_token).ReadInbox(meta::WithoutToken(request));
    // The Page's own answers are skipped by its numeric id; a connected
    // account without page_id knows its Page only as "me", so asks who that is.
    std::string page = page_id_;
    if (page == "me") {
      HttpResult me = client_.Get("me", {{"fields", "id"}}, 4096);
      if (!me && me.error().kind == HttpFailure::Kind::kTooLarge) return *ReadInboxFailure("facebook_page", me, request.now);
      if (auto failure = meta::ReadGraphFailure("facebook_page", me, request.now)) return InboxFailure(*failure);
      nlohmann::json who = nlohmann::json::parse(me->body, nullptr, false);
      page = who.is_object() ? meta::CommentString(who, "id", 128) : "";
      if (page.empty()) {
        InboxReadResult unknown;
        unknown.kind = InboxReadResult::Kind::kRetryLater;
        unknown.why = "facebook_page: GET /me did not say which Page the token is";
        unknown.retry_at = request.now + std::chrono::minutes{5};
        return unknown;
      }
    }
    meta::CommentEdge edge{
        .edge = "comments",
        .query = {{"filter", "stream"},
                  {"order", "reverse_chronological"},
                  {"fields", "id,message,from{id,name},created_time,parent{id},permalink_url"},
                  {"limit", "50"}},
        .newest_first = true,
        .max_posts = 10,
        .read = [page](const nlohmann::json& item, const std::string& post) {
          std::vector<InboxMessage> out;
          if (!item.is_object()) return out;
          const nlohmann::json from = item.value("from", nlohmann::json::object());
          if (from.is_object() && meta::CommentString(from, "id") == page) return out;  // the Page's own answers
          auto at = meta::CommentTime(item, "created_time");
          std::string id = meta::CommentString(item, "id", 128);
          if (!at || id.empty()) return out;
          InboxMessage m;
          m.remote_id = id;
          m.kind = InboxKind::kComment;
          if (from.is_object()) {
            m.author = meta::CommentString(from, "id", 128);
            m.author_name = meta::CommentString(from, "name", 640);
          }
          m.text = meta::CommentString(item, "message");
          m.created_at = *at;
          m.url = meta::CommentString(item, "permalink_url", 2048);
          if (!m.url.starts_with("https://")) m.url = Url(id);
          m.in_reply_to = post;
          // Facebook nests comments one level: an answer to a reply joins its parent's thread.
          const nlohmann::json parent = item.value("parent", nlohmann::json::object());
          std::string parent_id = parent.is_object() ? meta::CommentString(parent, "id", 128) : "";
          m.reply_ref = parent_id.empty() ? id : parent_id;
          out.push_back(std::move(m));
          return out;
        }};
    return meta::ReadComments(client_, edge, request);
  }
  bool ReadsInbox() const override { return true; }

 private:
  // This connector acting with a connected account's Page token.
  FacebookPageConnector Connected(std::string token) const {
    return FacebookPageConnector(client_.WithToken(std::move(token)), page_id_);
  }

  // A comment on the comment `reply_to` names. Without an answer the outcome
  // is unknown: no list tells which comments the Page made.
  PublishResult Reply(const PublishRequest& request) const {
    const std::string& target = *request.reply_to;
    if (!meta::IsGraphId(target))
      return Fail(Kind::kFailed, "facebook_page: the reply reference is not a comment id");
    auto r = client_.Post(target + "/comments", {{"message", request.text}});
    if (auto f = meta::ReadGraphFailure("facebook_page", r, request.now)) return *f;
    PublishResult out;
    out.http_status = r->status;
    out.remote_id = meta::ReadField(*r, "id").value_or("");
    out.remote_url = out.remote_id.empty() ? "" : Url(out.remote_id);
    out.hold = HoldAfterSuccess("facebook_page", *r, request.now);
    return out;
  }

  static PublishResult Fail(Kind kind, std::string why) {
    PublishResult r;
    r.kind = kind;
    r.why = std::move(why);
    return r;
  }

  static std::string Url(const std::string& id) { return "https://www.facebook.com/" + id; }

  meta::Step<meta::RecentMatch> FindRecent(const PublishRequest& request) const {
    static const meta::RecentQuery kPosts{.edge = "posts", .text_field = "message", .time_field = "created_time"};
    return meta::FindRecentPost(client_, page_id_, kPosts, request.text, request.created_at, request.now);
  }

  // The answer to the call that makes the post visible.
  PublishResult Finish(const HttpResult& r, const PublishRequest& request, std::string_view id_field) const {
    if (auto f = meta::ReadGraphFailure("facebook_page", r, request.now)) {
      if (f->kind != Kind::kUnknown) return *f;
      // No answer: the Page's recent posts tell whether it was made.
      auto match = FindRecent(request);
      if (!match || !match->id) return *f;
      PublishResult found;
      found.remote_id = *match->id;
      found.remote_url = Url(found.remote_id);
      return found;
    }
    PublishResult out;
    out.http_status = r->status;
    out.remote_id = meta::ReadField(*r, id_field).value_or(meta::ReadField(*r, "id").value_or(""));
    out.remote_url = out.remote_id.empty() ? "" : Url(out.remote_id);
    out.hold = HoldAfterSuccess("facebook_page", *r, request.now);
    return out;
  }

  const meta::GraphClient client_;
  const std::string page_id_;
};

}  // namespace

Result<std::unique_ptr<Connector>> MakeFacebookPageConnector(const policies::ConnectorConfig& config,
                                                             const ConnectorContext& context) {
  auto settings = ConnectorSettings::Read("facebook_page", config, context);
  if (!settings) return std::unexpected(settings.error());
  const bool connected = settings->Get("auth") == "oauth";
  auto page_id = connected ? Result<std::string>(settings->Get("page_id").value_or("me")) : settings->Require("page_id");
  if (!page_id) return std::unexpected(page_id.error());
  auto token = connected ? Result<std::string>("") : settings->Require("token");
  if (!token) return std::unexpected(token.error());
  std::string root = settings->BaseUrl("https://graph.facebook.com") + "/" + settings->Get("graph_version").value_or("v21.0");
  return std::make_unique<FacebookPageConnector>(meta::GraphClient("facebook_page", std::move(root), *token, context.http),
                                                 *page_id);
}

}  // namespace herald::connectors
