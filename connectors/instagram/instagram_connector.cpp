#include "connectors/instagram/instagram_connector.h"

#include "connectors/meta/comments.h"
#include "connectors/platform_http.h"
#include "connectors/platforms.h"

namespace herald::connectors {
namespace {

constexpr size_t kMaxCarouselItems = 10;  // Instagram carousel limit

PublishResult Refuse(std::string why) {
  PublishResult r;
  r.kind = PublishResult::Kind::kFailed;
  r.why = std::move(why);
  return r;
}

class InstagramConnector final : public Connector {
 public:
  InstagramConnector(meta::ContainerPublisher publisher, meta::GraphClient client, std::string user_id)
      : publisher_(std::move(publisher)), client_(std::move(client)), user_id_(std::move(user_id)) {}

  PublishResult Publish(const PublishRequest& request) override {
    if (request.access_token) return Connected(*request.access_token).Publish(meta::WithoutToken(request));
    if (request.reply_to) return Reply(request);
    if (request.media.empty())
      return Refuse("instagram: a post needs at least one image (Instagram has no text-only posts)");
    if (request.media.size() > kMaxCarouselItems)
      return Refuse("instagram: a carousel holds at most 10 images, the post has " + std::to_string(request.media.size()));
    return publisher_.Publish(meta::BuildContainers(request, "caption", /*typed_images=*/false), request);
  }

  std::optional<PublishResult> Lookup(const PublishRequest& request) override {
    if (request.access_token) return Connected(*request.access_token).Lookup(meta::WithoutToken(request));
    if (request.reply_to) return std::nullopt;  // a reply is not among the account's media
    if (request.media.empty()) return Refuse("instagram: a post without an image was never sent");
    return publisher_.Lookup(request);
  }

  // GET /<media>/comments with each comment's first page of replies. The
  // edge's order is not documented, so every page of a post is read.
  InboxReadResult ReadInbox(const InboxReadRequest& request) override {
    if (request.access_token) return Connected(*request.access_token).ReadInbox(meta::WithoutToken(request));
    const std::string own = user_id_;
    meta::CommentEdge edge{
        .edge = "comments",
        .query = {{"fields", "id,text,username,timestamp,from{id,username},"
                             "replies{id,text,username,timestamp,from{id,username}}"},
                  {"limit", "50"}},
        .newest_first = false,
        .max_posts = 10,
        .read = [own](const nlohmann::json& item, const std::string& post) {
          std::vector<InboxMessage> out;
          auto one = [&](const nlohmann::json& c, const std::string& thread) {
            if (!c.is_object()) return;
            const nlohmann::json from = c.value("from", nlohmann::json::object());
            if (from.is_object() && meta::CommentString(from, "id") == own) return;  // the account's own answers
            auto at = meta::CommentTime(c, "timestamp");
            std::string id = meta::CommentString(c, "id", 128);
            if (!at || id.empty()) return;
            InboxMessage m;
            m.remote_id = id;
            m.kind = InboxKind::kComment;
            m.author = meta::CommentString(c, "username", 256);
            m.text = meta::CommentString(c, "text");
            m.created_at = *at;
            m.in_reply_to = post;
            m.reply_ref = thread.empty() ? id : thread;  // Instagram nests replies one level
            out.push_back(std::move(m));
          };
          one(item, "");
          std::string thread = item.is_object() ? meta::CommentString(item, "id", 128) : "";
          if (!thread.empty() && item.contains("replies") && item["replies"].is_object() &&
              item["replies"].value("data", nlohmann::json()).is_array()) {
            for (const auto& reply : item["replies"]["data"]) one(reply, thread);
          }
          return out;
        }};
    return meta::ReadComments(client_, edge, request);
  }
  bool ReadsInbox() const override { return true; }

 private:
  // This connector acting with a connected account's token.
  InstagramConnector Connected(std::string token) const {
    return InstagramConnector(publisher_.WithToken(token), client_.WithToken(token), user_id_);
  }

  // POST /<comment>/replies with `message`. Without an answer the outcome is
  // unknown: no list tells which replies the account made.
  PublishResult Reply(const PublishRequest& request) const {
    const std::string& target = *request.reply_to;
    if (!meta::IsGraphId(target))
      return Refuse("instagram: the reply reference is not a comment id");
    auto r = client_.Post(target + "/replies", {{"message", request.text}});
    if (auto f = meta::ReadGraphFailure("instagram", r, request.now)) return *f;
    PublishResult out;
    out.http_status = r->status;
    out.remote_id = meta::ReadField(*r, "id").value_or("");
    out.hold = HoldAfterSuccess("instagram", *r, request.now);
    return out;
  }

  const meta::ContainerPublisher publisher_;
  const meta::GraphClient client_;
  const std::string user_id_;
};

}  // namespace

Result<std::unique_ptr<Connector>> MakeInstagramConnectorWithTiming(const policies::ConnectorConfig& config,
                                                                    const ConnectorContext& context,
                                                                    meta::ContainerTiming timing) {
  auto settings = ConnectorSettings::Read("instagram", config, context);
  if (!settings) return std::unexpected(settings.error());
  auto user_id = settings->Require("user_id");
  if (!user_id) return std::unexpected(user_id.error());
  // A connected account (auth: oauth) publishes with its grant's token.
  auto token = settings->Get("auth") == "oauth" ? Result<std::string>("") : settings->Require("token");
  if (!token) return std::unexpected(token.error());
  std::string root = settings->BaseUrl("https://graph.facebook.com") + "/" + settings->Get("graph_version").value_or("v21.0");
  meta::GraphClient client("instagram", std::move(root), *token, context.http);
  meta::ContainerEdges edges{
      .create = "media",
      .publish = "media_publish",
      .limit = "content_publishing_limit",
      .status_field = "status_code",
      .status_detail = "status",
      .recent = {.edge = "media", .text_field = "caption", .time_field = "timestamp", .url_field = "permalink"},
  };
  return std::make_unique<InstagramConnector>(meta::ContainerPublisher(client, *user_id, std::move(edges), timing), client,
                                              *user_id);
}

Result<std::unique_ptr<Connector>> MakeInstagramConnector(const policies::ConnectorConfig& config,
                                                          const ConnectorContext& context) {
  return MakeInstagramConnectorWithTiming(config, context, {});
}

}  // namespace herald::connectors
